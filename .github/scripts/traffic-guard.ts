/**
 * The plan guard: refuses a Terraform plan that would put production traffic on a colour with no tasks
 * (issue 12). plan-summary.ts runs it on `terraform show -json tfplan` and, in infra-environment.yml,
 * fails the plan job when it refuses (no apply happens).
 *
 * Why it is needed. Each service's production listener rule is declared forwarding blue 100 / green 0 and
 * Terraform then ignores its `action`: the deployer owns the weights and, after a release to green, scales
 * blue to 0. Terraform writes the declared action again only when it *creates* the rule, which happens when
 * the rule is replaced (its only ForceNew argument is listener_arn), when its listener is replaced or
 * deleted (AWS deletes a listener's rules with it), or when the rule moves to another address. Any of
 * those, applied while green is live, sends all traffic to blue's empty target group: 503s.
 *
 * How the live colour is known. `terraform plan` refreshes every resource first, so each entry of
 * `resource_changes` carries in `change.before` the rule as AWS has it now — the weights the deployer
 * last wrote — and `prior_state` holds the refreshed target groups with their `switchyard:colour` tags
 * (Terraform JSON output format: "prior_state is a representation of the state that the configuration is
 * being applied to"; "before and after are representations of the object value both before and after the
 * action"). The colour Terraform would choose is the rule's `switchyard:initial-colour` tag (guardrail
 * SY-ALB-5 keeps it equal to the declared action).
 *
 * Rules:
 * - re-creating a production rule (replace, its listener replaced or deleted, or deleted and created
 *   under another address) is allowed only when the live colour is the one Terraform would choose, with
 *   no split weights; the allowed ones are listed so the apply job can check the weights again right
 *   before applying (a release may have moved traffic since the plan);
 * - replacing a blue/green target group is refused: the rule's forward action still names it (Terraform
 *   ignores that action), so deleting the old group fails with ResourceInUse half-way through the apply;
 * - replacing the ECS service of the live colour is refused: it deletes the tasks that serve (a new green
 *   service even starts at 0 tasks);
 * - deleting a production rule while the service's ECS services stay is refused (its traffic would get
 *   the listener's 404).
 *
 * Pure: no I/O. Only addresses, ARNs, colours and service names reach the messages — never other values.
 */
import { TRAFFIC_TAGS } from '../../modules/ecs/limits';

type Rec = Readonly<Record<string, unknown>>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const recs = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter(isRec) : []);

export type Colour = 'blue' | 'green';
const isColour = (v: unknown): v is Colour => v === 'blue' || v === 'green';

/** A plan the guard refuses to apply: one entry per reason, naming the resource and what to do. */
export interface TrafficRefusal {
  readonly service: string;
  readonly address: string;
  readonly reason: string;
}

/** A re-created rule whose reset is harmless now: the live colour is the one Terraform writes. */
export interface AllowedReset {
  readonly service: string;
  readonly address: string;
  /** ARN of the rule as it is now (the apply job reads its weights again before applying). */
  readonly ruleArn: string;
  readonly liveColour: Colour;
  /** The only target group with weight > 0 now. */
  readonly targetGroupArn: string;
}

export interface TrafficCheck {
  readonly refusals: readonly TrafficRefusal[];
  readonly allowedResets: readonly AllowedReset[];
}

type Kind = 'create' | 'delete' | 'replace' | 'update' | 'other';

interface Change {
  readonly address: string;
  readonly type: string;
  readonly kind: Kind;
  readonly before?: Rec;
  readonly after?: Rec;
  readonly replacePaths: readonly (readonly unknown[])[];
}

function kindOf(actions: readonly unknown[]): Kind {
  const has = (a: string) => actions.includes(a);
  if (has('delete') && has('create')) return 'replace';
  if (has('delete')) return 'delete';
  if (has('create')) return 'create';
  if (has('update')) return 'update';
  return 'other';
}

function changesOf(plan: Rec): Change[] {
  const out: Change[] = [];
  for (const rc of recs(plan['resource_changes'])) {
    // Deposed objects (left by an earlier create_before_destroy) are not the live resource.
    if (rc['mode'] !== 'managed' || rc['deposed'] !== undefined) continue;
    const change = isRec(rc['change']) ? rc['change'] : {};
    const actions = Array.isArray(change['actions']) ? change['actions'] : [];
    out.push({
      address: String(rc['address']),
      type: String(rc['type']),
      kind: kindOf(actions),
      before: isRec(change['before']) ? change['before'] : undefined,
      after: isRec(change['after']) ? change['after'] : undefined,
      replacePaths: Array.isArray(change['replace_paths'])
        ? change['replace_paths'].filter(Array.isArray)
        : [],
    });
  }
  return out;
}

