import { asArray, asRecord } from '../config';
import type { GuardrailRule } from '../types';

/** Fields the deployer writes with RegisterScalableTarget (modules/ecs/limits.ts DEPLOYER_OWNED_SCALING_FIELDS). */
const DEPLOYER_FIELDS = ['min_capacity', 'max_capacity'] as const;

export const ecsScalingDeployerOwned: GuardrailRule = {
  id: 'SY-ECS-3',
  severity: 'error',
  title: 'ECS scalable targets leave min and max capacity to the deployer',
  explanation:
    "The blue/green deployer moves each colour's Application Auto Scaling range on every release " +
    "(RegisterScalableTarget with MinCapacity and MaxCapacity: the idle colour's bake floor, the live range, " +
    '0 before a colour is scaled in). A Terraform apply that resets either field in between can scale a baking ' +
    'colour in, or start tasks on a colour that was just drained. Add both to `lifecycle.ignore_changes` of every ' +
    '`aws_appautoscaling_target` of an ECS service (`ecs:service:DesiredCount`).',
  appliesTo: ['aws_appautoscaling_target'],
  check: (resource) => {
    const c = resource.config;
    if (c.service_namespace !== 'ecs' || c.scalable_dimension !== 'ecs:service:DesiredCount') return [];
    const ignored = asArray(asRecord(c.lifecycle).ignore_changes);
    if (ignored.includes('all')) return [];
    const missing = DEPLOYER_FIELDS.filter((f) => !ignored.includes(f));
    return missing.length === 0
      ? []
      : [
          `lifecycle.ignore_changes lacks ${missing.join(', ')}; an apply would undo the deployer's capacity range`,
        ];
  },
};
