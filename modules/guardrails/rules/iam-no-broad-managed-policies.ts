import { asArray } from '../config';
import type { GuardrailRule } from '../types';

/** AWS-managed policies that make a role an administrator (or one step from it). */
export const BROAD_POLICY_NAMES = ['AdministratorAccess', 'PowerUserAccess', 'IAMFullAccess'] as const;
const BROAD = new RegExp(`^arn:aws[a-z-]*:iam::aws:policy/(${BROAD_POLICY_NAMES.join('|')})$`);

export const iamNoBroadManagedPolicies: GuardrailRule = {
  id: 'SY-IAM-2',
  severity: 'error',
  title: 'No AdministratorAccess, PowerUserAccess or IAMFullAccess on a role (checkov CKV_AWS_274)',
  explanation:
    'PowerUserAccess alone let a dev workflow read prod secrets, snapshot the prod database and delete prod keys; ' +
    'AdministratorAccess and IAMFullAccess are worse. Give CI and workload roles written-out least-privilege ' +
    'policies and a permissions boundary.',
  appliesTo: ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment', 'aws_iam_role'],
  check: (resource) => {
    const arns =
      resource.type === 'aws_iam_role'
        ? asArray(resource.config.managed_policy_arns)
        : asArray(resource.config.policy_arn);
    return arns
      .filter((a): a is string => typeof a === 'string' && BROAD.test(a))
      .map((a) => `checkov CKV_AWS_274: ${a} attached; write out the permissions the role needs`);
  },
};