/** Every managed resource of the refreshed prior state (root and child modules). */
function priorResources(plan: Rec): { type: string; address: string; values: Rec }[] {
  const out: { type: string; address: string; values: Rec }[] = [];
  const walk = (mod: unknown): void => {
    if (!isRec(mod)) return;
    for (const r of recs(mod['resources'])) {
      if (r['mode'] === 'managed' && isRec(r['values'])) {
        out.push({ type: String(r['type']), address: String(r['address']), values: r['values'] });
      }
    }
    for (const child of recs(mod['child_modules'])) walk(child);
  };
  const prior = isRec(plan['prior_state']) ? plan['prior_state'] : {};
  walk(isRec(prior['values']) ? prior['values']['root_module'] : undefined);
  return out;
}

const tagsOf = (values: Rec | undefined): Rec => {
  if (!values) return {};
  const tags = isRec(values['tags']) ? values['tags'] : {};
  const all = isRec(values['tags_all']) ? values['tags_all'] : {};
  return { ...all, ...tags };
};

interface Group {
  readonly arn: unknown;
  readonly weight: number;
}

/** Target groups of a rule's forward actions, with weights (a plain `target_group_arn` counts as one group). */
function groupsOf(rule: Rec | undefined): Group[] {
  const groups: Group[] = [];
  for (const action of recs(rule?.['action'])) {
    if (String(action['type']).toLowerCase() !== 'forward') continue;
    const forwardBlocks = recs(action['forward']);
    const listed = forwardBlocks.flatMap((f) => recs(f['target_group']));
    for (const g of listed)
      groups.push({ arn: g['arn'], weight: typeof g['weight'] === 'number' ? g['weight'] : 1 });
    if (
      listed.length === 0 &&
      typeof action['target_group_arn'] === 'string' &&
      action['target_group_arn'] !== ''
    ) {
      groups.push({ arn: action['target_group_arn'], weight: 1 });
    }
  }
  return groups;
}

