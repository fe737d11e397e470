/**
 * Port implementations over the simulated world. Every call: hangs forever once the process was
 * "killed", advances the world to the clock, may be throttled (fault `throttle`), costs 20–150 ms of
 * virtual latency, is counted per API, and — when it writes — is appended to the world's write log with
 * its virtual timestamp.
 */

import { configurationFingerprint } from '../core/task-config';
import type {
  EcsDeployment,
  EcsPort,
  EcsServiceState,
  LoadBalancerPort,
  MetricsPort,
  RegistryPort,
  ScalingPort,
  SmokePort,
  TargetHealth,
  TaskDefinitionSummary,
  WeightedTarget,
} from '../ports';
import { PortError } from '../ports';
import type { ServiceTopology } from '../../../topology';
import type { FakeClock } from './clock';
import { registryKey, type SimTaskDefinition, type SimWorld } from './world';

export interface SimPortOptions {
  /** Probability that a call is throttled (fault `throttle`). @default 0 */
  readonly throttleRate: number;
  /** Longest run of consecutive throttled calls per API (a token bucket refills). @default 3 */
  readonly maxConsecutiveThrottles: number;
  /** Virtual latency range per call in ms. @default [20, 150] */
  readonly latencyMs: readonly [number, number];
}

export interface SimControl {
  readonly world: SimWorld;
  readonly clock: FakeClock;
  readonly options: SimPortOptions;
  /** Set when the process is "killed": every later call never settles. */
  killed: boolean;
  /** Called after every write (used to trigger interrupt/kill after the Nth write of a kind). */
  onWrite?: (api: string) => void;
  /**
   * Network failures (fault `outage`, `Simulation.networkOutage`): during [from, until) every call fails
   * after its latency with a retryable network error, as an unreachable endpoint does. @default []
   */
  outages?: { readonly from: number; readonly until: number }[];
}

/** Whether the simulated network is down at `now`; throws the retryable error calls then see. */
export function checkNetwork(ctl: SimControl, api: string): void {
  const now = ctl.clock.now();
  const o = ctl.outages?.find((x) => now >= x.from && now < x.until);
  if (o) {
    ctl.world.recordCall(`network-failure:${api}`);
    throw new PortError(
      'unavailable',
      `${api}: connect EHOSTUNREACH (simulated network failure until +${Math.ceil((o.until - now) / 1000)}s)`,
    );
  }
}

const never = new Promise<never>(() => {});

function summary(td: SimTaskDefinition): TaskDefinitionSummary {
  return {
    arn: td.arn,
    family: td.family,
    revision: td.revision,
    containers: td.containers.map((c) => ({ containerName: c.name, image: c.image })),
    configuration: configurationFingerprint({ family: td.family, ...td.extra }, td.containers),
  };
}

/** Wraps one API call with kill/advance/throttle/latency/counting. */
async function call<T>(ctl: SimControl, api: string, write: boolean, args: unknown, fn: () => T): Promise<T> {
  if (ctl.killed) return never;
  const { world, clock, options } = ctl;
  world.advanceTo(clock.now());
  world.recordCall(api);
  const consecutive = world.state.throttleRuns;
  const [lo, hi] = options.latencyMs;
  const latency = Math.round(lo + world.random() * (hi - lo));
  if (options.throttleRate > 0 && (consecutive[api] ?? 0) < options.maxConsecutiveThrottles) {
    if (world.random() < options.throttleRate) {
      consecutive[api] = (consecutive[api] ?? 0) + 1;
      await clock.sleep(latency);
      if (ctl.killed) return never;
      throw new PortError('throttled', `ThrottlingException: Rate exceeded (${api})`);
    }
  }
  consecutive[api] = 0;
  await clock.sleep(latency);
  if (ctl.killed) return never;
  checkNetwork(ctl, api);
  world.advanceTo(clock.now());
  const result = fn();
  if (write) {
    world.recordWrite(clock.now(), api, args);
    ctl.onWrite?.(api);
  }
  return result;
}

