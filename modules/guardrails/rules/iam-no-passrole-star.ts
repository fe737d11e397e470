import { actionCovers, identityPolicyOf } from '../iam-documents';
import type { GuardrailRule } from '../types';

export const iamNoPassRoleStar: GuardrailRule = {
  id: 'SY-IAM-3',
  severity: 'error',
  title: 'iam:PassRole is never allowed on "*" (checkov CKV_AWS_286)',
  explanation:
    'PassRole on every role lets a principal hand any role of the account — an administrator role included — to ' +
    'a service it controls (a task definition, a Lambda function) and act as that role: privilege escalation. ' +
    "Allow PassRole only on the environment's own roles (`role/<project>-<env>-*`), ideally with " +
    '`iam:PassedToService`.',
  appliesTo: ['aws_iam_role_policy', 'aws_iam_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'],
  contextTypes: ['aws_iam_role'],
  check: (resource, context) => {
    const statements = identityPolicyOf(resource, context) ?? [];
    return statements
      .filter(
        (s) =>
          s.effect === 'Allow' &&
          s.actions.some((a) => actionCovers(a, 'iam:PassRole')) &&
          (s.resources.length === 0 || s.resources.some((r) => r === '*' || r === 'arn:aws:iam::*:role/*')),
      )
      .map((s) => `checkov CKV_AWS_286: statement ${s.sid ?? '(no Sid)'} allows iam:PassRole on every role`);
  },
};
