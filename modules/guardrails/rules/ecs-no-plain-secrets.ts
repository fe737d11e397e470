import { asArray, asRecord, containerName, parseContainerDefinitions } from '../config';
import type { GuardrailRule } from '../types';

/** Names that announce a secret. Pointers to a secret (`*_ARN`, `*_SECRET_NAME`, ...) are fine. */
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)/i;
const POINTER_SUFFIX =
  /_(ARN|ID|NAME|PATH|FILE|PARAMETER|PARAM|REF|URL|URI|ENDPOINT|HOST|PORT|TTL|TIMEOUT|EXPIRY|LENGTH)$/i;

/** Value shapes that are secrets whatever the variable is called. The value itself is never echoed. */
function secretValueKind(value: string): string | undefined {
  if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) return 'an AWS access key id';
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return 'a private key';
  if (
    /^[A-Za-z0-9/+]{40}$/.test(value) &&
    /[A-Z]/.test(value) &&
    /[a-z]/.test(value) &&
    /[0-9]/.test(value)
  ) {
    return 'an AWS secret access key';
  }
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) return 'a URL with an embedded password';
  return undefined;
}

export const ecsNoPlainSecrets: GuardrailRule = {
  id: 'SY-ECS-1',
  severity: 'error',
  title: 'no secrets in plain container environment variables',
  explanation:
    'Plain `environment` entries are stored in the task definition, which anyone with ecs:DescribeTaskDefinition ' +
    'can read, they are copied into every revision, into Terraform state and into the plan output. Secrets ' +
    'belong in Secrets Manager or SSM Parameter Store and reach the container through the `secrets` list ' +
    '(`{ name, valueFrom: <secret ARN> }`), which the execution role resolves at start. Flags variables whose ' +
    'name says password/secret/token/API key/private key/credentials (names ending in _ARN, _NAME, _PATH, _URL, ' +
    '_TTL, ... describe a secret rather than hold it and pass) and values that look like AWS keys, private keys or URLs with a password. The ' +
    'value is never printed.',
  appliesTo: ['aws_ecs_task_definition'],
  check: (resource) => {
    const parsed = parseContainerDefinitions(resource.config.container_definitions);
    if ('error' in parsed) return [parsed.error];
    const problems: string[] = [];
    parsed.containers.forEach((container, i) => {
      for (const raw of asArray(container.environment)) {
        const variable = asRecord(raw);
        const name = typeof variable.name === 'string' ? variable.name : '?';
        const value = typeof variable.value === 'string' ? variable.value : '';
        const where = `container ${containerName(container, i)}: environment variable ${name}`;
        const kind = secretValueKind(value);
        if (kind !== undefined) {
          problems.push(`${where} holds what looks like ${kind}; inject it through "secrets" with valueFrom`);
        } else if (SECRET_NAME.test(name) && !POINTER_SUFFIX.test(name)) {
          problems.push(
            `${where} looks like a secret passed as plain text; inject it through "secrets" with valueFrom`,
          );
        }
      }
    });
    return problems;
  },
};
