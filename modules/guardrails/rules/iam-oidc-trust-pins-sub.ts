import { asArray, asRecord } from '../config';
import { parsePolicy } from '../iam-documents';
import type { GuardrailRule } from '../types';

const HOST = 'token.actions.githubusercontent.com';

export const iamOidcTrustPinsSub: GuardrailRule = {
  id: 'SY-IAM-4',
  severity: 'error',
  title: 'Roles trusting GitHub OIDC pin the subject exactly (checkov CKV_AWS_358)',
  explanation:
    'A trust policy for token.actions.githubusercontent.com without a `sub` condition lets every GitHub ' +
    'repository in the world assume the role; a wildcard (`repo:org/*`, `repo:org/repo:*`) lets every ' +
    'repository of the organisation, or every branch and pull request, assume it. Use StringEquals on ' +
    '`token.actions.githubusercontent.com:sub` with the exact subjects (`repo:owner/repo:environment:prod`, or ' +
    'the immutable `repo:owner@ID/repo@ID:…`) and `:aud` = sts.amazonaws.com.',
  appliesTo: ['aws_iam_role'],
  check: (resource) => {
    const statements = parsePolicy(resource.config.assume_role_policy);
    if (!statements) return [];
    const out: string[] = [];
    for (const s of statements) {
      const federated = typeof s.principal === 'object' ? asArray(asRecord(s.principal).Federated) : [];
      const github = federated.some(
        (f) => typeof f === 'string' && (f.includes(HOST) || f.includes('openid_connect_provider')),
      );
      if (s.effect !== 'Allow' || !github) continue;
      const equals = asRecord(s.condition.StringEquals);
      const sub = asArray(equals[`${HOST}:sub`]).filter((v): v is string => typeof v === 'string');
      const wildcardOperator = Object.entries(s.condition).some(
        ([op, keys]) => op !== 'StringEquals' && Object.keys(asRecord(keys)).includes(`${HOST}:sub`),
      );
      if (sub.length === 0 || wildcardOperator) {
        out.push(
          `checkov CKV_AWS_358: statement ${s.sid ?? '(no Sid)'} does not pin ${HOST}:sub with StringEquals`,
        );
      } else if (sub.some((v) => /[*?]/.test(v))) {
        out.push(
          `checkov CKV_AWS_358: statement ${s.sid ?? '(no Sid)'} has a wildcard in ${HOST}:sub (${sub.join(', ')})`,
        );
      }
      if (asArray(equals[`${HOST}:aud`]).length === 0) {
        out.push(`checkov CKV_AWS_358: statement ${s.sid ?? '(no Sid)'} does not pin ${HOST}:aud`);
      }
    }
    return out;
  },
};
