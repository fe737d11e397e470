/**
 * The Application Auto Scaling floor of the two colours. Terraform registers one scalable target per
 * colour (blue min = tier minimum, green min = 0) and then ignores min/max: the deployer moves them so
 * autoscaling never fights a release.
 *
 * - For the whole deploy, the live colour's floor is held at its desired count before the deploy
 *   (`heldFloor`); while the idle colour comes up and bakes, its floor is that count too (`bakeFloor`), so
 *   target tracking scales neither in (low canary traffic; traffic moving away from the live colour).
 * - Once a colour is live: (minCapacity, maxCapacity) (`liveRange`).
 * - Before a colour is scaled to 0 (old colour after a deploy, failed colour after a rollback):
 *   (0, maxCapacity) (`idleRange`) — otherwise Application Auto Scaling raises it back to its min.
 *
 * Managed only when the topology has `autoscaling` AND the deps have a `scaling` port; otherwise every
 * function here is a no-op, so callers without the port keep working.
 */
import type { Colour, ServiceTopology } from '../../../topology';
import type { CapacityRange, Clock, ScalingPort } from '../ports';
import type { Emitter } from './events';
import { withRetry } from './retry';

export interface ScalingDeps {
  /** Absent: autoscaling is not managed (no-op). */
  readonly scaling?: ScalingPort;
  readonly clock: Clock;
}

type Autoscaling = NonNullable<ServiceTopology['autoscaling']>;

/** The topology's autoscaling block when the deployer manages it (topology has it, deps have the port). */
export function managedAutoscaling(
  deps: Pick<ScalingDeps, 'scaling'>,
  topology: ServiceTopology,
): Autoscaling | undefined {
  return deps.scaling && topology.autoscaling ? topology.autoscaling : undefined;
}

/** Range of the live colour: the tier's (minCapacity, maxCapacity). */
export function liveRange(a: Autoscaling): CapacityRange {
  return { min: a.minCapacity, max: Math.max(a.maxCapacity, a.minCapacity) };
}

/** Range of a colour about to be scaled to 0: (0, maxCapacity). */
export function idleRange(a: Autoscaling): CapacityRange {
  return { min: 0, max: a.maxCapacity };
}

/** Range of the idle colour while it comes up and bakes: floor = the live desired count. */
export function bakeFloor(a: Autoscaling, desiredCount: number): CapacityRange {
  return { min: desiredCount, max: Math.max(a.maxCapacity, desiredCount) };
}

/**
 * Range of the live colour during a deploy: its floor held at its desired count before the deploy (never
 * lowered), its max kept (never below that count). Application Auto Scaling pauses scale-in only for a
 * service with an ECS deployment in progress; the live colour has none, so without this it could shrink
 * while traffic moves away and a restore would land on too few tasks.
 * // AWS: "Application Auto Scaling turns off scale-in processes while Amazon ECS deployments are in
 * // progress" (ECS docs, Troubleshooting service auto scaling)
 */
export function heldFloor(current: CapacityRange | undefined, desiredCount: number): CapacityRange {
  return {
    min: Math.max(current?.min ?? 0, desiredCount),
    max: Math.max(current?.max ?? desiredCount, desiredCount),
  };
}

/**
 * One RegisterScalableTarget for a colour (retried on throttling). Returns false (and writes nothing)
 * when autoscaling is not managed.
 */
export async function setColourCapacity(
  deps: ScalingDeps,
  topology: ServiceTopology,
  colour: Colour,
  range: CapacityRange,
  emitter?: Emitter,
  /** Why, for the progress line (e.g. "floor while it comes up and bakes"). */
  purpose?: string,
): Promise<boolean> {
  const a = managedAutoscaling(deps, topology);
  if (!a || !deps.scaling) return false;
  const scaling = deps.scaling;
  const resourceId = a.resourceIds[colour];
  await withRetry(
    deps.clock,
    'application-autoscaling:RegisterScalableTarget',
    () => scaling.setCapacityRange(resourceId, range.min, range.max),
    { emitter },
  );
  emitter?.info(
    'scaling.range',
    `${colour}: autoscaling range ${range.min}..${range.max}${purpose ? ` — ${purpose}` : ''} (${resourceId})`,
    { colour, resourceId, min: range.min, max: range.max, ...(purpose ? { purpose } : {}) },
  );
  return true;
}

export interface ScalingFloorResult {
  /** False when autoscaling is not managed (nothing written). */
  readonly managed: boolean;
  /** Ranges written, by colour. */
  readonly ranges: { readonly blue?: CapacityRange; readonly green?: CapacityRange };
}

/**
 * Puts both colours' ranges where they belong once `liveColour` serves: live (minCapacity,
 * maxCapacity) first, then idle (0, maxCapacity). Call it BEFORE scaling the idle colour to 0 (deploy
 * success, rollback by weight flip), or on its own to repair ranges. Two RegisterScalableTarget writes;
 * a no-op without `topology.autoscaling` or `deps.scaling`.
 */
export async function applyScalingFloor(
  deps: ScalingDeps,
  topology: ServiceTopology,
  liveColour: Colour,
  idleColour: Colour,
  emitter?: Emitter,
): Promise<ScalingFloorResult> {
  if (liveColour === idleColour) {
    throw new Error(`applyScalingFloor: live and idle colour are both ${liveColour}`);
  }
  const a = managedAutoscaling(deps, topology);
  if (!a) return { managed: false, ranges: {} };
  const live = liveRange(a);
  const idle = idleRange(a);
  await setColourCapacity(deps, topology, liveColour, live, emitter, 'live colour');
  await setColourCapacity(deps, topology, idleColour, idle, emitter, 'floor 0 before it is scaled to 0');
  return { managed: true, ranges: { [liveColour]: live, [idleColour]: idle } };
}

/**
 * Reads both colours' scalable targets (read-only preflight). Returns a problem text when the topology
 * names a target that does not exist — the deployer would otherwise create one Terraform does not know.
 */
export async function readScalingState(
  deps: ScalingDeps,
  topology: ServiceTopology,
  emitter?: Emitter,
): Promise<
  | { readonly managed: false }
  | {
      readonly managed: true;
      readonly ranges: { readonly blue?: CapacityRange; readonly green?: CapacityRange };
      readonly problem?: string;
    }
> {
  const a = managedAutoscaling(deps, topology);
  if (!a || !deps.scaling) return { managed: false };
  const scaling = deps.scaling;
  const ranges: { blue?: CapacityRange; green?: CapacityRange } = {};
  const missing: string[] = [];
  for (const colour of ['blue', 'green'] as const) {
    const id = a.resourceIds[colour];
    const got = await withRetry(
      deps.clock,
      'application-autoscaling:DescribeScalableTargets',
      () => scaling.describeCapacity(id),
      { emitter },
    );
    if (got) ranges[colour] = { min: got.min, max: got.max };
    else missing.push(`${colour} (${id})`);
  }
  if (missing.length === 0) return { managed: true, ranges };
  return {
    managed: true,
    ranges,
    problem: `the topology of ${topology.environment}/${topology.service} names Application Auto Scaling targets that do not exist: ${missing.join(', ')}. Re-apply the environment (Terraform creates them) or fix autoscaling.resourceIds in the topology, then retry`,
  };
}
