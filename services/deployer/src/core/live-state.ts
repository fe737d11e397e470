/**
 * What is live right now: the production rule's weights → which colour serves, and per colour the ECS
 * service, its task definition and image, counts, deployments and target health. Read-only.
 */
import type { Colour, ServiceTopology } from '../../../topology';
import type {
  Clock,
  EcsDeployment,
  EcsPort,
  EcsServiceEvent,
  LoadBalancerPort,
  TargetHealth,
  TaskDefinitionSummary,
  WeightedTarget,
} from '../ports';
import type { Emitter } from './events';
import { withRetry } from './retry';

export interface ColourState {
  readonly colour: Colour;
  readonly serviceName: string;
  readonly targetGroupArn: string;
  readonly taskDefinitionArn: string;
  /** The task definition as described (containers, configuration fingerprint when the adapter gives one). */
  readonly taskDefinition?: TaskDefinitionSummary;
  /** Image of the topology's container in that task definition (`repo@sha256:…` when pinned). */
  readonly image?: string;
  /** `sha256:…` when the image is pinned by digest. */
  readonly imageDigest?: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly deployments: readonly EcsDeployment[];
  /** The ECS service's latest events, newest first. */
  readonly events: readonly EcsServiceEvent[];
  readonly targets: readonly TargetHealth[];
  readonly healthyTargets: number;
  /** Percentage of production traffic (0–100). */
  readonly trafficPercent: number;
}

export type LiveStatus = 'ok' | 'split' | 'unknown-target' | 'no-traffic';

export interface LiveState {
  readonly status: LiveStatus;
  /** Set unless status is 'ok': what is wrong and how to recover. */
  readonly problem?: string;
  /** The colour carrying 100% (status 'ok'). */
  readonly liveColour?: Colour;
  readonly idleColour?: Colour;
  /** Raw production-rule weights. */
  readonly rule: readonly WeightedTarget[];
  /** Weights by colour in percent of the rule's total. */
  readonly weights: { readonly blue: number; readonly green: number };
  /** Entries with weight > 0 that are neither colour's target group. */
  readonly unknownTargets: readonly WeightedTarget[];
  readonly colours: { readonly blue: ColourState; readonly green: ColourState };
}

export interface LiveStateDeps {
  readonly ecs: EcsPort;
  readonly lb: LoadBalancerPort;
  readonly clock: Clock;
}

export function digestOfImage(image: string | undefined): string | undefined {
  const m = image ? /@(sha256:[0-9a-f]{64})$/.exec(image) : null;
  return m ? m[1] : undefined;
}

/** Classifies production-rule weights against the topology's two target groups. Pure. */
export function classifyWeights(
  topology: ServiceTopology,
  rule: readonly WeightedTarget[],
): Pick<LiveState, 'status' | 'problem' | 'liveColour' | 'idleColour' | 'weights' | 'unknownTargets'> {
  const total = rule.reduce((s, x) => s + Math.max(0, x.weight), 0);
  const raw = (arn: string) => rule.filter((x) => x.targetGroupArn === arn).reduce((s, x) => s + x.weight, 0);
  const pct = (w: number) => (total > 0 ? Math.round((w * 10_000) / total) / 100 : 0);
  const weights = {
    blue: pct(raw(topology.targetGroupArns.blue)),
    green: pct(raw(topology.targetGroupArns.green)),
  };
  const known = new Set([topology.targetGroupArns.blue, topology.targetGroupArns.green]);
  const unknownTargets = rule.filter((x) => !known.has(x.targetGroupArn) && x.weight > 0);
  const where = `${topology.environment}/${topology.service}`;
  if (unknownTargets.length > 0) {
    return {
      status: 'unknown-target',
      weights,
      unknownTargets,
      problem:
        `the production rule ${topology.productionRuleArn} of ${where} forwards to target group(s) the topology does not know: ` +
        `${unknownTargets.map((x) => `${x.targetGroupArn} (weight ${x.weight})`).join(', ')}. ` +
        `Either the topology is stale (re-apply the environment so /switchyard/${topology.environment}/services/${topology.service} is republished) ` +
        `or the rule was edited by hand (point it back at the blue or green target group), then retry.`,
    };
  }
  if (total <= 0) {
    return {
      status: 'no-traffic',
      weights,
      unknownTargets,
      problem:
        `the production rule ${topology.productionRuleArn} of ${where} sends no traffic to either colour (all weights 0). ` +
        `Set 100 on the colour that should serve (\`switchyard status --env ${topology.environment} --service ${topology.service}\` shows what each runs), then retry.`,
    };
  }
  if (weights.blue > 0 && weights.green > 0) {
    return {
      status: 'split',
      weights,
      unknownTargets,
      problem:
        `traffic of ${where} is split (blue ${weights.blue}% / green ${weights.green}%) — a previous deploy was probably interrupted mid-shift. ` +
        `Recover with \`switchyard rollback --env ${topology.environment} --service ${topology.service} --reason "…"\` ` +
        `(puts 100% back on the last known good colour); \`switchyard status\` shows both colours. Then deploy again.`,
    };
  }
  const liveColour: Colour = weights.blue > 0 ? 'blue' : 'green';
  return {
    status: 'ok',
    weights,
    unknownTargets,
    liveColour,
    idleColour: liveColour === 'blue' ? 'green' : 'blue',
  };
}

/** Reads the production rule, both ECS services, their task definitions and target health (8 reads). */
export async function readLiveState(
  deps: LiveStateDeps,
  topology: ServiceTopology,
  emitter?: Emitter,
): Promise<LiveState> {
  const r = <T>(label: string, fn: () => Promise<T>) => withRetry(deps.clock, label, fn, { emitter });
  const rule = await r('elbv2:DescribeRules', () => deps.lb.getRuleWeights(topology.productionRuleArn));
  const cls = classifyWeights(topology, rule);
  const colourState = async (colour: Colour): Promise<ColourState> => {
    const svc = await r('ecs:DescribeServices', () =>
      deps.ecs.describeService(topology.cluster, topology.ecsServices[colour]),
    );
    const td = await r('ecs:DescribeTaskDefinition', () =>
      deps.ecs.describeTaskDefinition(svc.taskDefinitionArn),
    );
    const targets = await r('elbv2:DescribeTargetHealth', () =>
      deps.lb.describeTargetHealth(topology.targetGroupArns[colour]),
    );
    const image = td.containers.find((c) => c.containerName === topology.containerName)?.image;
    return {
      colour,
      serviceName: svc.serviceName,
      targetGroupArn: topology.targetGroupArns[colour],
      taskDefinitionArn: svc.taskDefinitionArn,
      taskDefinition: td,
      image,
      imageDigest: digestOfImage(image),
      desiredCount: svc.desiredCount,
      runningCount: svc.runningCount,
      deployments: svc.deployments,
      events: svc.events ?? [],
      targets,
      healthyTargets: targets.filter((t) => t.state === 'healthy').length,
      trafficPercent: cls.weights[colour],
    };
  };
  const blue = await colourState('blue');
  const green = await colourState('green');
  return { ...cls, rule, colours: { blue, green } };
}
