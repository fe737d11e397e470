/**
 * The AWS default quotas an environment consumes, and the warnings synth prints when one environment —
 * or all environments sharing an account and region — need more than the default. Pure: no provider
 * imports; main.ts prints `quotaWarnings(config.all)` to stderr before building anything.
 *
 * Defaults and adjustability as documented by AWS (each entry names its page). Quotas are per account
 * and region unless `per` says otherwise. The hard per-ALB limits (100 target groups, 100 rules) are
 * refused at validation instead (environments/rules.ts, modules/ecs/limits.ts).
 */
import { LISTENER_RULES_PER_SERVICE, TARGET_GROUPS_PER_SERVICE } from '../modules/ecs/limits';
import type { EnvironmentConfig } from './schema';

export type QuotaId =
  | 'vpcs'
  | 'internetGateways'
  | 'elasticIps'
  | 'gatewayEndpoints'
  | 'interfaceEndpoints'
  | 'albs'
  | 'listenersPerAlb'
  | 'targetGroups'
  | 'targetsPerAlb';

export interface Quota {
  /** The name AWS gives it (Service Quotas console). */
  readonly name: string;
  readonly default: number;
  readonly adjustable: boolean;
  /** What the quota is counted over. */
  readonly per: 'account and region' | 'VPC' | 'load balancer';
  /** Where AWS documents it. */
  readonly source: string;
}

const VPC_QUOTAS = 'Amazon VPC quotas (Amazon VPC User Guide)';
const PRIVATELINK_QUOTAS = 'AWS PrivateLink quotas';
const ALB_QUOTAS = 'Quotas for your Application Load Balancers (Elastic Load Balancing User Guide)';

export const QUOTAS: Readonly<Record<QuotaId, Quota>> = {
  // Every region also has a default VPC with its internet gateway: it counts against both.
  vpcs: {
    name: 'VPCs per Region',
    default: 5,
    adjustable: true,
    per: 'account and region',
    source: VPC_QUOTAS,
  },
  internetGateways: {
    name: 'Internet gateways per Region',
    default: 5,
    adjustable: true,
    per: 'account and region',
    source: VPC_QUOTAS,
  },
  elasticIps: {
    name: 'Elastic IP addresses per Region',
    default: 5,
    adjustable: true,
    per: 'account and region',
    source: VPC_QUOTAS,
  },
  gatewayEndpoints: {
    name: 'Gateway VPC endpoints per Region',
    default: 20,
    adjustable: true,
    per: 'account and region',
    source: PRIVATELINK_QUOTAS,
  },
  interfaceEndpoints: {
    name: 'Interface and Gateway Load Balancer endpoints per VPC',
    default: 50,
    adjustable: true,
    per: 'VPC',
    source: PRIVATELINK_QUOTAS,
  },
  albs: {
    name: 'Application Load Balancers per Region',
    default: 50,
    adjustable: true,
    per: 'account and region',
    source: ALB_QUOTAS,
  },
  listenersPerAlb: {
    name: 'Listeners per Application Load Balancer',
    default: 50,
    adjustable: true,
    per: 'load balancer',
    source: ALB_QUOTAS,
  },
  // Shared by Application and Network Load Balancers.
  targetGroups: {
    name: 'Target Groups per Region',
    default: 3000,
    adjustable: true,
    per: 'account and region',
    source: ALB_QUOTAS,
  },
  targetsPerAlb: {
    name: 'Targets per Application Load Balancer',
    default: 1000,
    adjustable: true,
    per: 'load balancer',
    source: ALB_QUOTAS,
  },
};

/** What one environment consumes of each quota (at most; targets at the autoscaling maximum of both colours). */
export type QuotaUse = Readonly<Record<QuotaId, number>>;

export function environmentQuotaUse(env: EnvironmentConfig): QuotaUse {
  const natGateways =
    env.vpc.natGateways === 'none' ? 0 : env.vpc.natGateways === 'single' ? 1 : env.vpc.azCount;
  const https = env.alb.certificateArn !== undefined;
  return {
    vpcs: 1,
    internetGateways: 1,
    // One elastic IP per NAT gateway.
    elasticIps: natGateways,
    // The S3 gateway endpoint.
    gatewayEndpoints: 1,
    interfaceEndpoints: env.vpc.interfaceEndpoints.length,
    albs: 1,
    // Production (443 or 80), the 80 → 443 redirect with a certificate, and the test listener.
    listenersPerAlb: https ? 3 : 2,
    targetGroups: TARGET_GROUPS_PER_SERVICE * env.services.length,
    // During a deploy both colours can run up to their autoscaling maximum, each task one IP target.
    targetsPerAlb: env.services.reduce((sum, s) => sum + 2 * s.autoscaling.max, 0),
  };
}

/** Listener rules one environment puts on its load balancer (validated ≤ 100). */
export function listenerRulesOf(env: EnvironmentConfig): number {
  return LISTENER_RULES_PER_SERVICE * env.services.length;
}

const QUOTA_IDS = Object.keys(QUOTAS) as QuotaId[];

/**
 * One line per quota that an environment, or the environments sharing an account and region together,
 * would need beyond AWS's default. The default is what a new account has; ask for an increase (Service
 * Quotas console) before applying, or these applies fail half-way.
 */
export function quotaWarnings(envs: readonly EnvironmentConfig[]): string[] {
  const out: string[] = [];
  const increase = (q: Quota) =>
    q.adjustable
      ? `request an increase in the Service Quotas console before applying (${q.source})`
      : `not adjustable (${q.source})`;
  for (const env of envs) {
    const use = environmentQuotaUse(env);
    for (const id of QUOTA_IDS) {
      const q = QUOTAS[id];
      if (use[id] > q.default) {
        out.push(
          `${env.file}: needs ${use[id]} of "${q.name}" (default ${q.default} per ${q.per}); ${increase(q)}`,
        );
      }
    }
  }
  const groups = new Map<string, EnvironmentConfig[]>();
  for (const env of envs) {
    const key = `${env.accountId} ${env.region}`;
    groups.set(key, [...(groups.get(key) ?? []), env]);
  }
  for (const [key, members] of groups) {
    if (members.length < 2) continue;
    const [account, region] = key.split(' ');
    for (const id of QUOTA_IDS) {
      const q = QUOTAS[id];
      if (q.per !== 'account and region') continue;
      const uses = members.map((e) => ({ name: e.name, n: environmentQuotaUse(e)[id] }));
      const total = uses.reduce((sum, u) => sum + u.n, 0);
      if (total > q.default && uses.every((u) => u.n <= q.default)) {
        out.push(
          `account ${account} ${region}: environments ${uses.map((u) => `${u.name} (${u.n})`).join(', ')} together need ${total} of "${q.name}" (default ${q.default}); ${increase(q)}`,
        );
      }
    }
  }
  return out;
}