export function simEcs(ctl: SimControl): EcsPort {
  const { world } = ctl;
  return {
    describeService: (cluster, service) =>
      call(ctl, 'ecs:DescribeServices', false, { cluster, service }, (): EcsServiceState => {
        const s = world.service(cluster, service);
        const running = (id: string) =>
          s.tasks.filter((x) => x.deploymentId === id && x.lastStatus === 'RUNNING').length;
        const deployments: EcsDeployment[] = s.deployments
          .filter((d) => d.status !== 'INACTIVE')
          .map((d) => ({
            id: d.id,
            status: d.status,
            taskDefinitionArn: d.taskDefinitionArn,
            rolloutState: d.rolloutState,
            rolloutStateReason: d.rolloutStateReason,
            desiredCount: d.desiredCount,
            runningCount: running(d.id),
            failedTasks: d.failedTasks,
          }))
          .reverse();
        return {
          serviceName: s.name,
          status: 'ACTIVE',
          taskDefinitionArn: s.taskDefinitionArn,
          desiredCount: s.desiredCount,
          runningCount: s.tasks.filter((x) => x.lastStatus === 'RUNNING').length,
          deployments,
          events: [...(s.events ?? [])].reverse(),
        };
      }),
    describeTaskDefinition: (arn) =>
      call(ctl, 'ecs:DescribeTaskDefinition', false, { arn }, () => {
        const td = world.state.taskDefinitions[arn];
        if (!td)
          throw new PortError('not-found', `ClientException: Unable to describe task definition ${arn}`);
        return summary(td);
      }),
    registerTaskDefinitionFrom: (baseArn, containerName, image) =>
      call(ctl, 'ecs:RegisterTaskDefinition', true, { baseArn, containerName, image }, () => {
        const base = world.state.taskDefinitions[baseArn];
        if (!base)
          throw new PortError('not-found', `ClientException: Unable to describe task definition ${baseArn}`);
        if (!base.containers.some((c) => c.name === containerName)) {
          throw new PortError(
            'invalid',
            `task definition ${baseArn} has no container named ${containerName}`,
          );
        }
        const revision =
          Math.max(
            ...Object.values(world.state.taskDefinitions)
              .filter((x) => x.family === base.family)
              .map((x) => x.revision),
          ) + 1;
        const arn = baseArn.replace(/:\d+$/, `:${revision}`);
        const td: SimTaskDefinition = {
          arn,
          family: base.family,
          revision,
          containers: base.containers.map((c) => (c.name === containerName ? { ...c, image } : { ...c })),
          extra: structuredClone(base.extra),
          registeredAt: ctl.clock.now(),
          crashes: world.state.armedTaskFaults.crash,
          failsHealthChecks: world.state.armedTaskFaults.unhealthy,
        };
        world.state.taskDefinitions[arn] = td;
        return summary(td);
      }),
    updateService: (cluster, service, update) =>
      call(ctl, 'ecs:UpdateService', true, { cluster, service, ...update }, () => {
        const s = world.service(cluster, service);
        if (!Number.isInteger(update.desiredCount) || update.desiredCount < 0) {
          throw new PortError('invalid', `InvalidParameterException: desiredCount ${update.desiredCount}`);
        }
        if (update.taskDefinitionArn && !world.state.taskDefinitions[update.taskDefinitionArn]) {
          throw new PortError(
            'invalid',
            `ClientException: TaskDefinition not found: ${update.taskDefinitionArn}`,
          );
        }
        s.desiredCount = update.desiredCount;
        const primary = s.deployments.find((d) => d.status === 'PRIMARY');
        if (update.taskDefinitionArn && update.taskDefinitionArn !== s.taskDefinitionArn) {
          if (primary) primary.status = 'ACTIVE';
          const id = `ecs-svc/${(++world.state.seq).toString(16).padStart(6, '0')}`;
          s.deployments.push({
            id,
            status: 'PRIMARY',
            taskDefinitionArn: update.taskDefinitionArn,
            rolloutState: 'IN_PROGRESS',
            desiredCount: update.desiredCount,
            failedTasks: 0,
            createdAt: ctl.clock.now(),
          });
          s.taskDefinitionArn = update.taskDefinitionArn;
          return { deploymentId: id };
        }
        if (primary) primary.desiredCount = update.desiredCount;
        return {};
      }),
    recentStoppedTaskReasons: (cluster, service, sinceMs) =>
      call(ctl, 'ecs:ListTasks+DescribeTasks', false, { cluster, service }, () =>
        world
          .service(cluster, service)
          .tasks.filter((x) => x.lastStatus === 'STOPPED' && (x.stoppedAt ?? 0) >= sinceMs)
          .map((x) => `${x.id}: ${x.stopReason ?? 'stopped'}`),
      ),
  };
}

