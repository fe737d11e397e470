import { asArray, isExpression } from '../config';
import type { GuardrailRule, ResourceView } from '../types';

/** Arguments that carry a credential, per resource type. */
const CREDENTIAL_ARGUMENTS: Readonly<Record<string, readonly string[]>> = {
  aws_db_instance: ['password', 'password_wo'],
  aws_rds_cluster: ['master_password', 'master_password_wo'],
  aws_elasticache_replication_group: ['auth_token'],
  aws_elasticache_user: ['passwords'],
  aws_secretsmanager_secret_version: ['secret_string', 'secret_string_wo'],
  aws_ssm_parameter: ['value', 'value_wo'],
};

function literalArguments(resource: ResourceView): string[] {
  if (resource.type === 'aws_ssm_parameter' && resource.config.type !== 'SecureString') return [];
  return (CREDENTIAL_ARGUMENTS[resource.type] ?? []).filter((argument) =>
    asArray(resource.config[argument]).some((v) => typeof v === 'string' && v !== '' && !isExpression(v)),
  );
}

export const noLiteralCredentials: GuardrailRule = {
  id: 'SY-SECRET-1',
  severity: 'error',
  title: 'no literal credentials in resource arguments',
  explanation:
    'A password, AUTH token or secret value written as a literal in code (or copied in from YAML) lands in git, ' +
    'in every plan printed by CI and in the Terraform state. Let RDS manage the master password ' +
    '(`manageMasterUserPassword: true`), generate tokens with Secrets Manager (`GetRandomPassword`) or a ' +
    'random resource and pass the reference, and keep secret values out of `aws_secretsmanager_secret_version` ' +
    'and SecureString parameters (write them out of band). Only literal strings are flagged; references to ' +
    'other resources pass. The value is never printed.',
  appliesTo: Object.keys(CREDENTIAL_ARGUMENTS),
  check: (resource) =>
    literalArguments(resource).map(
      (argument) => `${argument} is a literal credential in code; pass a generated or managed secret instead`,
    ),
};
