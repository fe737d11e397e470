import { Token } from 'cdktf';
import { fargateSizeProblem } from '../../../modules/ecs/fargate';
import { executionRoleStatements, secretResource, taskRoleStatementProblem } from '../../../modules/ecs/iam';
import { boundedName } from '../../../modules/ecs/names';

describe('boundedName', () => {
  it('keeps short names and shortens long ones stably and uniquely within the limit', () => {
    expect(boundedName(['prod', 'api', 'blue'], 32)).toBe('prod-api-blue');
    const a = boundedName(['staging', 'a-very-long-service-name', 'green'], 32);
    const b = boundedName(['staging', 'a-very-long-service-name', 'blue'], 32);
    expect(a.length).toBeLessThanOrEqual(32);
    expect(b.length).toBeLessThanOrEqual(32);
    expect(a).not.toBe(b);
    expect(boundedName(['staging', 'a-very-long-service-name', 'green'], 32)).toBe(a);
    expect(a).toMatch(/^[a-z0-9-]+-[0-9a-f]{6}$/);
  });
});

describe('fargateSizeProblem', () => {
  it.each([
    [256, 512],
    [512, 4096],
    [1024, 8192],
    [4096, 30720],
    [16384, 122880],
  ])('accepts %i/%i', (cpu, memory) => expect(fargateSizeProblem(cpu, memory)).toBeUndefined());
  it.each([
    [256, 4096, /memory 4096 is not valid with cpu 256/],
    [300, 512, /cpu 300 is not a Fargate size/],
    [8192, 20000, /memory 20000 is not valid with cpu 8192/],
  ])('refuses %i/%i', (cpu, memory, message) => expect(fargateSizeProblem(cpu, memory)).toMatch(message));
});

describe('secretResource and the execution policy', () => {
  const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf';
  it('reduces JSON-key references to the secret ARN and keeps parameter ARNs', () => {
    expect(secretResource(`${secret}:password::`)).toEqual({ kind: 'secretsmanager', resource: secret });
    expect(secretResource('arn:aws:ssm:eu-west-1:123456789012:parameter/a/b')).toEqual({
      kind: 'ssm',
      resource: 'arn:aws:ssm:eu-west-1:123456789012:parameter/a/b',
    });
    expect(secretResource('plain-text')).toBeUndefined();
    expect(secretResource('arn:aws:s3:::bucket')).toBeUndefined();
  });

  it('takes an unresolved token as a Secrets Manager ARN of the stack', () => {
    const token = Token.asString({ Ref: 'x' });
    expect(secretResource(token)).toEqual({ kind: 'secretsmanager', resource: token });
  });

  it('grants only what is listed, deduplicated, and no secret statement when none is listed', () => {
    const st = executionRoleStatements({
      repositoryArn: 'arn:repo',
      logGroupArn: 'arn:lg',
      secretArns: [`${secret}:a::`, `${secret}:b::`],
      secretsKmsKeyArns: ['arn:key'],
    });
    expect(st.find((s) => s.Sid === 'ReadListedSecrets')!.Resource).toEqual([secret]);
    expect(st.find((s) => s.Sid === 'DecryptSecrets')!.Resource).toEqual(['arn:key']);
    const none = executionRoleStatements({
      repositoryArn: 'r',
      logGroupArn: 'l',
      secretArns: [],
      secretsKmsKeyArns: ['k'],
    });
    expect(none.map((s) => s.Sid)).toEqual(['EcrAuth', 'EcrPull', 'Logs']);
  });

  it('refuses broad task-role statements', () => {
    expect(taskRoleStatementProblem({ actions: ['*'], resources: ['*'] })).toMatch(/grants a whole service/);
    expect(taskRoleStatementProblem({ actions: ['s3:GetObject'], resources: [] })).toMatch(
      /resources must not be empty/,
    );
    expect(
      taskRoleStatementProblem({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] }),
    ).toBeUndefined();
  });
});
