import { asArray, asRecord, block } from '../config';
import type { GuardrailRule } from '../types';

export const albHttpRedirect: GuardrailRule = {
  id: 'SY-ALB-4',
  severity: 'warning',
  title: 'HTTP listeners only redirect to HTTPS',
  explanation:
    'An HTTP listener that forwards to targets serves the application in clear text, including cookies and ' +
    'tokens. The port-80 listener should have a single `redirect` default action to `HTTPS` (status ' +
    '`HTTP_301`). A warning because an environment without a certificate (dev) may opt into plain HTTP ' +
    'explicitly; suppress it there with that reason.',
  appliesTo: ['aws_lb_listener', 'aws_alb_listener'],
  check: (resource) => {
    if (resource.config.protocol !== 'HTTP') return [];
    const actions = asArray(resource.config.default_action).map(asRecord);
    const redirects =
      actions.length > 0 &&
      actions.every((a) => a.type === 'redirect' && block(a.redirect).protocol === 'HTTPS');
    return redirects ? [] : ['HTTP listener does not redirect to HTTPS (serves plain HTTP)'];
  },
};
