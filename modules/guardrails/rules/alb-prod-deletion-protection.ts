import { isTrue } from '../config';
import type { GuardrailRule } from '../types';

export const albProdDeletionProtection: GuardrailRule = {
  id: 'SY-ALB-2',
  severity: 'error',
  title: 'prod load balancers have deletion protection',
  explanation:
    'The prod load balancer carries the DNS name clients resolve and the listener rules the deployer shifts ' +
    'weights on; deleting it is an outage that a re-create does not fix (new DNS name, new ARNs in the ' +
    'topology). Set `enableDeletionProtection: true`. Only checked when the tier is prod.',
  appliesTo: ['aws_lb', 'aws_alb'],
  check: (resource, context) =>
    context.tier !== 'prod' || isTrue(resource.config.enable_deletion_protection)
      ? []
      : ['prod load balancer without enable_deletion_protection'],
};