export function simLoadBalancer(ctl: SimControl): LoadBalancerPort {
  const { world, clock } = ctl;
  return {
    getRuleWeights: (ruleArn) =>
      call(ctl, 'elbv2:DescribeRules', false, { ruleArn }, (): WeightedTarget[] => {
        const rule = world.state.rules[ruleArn];
        if (!rule) throw new PortError('not-found', `RuleNotFound: ${ruleArn}`);
        return rule.map((x) => ({ ...x }));
      }),
    setRuleWeights: (ruleArn, weights) =>
      call(ctl, 'elbv2:ModifyRule', true, { ruleArn, weights: weights.map((w) => ({ ...w })) }, () => {
        world.setRuleWeights(clock.now(), ruleArn, weights);
      }),
    setRuleTarget: (ruleArn, targetGroupArn) =>
      call(ctl, 'elbv2:ModifyRule', true, { ruleArn, targetGroupArn }, () => {
        if (!world.state.rules[ruleArn]) throw new PortError('not-found', `RuleNotFound: ${ruleArn}`);
        world.targetGroup(targetGroupArn);
        world.state.rules[ruleArn] = [{ targetGroupArn, weight: 1 }];
      }),
    describeTargetHealth: (targetGroupArn) =>
      call(ctl, 'elbv2:DescribeTargetHealth', false, { targetGroupArn }, (): TargetHealth[] =>
        world.targetGroup(targetGroupArn).targets.map((x) => ({
          id: x.id,
          port: x.port,
          state: x.state,
          ...(x.reason ? { reason: x.reason } : {}),
        })),
      ),
  };
}

export function simMetrics(ctl: SimControl): MetricsPort {
  const { world } = ctl;
  return {
    targetGroupRequests: (lbSuffix, tgSuffix, fromMs, toMs) =>
      call(ctl, 'cloudwatch:GetMetricData', false, { tgSuffix, fromMs, toMs }, () => {
        const tg = world.targetGroupBySuffix(lbSuffix, tgSuffix);
        if (!tg) return { requests: 0, errors5xx: 0 }; // CloudWatch returns no datapoints for unknown dimensions
        // like CloudWatch: only whole-minute datapoints already published (60–120 s after the minute)
        const { requests, errors } = world.publishedCounts(tg, fromMs, toMs, world.state.lastTick);
        return { requests: Math.round(requests), errors5xx: Math.round(errors) };
      }),
    targetGroupLatency: (lbSuffix, tgSuffix, fromMs, toMs) =>
      call(ctl, 'cloudwatch:GetMetricData', false, { tgSuffix, fromMs, toMs, latency: true }, () => {
        const tg = world.targetGroupBySuffix(lbSuffix, tgSuffix);
        if (!tg) return { requests: 0, connectionErrors: 0 };
        const l = world.publishedLatency(tg, fromMs, toMs, world.state.lastTick);
        return { ...l, requests: Math.round(l.requests), connectionErrors: Math.round(l.connectionErrors) };
      }),
    alarmStates: (names) =>
      call(ctl, 'cloudwatch:DescribeAlarms', false, { names }, () => {
        // like the AWS adapter: a name that matches no alarm is an error, not "not firing"
        const missing = names.filter((n) => !world.state.alarms[n]);
        if (missing.length > 0) {
          throw new PortError(
            'not-found',
            `CloudWatch alarm(s) not found: ${missing.join(', ')}; fix the alarm names in the topology (alarms.blue / alarms.green / alarms.shared)`,
          );
        }
        return [...new Set(names)].map((n) => {
          const a = world.state.alarms[n]!;
          return { name: n, state: a.state, since: a.since };
        });
      }),
  };
}

/** Application Auto Scaling (scalable targets of the ECS services). */
export function simScaling(ctl: SimControl): ScalingPort {
  const { world } = ctl;
  return {
    setCapacityRange: (resourceId, min, max) =>
      call(ctl, 'application-autoscaling:RegisterScalableTarget', true, { resourceId, min, max }, () => {
        world.registerScalableTarget(resourceId, min, max);
      }),
    describeCapacity: (resourceId) =>
      call(ctl, 'application-autoscaling:DescribeScalableTargets', false, { resourceId }, () => {
        const target = world.scalableTarget(resourceId);
        return target ? { resourceId, min: target.min, max: target.max } : undefined;
      }),
  };
}

