/** SY-IAM-1..4 and the SY-ECR-1 retention-mark exclusion: each rule fails the bad shape and passes the good one. */
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { TerraformStack } from 'cdktf';
import { evaluate, findingsOf } from './build';

const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement });
const trust = (condition: Record<string, unknown> | undefined) =>
  doc({
    Sid: 'Gh',
    Effect: 'Allow',
    Principal: { Federated: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' },
    Action: 'sts:AssumeRoleWithWebIdentity',
    ...(condition ? { Condition: condition } : {}),
  });
const role = (s: TerraformStack, id: string, assumeRolePolicy: string, extra: Record<string, unknown> = {}) =>
  new IamRole(s, id, { name: id, assumeRolePolicy, ...extra });
const ecsTrust = doc({
  Effect: 'Allow',
  Principal: { Service: 'ecs-tasks.amazonaws.com' },
  Action: 'sts:AssumeRole',
});

describe('SY-IAM-1 no "*" actions in identity policies', () => {
  it('fails Allow * and *:*, passes service wildcards and boundaries', () => {
    const report = evaluate((s) => {
      const r = role(s, 'r', ecsTrust);
      new IamRolePolicy(s, 'star', {
        role: r.id,
        policy: doc({ Sid: 'All', Effect: 'Allow', Action: '*', Resource: '*' }),
      });
      new IamRolePolicy(s, 'starstar', {
        role: r.id,
        policy: doc({ Effect: 'Allow', Action: ['s3:GetObject', '*:*'], Resource: '*' }),
      });
      new IamRolePolicy(s, 'ok', {
        role: r.id,
        policy: doc({ Effect: 'Allow', Action: 'ecs:*', Resource: '*' }),
      });
      new IamRolePolicy(s, 'deny', {
        role: r.id,
        policy: doc({ Effect: 'Deny', Action: '*', Resource: '*' }),
      });
      const boundary = new IamPolicy(s, 'boundary', {
        name: 'b',
        policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
      });
      role(s, 'bounded', ecsTrust, { permissionsBoundary: boundary.arn });
      new IamPolicy(s, 'managed', {
        name: 'm',
        policy: doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
      });
    });
    expect(findingsOf(report, 'SY-IAM-1')).toEqual([
      'dev/star: checkov CKV_AWS_63: statement All allows every action ("*")',
      'dev/starstar: checkov CKV_AWS_63: statement (no Sid) allows every action ("*")',
      'dev/managed: checkov CKV_AWS_63: statement (no Sid) allows every action ("*")',
    ]);
  });
});

describe('SY-IAM-2 no broad AWS-managed policies on roles', () => {
  it('fails PowerUserAccess / AdministratorAccess attachments, passes others', () => {
    const report = evaluate((s) => {
      const r = role(s, 'ci', ecsTrust);
      new IamRolePolicyAttachment(s, 'power', {
        role: r.name,
        policyArn: 'arn:aws:iam::aws:policy/PowerUserAccess',
      });
      new IamRolePolicyAttachment(s, 'admin', {
        role: r.name,
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      });
      new IamRolePolicyAttachment(s, 'ro', {
        role: r.name,
        policyArn: 'arn:aws:iam::aws:policy/AmazonECS_FullAccess',
      });
      role(s, 'inline', ecsTrust, { managedPolicyArns: ['arn:aws:iam::aws:policy/IAMFullAccess'] });
    });
    expect(findingsOf(report, 'SY-IAM-2')).toEqual([
      'dev/power: checkov CKV_AWS_274: arn:aws:iam::aws:policy/PowerUserAccess attached; write out the permissions the role needs',
      'dev/admin: checkov CKV_AWS_274: arn:aws:iam::aws:policy/AdministratorAccess attached; write out the permissions the role needs',
      'dev/inline: checkov CKV_AWS_274: arn:aws:iam::aws:policy/IAMFullAccess attached; write out the permissions the role needs',
    ]);
  });
});

describe('SY-IAM-3 no iam:PassRole on *', () => {
  it('fails PassRole (also through iam:* or iam:Pass*) on *, passes scoped PassRole', () => {
    const report = evaluate((s) => {
      const r = role(s, 'r', ecsTrust);
      new IamRolePolicy(s, 'pass', {
        role: r.id,
        policy: doc({ Sid: 'P', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*' }),
      });
      new IamRolePolicy(s, 'iamstar', {
        role: r.id,
        policy: doc({ Effect: 'Allow', Action: 'iam:Pass*', Resource: ['*'] }),
      });
      new IamRolePolicy(s, 'scoped', {
        role: r.id,
        policy: doc({
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: 'arn:aws:iam::123456789012:role/switchyard-dev-*',
        }),
      });
    });
    expect(findingsOf(report, 'SY-IAM-3')).toEqual([
      'dev/pass: checkov CKV_AWS_286: statement P allows iam:PassRole on every role',
      'dev/iamstar: checkov CKV_AWS_286: statement (no Sid) allows iam:PassRole on every role',
    ]);
  });
});

describe('SY-IAM-4 GitHub OIDC trusts pin sub and aud', () => {
  it('fails a missing sub, a StringLike sub, a wildcard in sub, a missing aud; passes exact subjects', () => {
    const aud = { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' };
    const report = evaluate((s) => {
      role(s, 'nosub', trust({ StringEquals: aud }));
      role(
        s,
        'like',
        trust({ StringEquals: aud, StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:o/r:*' } }),
      );
      role(
        s,
        'star',
        trust({ StringEquals: { ...aud, 'token.actions.githubusercontent.com:sub': ['repo:o/*'] } }),
      );
      role(
        s,
        'noaud',
        trust({ StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:o/r:environment:prod' } }),
      );
      role(
        s,
        'good',
        trust({
          StringEquals: {
            ...aud,
            'token.actions.githubusercontent.com:sub': ['repo:o@1/r@2:environment:prod'],
          },
        }),
      );
      role(s, 'service', ecsTrust);
    });
    expect(findingsOf(report, 'SY-IAM-4')).toEqual([
      'dev/nosub: checkov CKV_AWS_358: statement Gh does not pin token.actions.githubusercontent.com:sub with StringEquals',
      'dev/like: checkov CKV_AWS_358: statement Gh does not pin token.actions.githubusercontent.com:sub with StringEquals',
      'dev/star: checkov CKV_AWS_358: statement Gh has a wildcard in token.actions.githubusercontent.com:sub (repo:o/*)',
      'dev/noaud: checkov CKV_AWS_358: statement Gh does not pin token.actions.githubusercontent.com:aud',
    ]);
  });
});

describe('SY-ECR-1 retention-mark exclusion', () => {
  it('passes IMMUTABLE_WITH_EXCLUSION of exactly sy-*, fails any other exclusion', () => {
    const report = evaluate((s) => {
      new EcrRepository(s, 'marks', {
        name: 'a',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilter: [{ filterType: 'WILDCARD', filter: 'sy-*' }],
      });
      new EcrRepository(s, 'latest', {
        name: 'b',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilter: [
          { filterType: 'WILDCARD', filter: 'sy-*' },
          { filterType: 'WILDCARD', filter: 'latest' },
        ],
      });
    });
    expect(findingsOf(report, 'SY-ECR-1')).toEqual([
      'dev/latest: image_tag_mutability_exclusion_filter must be exactly the retention marks (WILDCARD "sy-*") (got [{"filter":"sy-*","filter_type":"WILDCARD"},{"filter":"latest","filter_type":"WILDCARD"}])',
    ]);
  });
});
