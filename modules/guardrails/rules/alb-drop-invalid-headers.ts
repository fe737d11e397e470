import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const albDropInvalidHeaders: GuardrailRule = {
  id: 'SY-ALB-1',
  severity: 'error',
  title: 'ALBs drop invalid HTTP header fields',
  explanation:
    'By default an ALB forwards headers whose names are not valid HTTP tokens; backends and proxies that parse ' +
    'them differently are the classic ground for request smuggling and header injection. Set ' +
    '`dropInvalidHeaderFields: true` on every application load balancer.',
  appliesTo: ['aws_lb', 'aws_alb'],
  check: (resource) => {
    const lbType = resource.config.load_balancer_type;
    if (lbType !== undefined && lbType !== 'application') return [];
    return isTrue(resource.config.drop_invalid_header_fields)
      ? []
      : ['drop_invalid_header_fields is not true'];
  },
};