/** Registry port bound to one registry (account) — the one of `repositoryUri`. */
export function simRegistry(ctl: SimControl, repositoryUri: string): RegistryPort {
  const { world } = ctl;
  const repo = (name: string) => world.state.images[registryKey(repositoryUri, name)];
  return {
    resolveTag: (repositoryName, tag) =>
      call(ctl, 'ecr:DescribeImages', false, { repositoryName, tag }, () => {
        const r = repo(repositoryName);
        if (!r) throw new PortError('not-found', `RepositoryNotFoundException: ${repositoryName}`);
        return r.tags[tag];
      }),
    hasDigest: (repositoryName, digest) =>
      call(ctl, 'ecr:DescribeImages', false, { repositoryName, digest }, () => {
        const r = repo(repositoryName);
        if (!r) throw new PortError('not-found', `RepositoryNotFoundException: ${repositoryName}`);
        return r.digests.includes(digest);
      }),
    describeImage: (repositoryName, digest) =>
      call(ctl, 'ecr:DescribeImages', false, { repositoryName, digest }, () => {
        const r = repo(repositoryName);
        if (!r) throw new PortError('not-found', `RepositoryNotFoundException: ${repositoryName}`);
        if (!r.digests.includes(digest)) return undefined;
        const tags = Object.entries(r.tags)
          .filter(([, d]) => d === digest)
          .map(([t]) => t)
          .sort();
        return { digest, tags };
      }),
    // ECR PutImage with the image's own manifest (BatchGetImage first): IMMUTABLE_WITH_EXCLUSION lets
    // only `sy-*` tags move; an unchanged tag answers ImageAlreadyExistsException (→ 'unchanged').
    tagImage: async (repositoryName, digest, tag) => {
      await call(ctl, 'ecr:BatchGetImage', false, { repositoryName, digest }, () => {
        const r = repo(repositoryName);
        if (!r) throw new PortError('not-found', `RepositoryNotFoundException: ${repositoryName}`);
        if (!r.digests.includes(digest))
          throw new PortError('not-found', `ImageNotFound: ${repositoryName}@${digest}`);
      });
      // not in the write log: that log is the traffic-affecting writes (ECS, ELB, Auto Scaling)
      return call(ctl, 'ecr:PutImage', false, { repositoryName, digest, tag }, () => {
        const r = repo(repositoryName)!;
        const current = r.tags[tag];
        if (current === digest) return 'unchanged' as const;
        if (current !== undefined && !tag.startsWith('sy-'))
          throw new PortError(
            'conflict',
            `ImageTagAlreadyExistsException: tag ${tag} of ${repositoryName} is immutable and points at ${current}`,
          );
        r.tags[tag] = digest;
        return 'tagged' as const;
      });
    },
  };
}

/**
 * Smoke tests against the simulated test listener of `t`: a request to `t.testListenerUrl` reaches the
 * colour the test rule points at — 200 `{"status":"ok"}` while it has healthy targets, 503 without; 500
 * from a colour armed with the `smoke-fail` fault. Any other URL is refused (ECONNREFUSED). The command
 * is not run: it "passes" (exit 0), or exits 1 against a `smoke-fail` colour, with a line saying so.
 */
export function simSmoke(ctl: SimControl, t: ServiceTopology): SmokePort {
  const { world } = ctl;
  const reached = () => {
    const rule = world.state.rules[t.testRuleArn] ?? [];
    const tgArn = rule.find((x) => x.weight > 0)?.targetGroupArn;
    const tg = tgArn ? world.state.targetGroups[tgArn] : undefined;
    const colour =
      tgArn === t.targetGroupArns.blue ? 'blue' : tgArn === t.targetGroupArns.green ? 'green' : '?';
    const healthy = tg ? tg.targets.filter((x) => x.state === 'healthy').length : 0;
    return { colour, healthy, failing: tgArn !== undefined && world.smokeFails(tgArn) };
  };
  return {
    http: (req) =>
      call(ctl, 'smoke:http', false, { url: req.url, method: req.method }, () => {
        if (!t.testListenerUrl || !req.url.startsWith(t.testListenerUrl))
          throw new PortError(
            'unavailable',
            `connect ECONNREFUSED (${req.url} is not the simulated test listener)`,
          );
        const r = reached();
        if (r.failing) return { status: 500, body: `simulated smoke failure on ${r.colour}` };
        if (r.healthy === 0) return { status: 503, body: '<html>503 Service Temporarily Unavailable</html>' };
        return { status: 200, body: JSON.stringify({ status: 'ok', colour: r.colour }) };
      }),
    run: (cmd) =>
      call(ctl, 'smoke:command', false, { argv: cmd.argv }, () => {
        const r = reached();
        const line = `simulated: ${cmd.argv.join(' ')} against ${cmd.env.SWITCHYARD_TEST_URL} (${r.colour})`;
        return r.failing
          ? { exitCode: 1, timedOut: false, outputTail: `${line}\nFAIL GET /health → 500` }
          : { exitCode: 0, timedOut: false, outputTail: `${line}\nok` };
      }),
  };
}