/** The name part of a target group ARN (summaries name groups, they never print account ids). */
function targetGroupName(arn: unknown): string {
  return (typeof arn === 'string' ? /:targetgroup\/([^/]+)\//.exec(arn)?.[1] : undefined) ?? 'unknown';
}

/** The colour of a target group ARN: its `switchyard:colour` tag in the prior state, else its name suffix. */
function colourIndex(plan: Rec, changes: readonly Change[]): (arn: unknown) => Colour | undefined {
  const byArn = new Map<string, Colour>();
  const remember = (values: Rec | undefined) => {
    const colour = tagsOf(values)[TRAFFIC_TAGS.colour];
    if (values && typeof values['arn'] === 'string' && isColour(colour)) byArn.set(values['arn'], colour);
  };
  for (const r of priorResources(plan)) if (r.type === 'aws_lb_target_group') remember(r.values);
  for (const c of changes) if (c.type === 'aws_lb_target_group') remember(c.before);
  return (arn) => {
    if (typeof arn !== 'string') return undefined;
    const known = byArn.get(arn);
    if (known) return known;
    const suffix = /-(blue|green)$/.exec(targetGroupName(arn))?.[1];
    return isColour(suffix) ? suffix : undefined;
  };
}

type Live =
  | { readonly ok: true; readonly colour: Colour; readonly targetGroupArn: string }
  | { readonly ok: false; readonly why: string };

/** Which colour the rule serves now (from its refreshed `before`). */
function liveOf(rule: Rec | undefined, colourOf: (arn: unknown) => Colour | undefined): Live {
  const serving = groupsOf(rule).filter((g) => g.weight > 0);
  if (serving.length === 0) return { ok: false, why: 'no target group has a weight above 0 now' };
  const colours = serving.map((g) => colourOf(g.arn));
  if (colours.some((c) => c === undefined)) {
    return {
      ok: false,
      why: `it forwards to a target group that is not a blue/green group of this stack (${serving.map((g) => targetGroupName(g.arn)).join(', ')})`,
    };
  }
  if (new Set(colours).size > 1 || serving.length > 1) {
    const weights = groupsOf(rule)
      .map((g) => `${colourOf(g.arn) ?? targetGroupName(g.arn)} ${g.weight}`)
      .join(' / ');
    return {
      ok: false,
      why: `its weights are split (${weights}): a deploy is in progress or was interrupted`,
    };
  }
  return { ok: true, colour: colours[0]!, targetGroupArn: String(serving[0]!.arn) };
}

const serviceOfRule = (c: Change, colourless: (arn: unknown) => string | undefined): string => {
  const tagged = tagsOf(c.after)[TRAFFIC_TAGS.service] ?? tagsOf(c.before)[TRAFFIC_TAGS.service];
  if (typeof tagged === 'string') return tagged;
  for (const g of [...groupsOf(c.before), ...groupsOf(c.after)]) {
    const s = colourless(g.arn);
    if (s) return s;
  }
  return c.address;
};

const isWeighted = (c: Change): boolean =>
  groupsOf(c.before).length >= 2 ||
  groupsOf(c.after).length >= 2 ||
  tagsOf(c.after)[TRAFFIC_TAGS.rule] === 'production' ||
  tagsOf(c.before)[TRAFFIC_TAGS.rule] === 'production';

const CHANGE_PATHS: Readonly<Record<string, string>> = {
  port: 'its port (services[].containerPort) changed',
  vpc_id: 'the VPC is replaced',
  name: 'its name changed (project, environment or service name)',
  name_prefix: 'its name changed',
  protocol: 'its protocol changed',
  target_type: 'its target type changed',
};

function whyReplaced(c: Change): string {
  const fields = [...new Set(c.replacePaths.map((p) => String(p[0])))];
  if (fields.length === 0) return 'it is replaced';
  return fields.map((f) => CHANGE_PATHS[f] ?? `${f} changed`).join(', ');
}

/** Runs the guard on a parsed `terraform show -json` plan (already checked to be a plan object). */
export function checkTraffic(plan: Rec): TrafficCheck {
  const changes = changesOf(plan);
  const colourOf = colourIndex(plan, changes);
  const refusals: TrafficRefusal[] = [];
  const allowedResets: AllowedReset[] = [];

  // Service of a target group ARN (from tags), to name services of untagged (older) rules.
  const serviceByArn = new Map<string, string>();
  const learnService = (values: Rec | undefined) => {
    const s = tagsOf(values)[TRAFFIC_TAGS.service];
    if (values && typeof values['arn'] === 'string' && typeof s === 'string')
      serviceByArn.set(values['arn'], s);
  };
  for (const r of priorResources(plan)) if (r.type === 'aws_lb_target_group') learnService(r.values);
  for (const c of changes) if (c.type === 'aws_lb_target_group') learnService(c.before);
  const serviceOfArn = (arn: unknown) => (typeof arn === 'string' ? serviceByArn.get(arn) : undefined);

  const rules = changes.filter((c) => c.type === 'aws_lb_listener_rule' && isWeighted(c));
  const leavingListeners = new Set(
    changes
      .filter((c) => c.type === 'aws_lb_listener' && (c.kind === 'replace' || c.kind === 'delete'))
      .map((c) => c.before?.['arn'])
      .filter((a): a is string => typeof a === 'string'),
  );
  const servicesOf = (service: string) =>
    changes.filter(
      (c) =>
        c.type === 'aws_ecs_service' &&
        (tagsOf(c.after)[TRAFFIC_TAGS.service] ?? tagsOf(c.before)[TRAFFIC_TAGS.service]) === service,
    );
  const liveByService = new Map<string, Live>();
  for (const r of rules) {
    if (r.before) liveByService.set(serviceOfRule(r, serviceOfArn), liveOf(r.before, colourOf));
  }

  const terraformColour = (rule: Rec | undefined): Colour | undefined => {
    const tagged = tagsOf(rule)[TRAFFIC_TAGS.initialColour];
    if (isColour(tagged)) return tagged;
    const serving = groupsOf(rule).filter((g) => g.weight > 0);
    const colours = [...new Set(serving.map((g) => colourOf(g.arn)))];
    return colours.length === 1 ? colours[0] : undefined;
  };

  const checkReset = (service: string, old: Change, recreated: Rec | undefined, how: string): void => {
    const live = liveOf(old.before, colourOf);
    const writes = terraformColour(recreated);
    if (!live.ok) {
      refusals.push({
        service,
        address: old.address,
        reason: `${how}, which resets its weights, but the colour serving ${service} now cannot be told: ${live.why}. Finish or roll back the deploy (\`switchyard status\`, \`switchyard rollback\`), then plan again.`,
      });
      return;
    }
    if (writes === undefined) {
      refusals.push({
        service,
        address: old.address,
        reason: `${how}, but the plan does not say which colour the new rule serves (no ${TRAFFIC_TAGS.initialColour} tag); not applying.`,
      });
      return;
    }
    if (live.colour !== writes) {
      refusals.push({
        service,
        address: old.address,
        reason:
          `${how}: the new rule sends 100 % to ${writes}, but ${live.colour} serves ${service} now ` +
          `(${writes} has no tasks after a release to ${live.colour}) — that would be an outage. Make ${writes} ` +
          `the live colour first: deploy the next release (\`switchyard deploy\` goes to the idle colour, ${writes}), ` +
          `or roll back to the release that ran on ${writes} (\`switchyard rollback\`); then plan again.`,
      });
      return;
    }
    const ruleArn = old.before?.['arn'];
    if (typeof ruleArn === 'string') {
      allowedResets.push({
        service,
        address: old.address,
        ruleArn,
        liveColour: live.colour,
        targetGroupArn: live.targetGroupArn,
      });
    }
  };

  for (const r of rules) {
    const service = serviceOfRule(r, serviceOfArn);
    const listenerLeaving =
      typeof r.before?.['listener_arn'] === 'string' && leavingListeners.has(r.before['listener_arn']);
    if (r.kind === 'replace') {
      checkReset(
        service,
        r,
        r.after,
        `the production rule of ${service} is re-created (${whyReplacedRule(r)})`,
      );
    } else if (r.kind === 'delete' || (r.before && listenerLeaving)) {
      const survivors = servicesOf(service).filter((s) => s.kind !== 'delete');
      const successor = rules.find(
        (o) => o !== r && o.kind === 'create' && serviceOfRule(o, serviceOfArn) === service,
      );
      if (listenerLeaving && r.kind !== 'delete') {
        checkReset(
          service,
          r,
          r.after,
          `the listener of the production rule of ${service} is replaced or deleted (AWS deletes its rules with it)`,
        );
      } else if (successor) {
        checkReset(
          service,
          r,
          successor.after,
          `the production rule of ${service} moves to ${successor.address} (deleted and created)`,
        );
      } else if (survivors.length > 0) {
        refusals.push({
          service,
          address: r.address,
          reason: `the production rule of ${service} is deleted while its ECS services stay: its requests would get the listener's 404. Remove the service from the YAML as a whole, or keep its routing.`,
        });
      }
    }
  }

  for (const c of changes) {
    if (c.kind !== 'replace') continue;
    const tags = { ...tagsOf(c.before), ...tagsOf(c.after) };
    const colour = tags[TRAFFIC_TAGS.colour];
    const service =
      typeof tags[TRAFFIC_TAGS.service] === 'string' ? String(tags[TRAFFIC_TAGS.service]) : c.address;
    if (c.type === 'aws_lb_target_group' && isColour(colour)) {
      refusals.push({
        service,
        address: c.address,
        reason:
          `the ${colour} target group of ${service} is replaced (${whyReplaced(c)}). Its production rule keeps ` +
          `forwarding to the old group (the deployer owns that action; Terraform ignores it), so deleting the old ` +
          `group fails with ResourceInUse half-way through the apply, and re-pointing the rule would reset its ` +
          `weights. To change it, add the service again under a new name with the new setting and a larger ` +
          `routing.priority than the old one (same host/path), deploy it, then remove the old service.`,
      });
    }
    if (c.type === 'aws_ecs_service' && isColour(colour)) {
      const live = liveByService.get(service);
      if (live?.ok && live.colour !== colour) continue; // the idle colour: no tasks, no traffic
      refusals.push({
        service,
        address: c.address,
        reason: live?.ok
          ? `the ECS service ${service}-${colour} is replaced (${whyReplaced(c)}) while ${colour} serves ${service}: its tasks would be deleted under live traffic. Deploy a release first so that ${colour} becomes the idle colour, then plan again.`
          : `the ECS service ${service}-${colour} is replaced (${whyReplaced(c)}) and the live colour of ${service} cannot be told${live ? `: ${live.why}` : ' (no production rule in the plan)'}; not applying.`,
      });
    }
  }
  return { refusals, allowedResets };
}

function whyReplacedRule(c: Change): string {
  const fields = [...new Set(c.replacePaths.map((p) => String(p[0])))];
  if (fields.includes('listener_arn')) return 'its listener changes';
  return fields.length > 0 ? `${fields.join(', ')} changed` : 'replaced';
}
