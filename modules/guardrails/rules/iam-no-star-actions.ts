import { identityPolicyOf } from '../iam-documents';
import type { GuardrailRule } from '../types';

export const iamNoStarActions: GuardrailRule = {
  id: 'SY-IAM-1',
  severity: 'error',
  title: 'No identity policy allows "*" or "*:*" (checkov CKV_AWS_1, CKV_AWS_63)',
  explanation:
    'An Allow of every action is administrator access under another name: one compromised workflow or task ' +
    'owns the account. List the actions the role needs (a service wildcard such as `ecs:*` at most, fenced by a ' +
    'permissions boundary). Permissions boundaries themselves may `Allow *`: they grant nothing, they cap.',
  appliesTo: ['aws_iam_role_policy', 'aws_iam_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'],
  contextTypes: ['aws_iam_role'],
  check: (resource, context) => {
    const statements = identityPolicyOf(resource, context) ?? [];
    return statements
      .filter((s) => s.effect === 'Allow' && s.actions.some((a) => a === '*' || a === '*:*'))
      .map((s) => `checkov CKV_AWS_63: statement ${s.sid ?? '(no Sid)'} allows every action ("*")`);
  },
};
