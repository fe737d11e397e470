/**
 * ScalingPort on @aws-sdk/client-application-auto-scaling: the min/max of the ECS services' scalable
 * targets (namespace `ecs`, dimension `ecs:service:DesiredCount`).
 *
 * - setCapacityRange: one RegisterScalableTarget with ResourceId, MinCapacity and MaxCapacity only. On an
 *   existing target this updates just the range (role, suspended state and policies are kept).
 * - describeCapacity: one DescribeScalableTargets for the resource; undefined when none is registered.
 */
import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
  type RegisterScalableTargetCommandInput,
} from '@aws-sdk/client-application-auto-scaling';
import { PortError, type ScalableTargetState, type ScalingPort } from '../ports';
import { aws } from './errors';

export const ECS_SERVICE_NAMESPACE = 'ecs';
export const ECS_DESIRED_COUNT_DIMENSION = 'ecs:service:DesiredCount';
const RESOURCE_ID_RE = /^service\/[^/]+\/[^/]+$/;

/** The RegisterScalableTarget input for a range (exported for tests and docs). */
export function registerScalableTargetInput(
  resourceId: string,
  min: number,
  max: number,
): RegisterScalableTargetCommandInput {
  return {
    ServiceNamespace: ECS_SERVICE_NAMESPACE,
    ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
    ResourceId: resourceId,
    MinCapacity: min,
    MaxCapacity: max,
  };
}

function checkResourceId(resourceId: string): void {
  if (!RESOURCE_ID_RE.test(resourceId)) {
    throw new PortError(
      'invalid',
      `"${resourceId}" is not an ECS scalable target id (expected service/<cluster>/<service>); fix autoscaling.resourceIds in the topology`,
    );
  }
}

export class AwsScalingAdapter implements ScalingPort {
  constructor(private readonly client: ApplicationAutoScalingClient) {}

  async setCapacityRange(resourceId: string, min: number, max: number): Promise<void> {
    checkResourceId(resourceId);
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min) {
      throw new PortError(
        'invalid',
        `capacity range of ${resourceId} must be whole numbers with 0 ≤ min ≤ max (got ${min}..${max})`,
      );
    }
    await aws(`Application Auto Scaling RegisterScalableTarget ${resourceId} (min ${min}, max ${max})`, () =>
      this.client.send(new RegisterScalableTargetCommand(registerScalableTargetInput(resourceId, min, max))),
    );
  }

  async describeCapacity(resourceId: string): Promise<ScalableTargetState | undefined> {
    checkResourceId(resourceId);
    const out = await aws(`Application Auto Scaling DescribeScalableTargets ${resourceId}`, () =>
      this.client.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: ECS_SERVICE_NAMESPACE,
          ScalableDimension: ECS_DESIRED_COUNT_DIMENSION,
          ResourceIds: [resourceId],
        }),
      ),
    );
    const target = (out.ScalableTargets ?? []).find(
      (x) => x.ResourceId === resourceId && x.ScalableDimension === ECS_DESIRED_COUNT_DIMENSION,
    );
    if (!target) return undefined;
    return { resourceId, min: target.MinCapacity ?? 0, max: target.MaxCapacity ?? 0 };
  }
}
