import { TRAFFIC_TAGS } from '../../ecs/limits';
import { asArray, asRecord, block, isTrue, referencedLogicalId, resourcesOfType } from '../config';
import type { GuardrailRule } from '../types';

/** Weighted forward actions: the target groups of each `forward` block (≥ 2 means blue/green weights). */
function weightedGroups(config: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>>[] {
  const groups: Readonly<Record<string, unknown>>[] = [];
  for (const raw of asArray(config.action)) {
    const action = asRecord(raw);
    if (action.type !== 'forward') continue;
    groups.push(...asArray(block(action.forward).target_group).map(asRecord));
  }
  return groups.length >= 2 ? groups : [];
}

export const albWeightedRuleGuarded: GuardrailRule = {
  id: 'SY-ALB-5',
  severity: 'error',
  title:
    'weighted listener rules leave their weights to the deployer and name the colour a re-creation serves',
  explanation:
    'A listener rule that forwards to a blue and a green target group carries weights the deployer moves on ' +
    'every release. Terraform must ignore its `action` (otherwise every apply resets the weights), must not ' +
    '`create_before_destroy` it (the copy would collide on the priority), and must tag it ' +
    `\`${TRAFFIC_TAGS.initialColour}\` with the colour its declared action sends traffic to: a re-created rule ` +
    "starts from that action, and the infra workflow's plan guard (.github/scripts/traffic-guard.ts) refuses " +
    'such a plan unless that colour is the live one — it reads this tag.',
  appliesTo: ['aws_lb_listener_rule'],
  contextTypes: ['aws_lb_target_group'],
  check: (resource, context) => {
    const groups = weightedGroups(resource.config);
    if (groups.length === 0) return [];
    const problems: string[] = [];
    const lifecycle = asRecord(resource.config.lifecycle);
    const ignored = asArray(lifecycle.ignore_changes);
    if (!ignored.includes('action') && !ignored.includes('all')) {
      problems.push(
        'lifecycle.ignore_changes lacks "action": every apply would reset the deployer\'s weights',
      );
    }
    if (isTrue(lifecycle.create_before_destroy)) {
      problems.push(
        'create_before_destroy re-creates the rule next to itself (same priority) with reset weights',
      );
    }
    const tagged = asRecord(resource.config.tags)[TRAFFIC_TAGS.initialColour];
    const served = groups.filter((g) => typeof g.weight === 'number' && g.weight > 0);
    const colours = served.map((g) => {
      const id = referencedLogicalId(g.arn, 'aws_lb_target_group', ['arn', 'id']);
      const tg = resourcesOfType(context, 'aws_lb_target_group').find((t) => t.logicalId === id);
      return asRecord(tg?.config.tags)[TRAFFIC_TAGS.colour];
    });
    if (typeof tagged !== 'string') {
      problems.push(
        `no ${TRAFFIC_TAGS.initialColour} tag: the plan guard cannot tell which colour a re-creation serves`,
      );
    } else if (colours.length !== 1 || colours[0] !== tagged) {
      problems.push(
        `${TRAFFIC_TAGS.initialColour} is "${tagged}" but the declared action serves ${colours.length === 1 ? `"${String(colours[0])}"` : `${colours.length} target groups`}`,
      );
    }
    return problems;
  },
};
