/**
 * Cross-field rules of an environment file. They run on the merged (defaults + YAML) document even
 * when some fields failed the schema, so one run lists every problem; each rule only looks at fields
 * that have the expected type (the schema reports the others).
 */

import { type AlarmSubscription, duplicateSubscriptions } from '../modules/alarms/subscriptions';
import { loadBalancerCapacityProblem, MIN_TEST_LISTENER_PREFIX } from '../modules/ecs/limits';
import { RULES } from '../modules/guardrails/rules';
import { RESERVED_DB_USERS } from '../modules/rds/limits';
import {
  formatCidr,
  hasHostBits,
  isRfc1918,
  MAX_VPC_PREFIX,
  MIN_VPC_PREFIX,
  normalise,
  parseCidr,
} from '../modules/vpc/subnet-plan';
import { FARGATE_MEMORY } from './schema';
import { suggest } from './suggest';

export type PathSegment = string | number;

/** One problem: where, what is wrong, and (when present) the offending value. */
export interface Problem {
  readonly path: readonly PathSegment[];
  readonly message: string;
  /** The value at `path`, printed as `(got …)`; absent for missing fields and unknown keys. */
  readonly got?: unknown;
  readonly hasGot: boolean;
}

export interface RuleContext {
  /** Environment name taken from the file name (`prod` for prod.yaml). */
  readonly fileName: string;
  /** Names of every environment file found, for promotion.from. */
  readonly knownEnvironments: readonly string[];
  /** The shared-services account (project.yaml), or undefined when project.yaml is invalid. */
  readonly toolingAccountId?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Segments of a variable name that mark it as a secret: DB_PASSWORD, API_KEY, GITHUB_TOKEN, … */
const SECRET_NAME_RE =
  /(^|_)(PASSWORD|PASSWD|PWD|SECRET|SECRETS|TOKEN|KEY|APIKEY|PRIVATE|CREDENTIAL|CREDENTIALS)(_|$)/;

/** True when an environment-variable name looks like it holds a secret. */
export function looksLikeSecretName(name: string): boolean {
  return SECRET_NAME_RE.test(name.toUpperCase());
}

/** Fargate memory values valid for a cpu, described for a message: "512, 1024 or 2048". */
export function describeMemoryChoices(cpu: number): string {
  const values = FARGATE_MEMORY[cpu] ?? [];
  if (values.length <= 4) return `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
  const step = values[1] - values[0];
  return `between ${values[0]} and ${values[values.length - 1]} in steps of ${step}`;
}

export function crossFieldProblems(doc: unknown, ctx: RuleContext): Problem[] {
  const out: Problem[] = [];
  const add = (path: PathSegment[], message: string, ...got: unknown[]) =>
    out.push({ path, message, got: got[0], hasGot: got.length > 0 });
  if (!isObj(doc)) return out;

  // --- identity -------------------------------------------------------------------------------------
  if (isStr(doc.name) && doc.name !== ctx.fileName) {
    add(['name'], `must match the file name "${ctx.fileName}"`, doc.name);
  }
  // An environment in its own account reaches the state bucket of the shared-services account through
  // the bucket policy. The S3 backend resolves `dynamodb_table` by name in the caller's account, so the
  // lock table would be out of reach: such an environment locks with the S3 lock file (Terraform >= 1.10;
  // HashiCorp: "DynamoDB-based locking is deprecated", S3 backend docs).
  if (ctx.toolingAccountId && isStr(doc.accountId) && doc.accountId !== ctx.toolingAccountId) {
    const state = isObj(doc.state) ? doc.state : undefined;
    if (state && isStr(state.locking) && state.locking !== 's3-native') {
      add(
        ['state', 'locking'],
        `must be "s3-native" for an environment in its own account (${doc.accountId}, the state bucket is in ${ctx.toolingAccountId}): the DynamoDB lock table is not reachable across accounts`,
        state.locking,
      );
    }
  }
  const tier = doc.tier;
  const prod = tier === 'prod';
  const region = isStr(doc.region) ? doc.region : undefined;

  // --- vpc --------------------------------------------------------------------------------------------
  const vpc = isObj(doc.vpc) ? doc.vpc : undefined;
  const vpcCidr = vpc && isStr(vpc.cidr) ? parseCidr(vpc.cidr) : undefined;
  if (vpc && vpcCidr) {
    if (hasHostBits(vpcCidr)) {
      add(['vpc', 'cidr'], `has host bits set; did you mean ${formatCidr(normalise(vpcCidr))}?`, vpc.cidr);
    } else if (vpcCidr.prefix < MIN_VPC_PREFIX || vpcCidr.prefix > MAX_VPC_PREFIX) {
      add(
        ['vpc', 'cidr'],
        `prefix must be /${MIN_VPC_PREFIX} to /${MAX_VPC_PREFIX} to fit the subnet plan (3 private /N+2, 3 public and 3 isolated /N+5 subnets)`,
        vpc.cidr,
      );
    } else if (!isRfc1918(vpcCidr)) {
      add(
        ['vpc', 'cidr'],
        'must be inside a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
        vpc.cidr,
      );
    }
  }
  if (vpc && Array.isArray(vpc.availabilityZones)) {
    const zones = vpc.availabilityZones;
    if ((vpc.azCount === 2 || vpc.azCount === 3) && zones.length !== vpc.azCount) {
      add(['vpc', 'availabilityZones'], `must list exactly azCount (${vpc.azCount}) zones`, zones);
    }
    zones.forEach((z, i) => {
      if (isStr(z) && region && !new RegExp(`^${region}[a-z]$`).test(z)) {
        add(['vpc', 'availabilityZones', i], `must be a zone of ${region} such as ${region}a`, z);
      } else if (isStr(z) && zones.indexOf(z) !== i) {
        add(['vpc', 'availabilityZones', i], 'is listed twice', z);
      }
    });
  }
  const services = Array.isArray(doc.services) ? doc.services : [];
  if (vpc && vpc.natGateways === 'none' && services.length > 0 && Array.isArray(vpc.interfaceEndpoints)) {
    const missing = ['ecr.api', 'ecr.dkr', 'logs'].filter(
      (e) => !(vpc.interfaceEndpoints as unknown[]).includes(e),
    );
    if (missing.length > 0) {
      add(
        ['vpc', 'interfaceEndpoints'],
        `must include ${missing.join(', ')} when natGateways is "none": tasks pull images and write logs through them`,
        vpc.interfaceEndpoints,
      );
    }
  }

  // --- services ---------------------------------------------------------------------------------------
  const capacity = loadBalancerCapacityProblem(services.length);
  if (capacity) add(['services'], capacity);
  const firstByName = new Map<string, number>();
  const firstByPriority = new Map<number, number>();
  services.forEach((svc, i) => {
    if (!isObj(svc)) return;
    const at = (...p: PathSegment[]) => ['services', i, ...p];
    if (isStr(svc.name)) {
      const first = firstByName.get(svc.name);
      if (first !== undefined) add(at('name'), `duplicate service name (also services[${first}])`, svc.name);
      else firstByName.set(svc.name, i);
    }
    if (
      isNum(svc.cpu) &&
      FARGATE_MEMORY[svc.cpu] &&
      isNum(svc.memory) &&
      !FARGATE_MEMORY[svc.cpu].includes(svc.memory)
    ) {
      add(at('memory'), `must be ${describeMemoryChoices(svc.cpu)} for cpu ${svc.cpu} (Fargate)`, svc.memory);
    }
    // A hold after the canary needs a step before 100 %: all-at-once has none, so the deployer would refuse
    // every deploy of such a service (the prod tier holds by default: environments/tiers.ts).
    const dep = isObj(svc.deploy) ? svc.deploy : undefined;
    if (dep && dep.strategy === 'all-at-once' && dep.holdAfter === 'canary') {
      add(
        at('deploy', 'strategy'),
        `"all-at-once" has no step before 100%, so it cannot hold for approval after a canary (holdAfter: canary${prod ? ', the prod tier default' : ''}); use strategy "canary" or "linear", or set deploy.holdAfter: none to deploy without the second approval`,
        dep.strategy,
      );
    }
    const hc = isObj(svc.healthCheck) ? svc.healthCheck : undefined;
    if (
      hc &&
      isNum(hc.timeoutSeconds) &&
      isNum(hc.intervalSeconds) &&
      hc.timeoutSeconds >= hc.intervalSeconds
    ) {
      add(
        at('healthCheck', 'timeoutSeconds'),
        `must be less than intervalSeconds (${hc.intervalSeconds})`,
        hc.timeoutSeconds,
      );
    }
    const as = isObj(svc.autoscaling) ? svc.autoscaling : undefined;
    if (as && isNum(as.min) && isNum(as.max) && as.min > as.max) {
      add(at('autoscaling', 'min'), `must not exceed autoscaling.max (${as.max})`, as.min);
    }
    if (as && isNum(svc.desiredCount) && isNum(as.min) && isNum(as.max) && as.min <= as.max) {
      if (svc.desiredCount < as.min || svc.desiredCount > as.max) {
        add(
          at('desiredCount'),
          `must be between autoscaling.min (${as.min}) and autoscaling.max (${as.max})`,
          svc.desiredCount,
        );
      }
    }
    const env = isObj(svc.environment) ? svc.environment : {};
    for (const name of Object.keys(env)) {
      if (looksLikeSecretName(name)) {
        add(
          at('environment', name),
          `looks like a secret; put it in services[${i}].secrets as a Secrets Manager or SSM parameter ARN instead`,
        );
      }
    }
    const secrets = isObj(svc.secrets) ? svc.secrets : {};
    for (const name of Object.keys(secrets)) {
      if (name in env) add(at('secrets', name), 'is also set in environment; keep it in one place');
    }
    const routing = isObj(svc.routing) ? svc.routing : undefined;
    if (routing && isNum(routing.priority)) {
      const first = firstByPriority.get(routing.priority);
      if (first !== undefined)
        add(at('routing', 'priority'), `duplicate priority (also services[${first}])`, routing.priority);
      else firstByPriority.set(routing.priority, i);
    }
    if (
      services.length > 1 &&
      routing &&
      routing.hostHeader === undefined &&
      routing.pathPattern === undefined
    ) {
      add(at('routing'), 'must set hostHeader or pathPattern when the environment has more than one service');
    }
    const statements = Array.isArray(svc.taskRolePolicyStatements) ? svc.taskRolePolicyStatements : [];
    statements.forEach((st, j) => {
      if (!isObj(st) || !Array.isArray(st.actions)) return;
      st.actions.forEach((a, k) => {
        if (isStr(a) && (a === '*' || /:\*$/.test(a))) {
          add(
            at('taskRolePolicyStatements', j, 'actions', k),
            'must name specific actions (least privilege), not a wildcard',
            a,
          );
        }
      });
    });
  });

  // --- alb -------------------------------------------------------------------------------------------
  const alb = isObj(doc.alb) ? doc.alb : undefined;
  if (alb) {
    if (alb.certificateArn === undefined && alb.allowPlainHttp === false) {
      add(
        ['alb', 'certificateArn'],
        'required: set an ACM certificate ARN, or opt in to plain HTTP with alb.allowPlainHttp: true',
      );
    }
    if (alb.certificateArn !== undefined && alb.allowPlainHttp === true) {
      add(['alb', 'allowPlainHttp'], 'must not be true when alb.certificateArn is set', true);
    }
    if (isStr(alb.certificateArn) && region) {
      const certRegion = alb.certificateArn.split(':')[3];
      if (certRegion !== undefined && certRegion !== region) {
        add(
          ['alb', 'certificateArn'],
          `must be a certificate in ${region}, the load balancer's region`,
          alb.certificateArn,
        );
      }
    }
    if (prod && alb.allowPlainHttp === true) add(['alb', 'allowPlainHttp'], 'must be false in prod', true);
    if (prod && alb.deletionProtection === false)
      add(['alb', 'deletionProtection'], 'must be true in prod', false);
    const tl = isObj(alb.testListener) ? alb.testListener : undefined;
    if (tl && (tl.port === 80 || tl.port === 443)) {
      add(['alb', 'testListener', 'port'], 'must not be 80 or 443 (the production listeners)', tl.port);
    }
    if (tl && Array.isArray(tl.allowedCidrs)) {
      tl.allowedCidrs.forEach((c, k) => {
        const parsed = isStr(c) ? parseCidr(c) : undefined;
        if (parsed && parsed.prefix < MIN_TEST_LISTENER_PREFIX) {
          add(
            ['alb', 'testListener', 'allowedCidrs', k],
            `must not open the test listener to the internet (a prefix of /${MIN_TEST_LISTENER_PREFIX} or narrower)`,
            c,
          );
        }
      });
    }
    const vpcDoc = isObj(doc.vpc) ? doc.vpc : undefined;
    const listed = tl && Array.isArray(tl.allowedCidrs) ? tl.allowedCidrs.length : 0;
    if (vpcDoc?.natGateways === 'none' && listed === 0) {
      add(
        ['alb', 'testListener', 'allowedCidrs'],
        'must list the testers\' CIDRs when vpc.natGateways is "none" (by default only the NAT gateways\' public IPs may reach the test listener, and there are none)',
        tl?.allowedCidrs ?? null,
      );
    }
  }

  // --- database / cache --------------------------------------------------------------------------------
  const db = isObj(doc.database) ? doc.database : undefined;
  if (db) {
    for (const field of ['masterUsername', 'appUsername'] as const) {
      const user = db[field];
      if (isStr(user) && RESERVED_DB_USERS.includes(user.toLowerCase())) {
        add(['database', field], `must not be a name RDS reserves (${RESERVED_DB_USERS.join(', ')})`, user);
      }
    }
    if (isStr(db.appUsername) && db.appUsername === db.masterUsername) {
      add(
        ['database', 'appUsername'],
        'must differ from masterUsername (services must not connect as the master user)',
        db.appUsername,
      );
    }
    if (prod && db.multiAz === false) add(['database', 'multiAz'], 'must be true in prod', false);
    if (prod && db.deletionProtection === false)
      add(['database', 'deletionProtection'], 'must be true in prod', false);
    if (prod && db.skipFinalSnapshot === true)
      add(['database', 'skipFinalSnapshot'], 'must be false in prod', true);
    if (db.allowStorageKmsReplacement === true) {
      // The replacement deletes the database: only with a final snapshot, and never in prod.
      if (prod) {
        add(
          ['database', 'allowStorageKmsReplacement'],
          'must be false in prod (the prod database keeps deletion protection); change the key by snapshot copy and restore instead',
          true,
        );
      }
      const needs: [string, unknown, unknown][] = [
        ['skipFinalSnapshot', db.skipFinalSnapshot, false],
        ['deletionProtection', db.deletionProtection, false],
      ];
      for (const [field, value, wanted] of prod ? [] : needs) {
        if (value !== wanted) {
          add(
            ['database', field],
            `must be ${String(wanted)} while database.allowStorageKmsReplacement is true (the replacement deletes the database after a final snapshot)`,
            value,
          );
        }
      }
      const protection = isObj(doc.protection) ? doc.protection : undefined;
      if (!prod && protection?.preventDestroy === true) {
        add(
          ['protection', 'preventDestroy'],
          'must be false while database.allowStorageKmsReplacement is true (prevent_destroy refuses the replacement plan)',
          true,
        );
      }
    }
    if (
      isNum(db.allocatedStorage) &&
      isNum(db.maxAllocatedStorage) &&
      db.maxAllocatedStorage < db.allocatedStorage
    ) {
      add(
        ['database', 'maxAllocatedStorage'],
        `must be at least allocatedStorage (${db.allocatedStorage})`,
        db.maxAllocatedStorage,
      );
    }
  }
  const cache = isObj(doc.cache) ? doc.cache : undefined;
  if (cache) {
    if (cache.automaticFailover === true && cache.replicas === 0) {
      add(['cache', 'automaticFailover'], 'needs cache.replicas of at least 1', true);
    }
    if (cache.multiAz === true && cache.automaticFailover === false) {
      add(['cache', 'multiAz'], 'needs cache.automaticFailover: true', true);
    }
    if (prod && cache.automaticFailover === false)
      add(['cache', 'automaticFailover'], 'must be true in prod', false);
    if (prod && cache.multiAz === false) add(['cache', 'multiAz'], 'must be true in prod', false);
    // Pull-request plans read the state with the plan role; prod's state must hold no secret.
    if (prod && cache.authMode === 'secrets-manager') {
      add(
        ['cache', 'authMode'],
        'must be rbac in prod (secrets-manager keeps the AUTH token in the Terraform state, which pull-request plans read)',
        'secrets-manager',
      );
    }
  }

  // --- guardrails ------------------------------------------------------------------------------------
  const guardrails = isObj(doc.guardrails) ? doc.guardrails : undefined;
  if (guardrails && Array.isArray(guardrails.suppressions)) {
    const ids = RULES.map((r) => r.id);
    guardrails.suppressions.forEach((sup, i) => {
      if (!isObj(sup) || !isStr(sup.ruleId) || ids.includes(sup.ruleId)) return;
      const hint = suggest(sup.ruleId, ids);
      add(
        ['guardrails', 'suppressions', i, 'ruleId'],
        hint
          ? `unknown guardrail rule (did you mean "${hint}"?)`
          : `unknown guardrail rule (known: ${ids.join(', ')})`,
        sup.ruleId,
      );
    });
  }

  // --- alarms ----------------------------------------------------------------------------------------
  const alarms = isObj(doc.alarms) ? doc.alarms : undefined;
  if (alarms && Array.isArray(alarms.subscriptions)) {
    const subscriptions = alarms.subscriptions;
    if (prod && subscriptions.length === 0) {
      add(
        ['alarms', 'subscriptions'],
        'must list at least one subscriber in prod, e.g. [{ protocol: email, endpoint: oncall@example.com }]: alarms that reach nobody page nobody',
        [],
      );
    }
    const wellFormed = subscriptions.filter(
      (x): x is AlarmSubscription =>
        isObj(x) && (x.protocol === 'email' || x.protocol === 'https') && isStr(x.endpoint),
    );
    for (const d of duplicateSubscriptions(wellFormed)) {
      add(
        ['alarms', 'subscriptions', subscriptions.indexOf(wellFormed[d.index])],
        `repeats alarms.subscriptions[${subscriptions.indexOf(wellFormed[d.firstIndex])}] (SNS keeps one subscription per endpoint)`,
        wellFormed[d.index].endpoint,
      );
    }
  }

  // --- promotion -------------------------------------------------------------------------------------
  const promotion = isObj(doc.promotion) ? doc.promotion : undefined;
  if (promotion && isStr(promotion.from)) {
    if (promotion.from === ctx.fileName) {
      add(['promotion', 'from'], 'must name another environment', promotion.from);
    } else if (!ctx.knownEnvironments.includes(promotion.from)) {
      add(
        ['promotion', 'from'],
        `must name an environment in environments/ (${ctx.knownEnvironments.join(', ')})`,
        promotion.from,
      );
    }
  }
  return out;
}
