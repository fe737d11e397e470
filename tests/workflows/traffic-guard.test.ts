/**
 * .github/scripts/traffic-guard.ts on plan JSON fixtures shaped like `terraform show -json tfplan`
 * (format 1.2: resource_changes with refreshed `before`, replace_paths, action_reason; prior_state values):
 * Terraform must never reset production traffic onto a colour with no tasks (issue 12 item 1).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderSummary, runCli, summarisePlan } from '../../.github/scripts/plan-summary';
import { checkTraffic } from '../../.github/scripts/traffic-guard';

type Json = Record<string, unknown>;
const load = (name: string): Json =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as Json;
const LISTENER_CASE = 'plan-listener-replaced-green-live.json';
const PORT_CASE = 'plan-target-group-replaced.json';

const TG_BLUE =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/switchyard-dev-api-blue/6d0ecf831eec9f09';
const TG_GREEN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/switchyard-dev-api-green/a1b2c3d4e5f60718';
const RULE_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/switchyard-dev/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const RULE = 'aws_lb_listener_rule.ecs_service-api_production-rule_763030DA';

type Change = { address: string; change: { actions: string[]; before: Json | null; after: Json | null } };
const changeOf = (plan: Json, address: string) =>
  (plan['resource_changes'] as Change[]).find((c) => c.address === address)!;

/** Sets the weights the deployer last wrote (what the refreshed `before` of the rule shows). */
function withLiveWeights(plan: Json, blue: number, green: number): Json {
  const copy = structuredClone(plan);
  const before = changeOf(copy, RULE).change.before as {
    action: { forward: { target_group: { arn: string; weight: number }[] }[] }[];
  };
  before.action[0]!.forward[0]!.target_group = [
    { arn: TG_BLUE, weight: blue },
    { arn: TG_GREEN, weight: green },
  ];
  return copy;
}

describe('a plan that re-creates the production rule (its listener goes: a certificate added on the old synth)', () => {
  const plan = load(LISTENER_CASE);

  it('is refused while green serves: the new rule would send 100 % to blue, which has no tasks', () => {
    const { refusals, allowedResets } = checkTraffic(plan);
    expect(allowedResets).toEqual([]);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ service: 'api', address: RULE });
    expect(refusals[0]!.reason).toContain(
      'the production rule of api is re-created (its listener changes): the new rule sends 100 % to blue, but green serves api now',
    );
    expect(refusals[0]!.reason).toContain('Make blue the live colour first');
  });

  it('is allowed while blue serves (nothing moves), and names the rule for the check right before apply', () => {
    const { refusals, allowedResets } = checkTraffic(withLiveWeights(plan, 100, 0));
    expect(refusals).toEqual([]);
    expect(allowedResets).toEqual([
      { service: 'api', address: RULE, ruleArn: RULE_ARN, liveColour: 'blue', targetGroupArn: TG_BLUE },
    ]);
  });

  it('is refused when the weights are split (a deploy in progress or interrupted)', () => {
    const [refusal] = checkTraffic(withLiveWeights(plan, 90, 10)).refusals;
    expect(refusal!.reason).toContain('its weights are split (blue 90 / green 10)');
  });

  it('is refused when the live target group is not a blue/green group it knows', () => {
    const copy = withLiveWeights(plan, 0, 100);
    const before = changeOf(copy, RULE).change.before as {
      action: { forward: { target_group: { arn: string }[] }[] }[];
    };
    before.action[0]!.forward[0]!.target_group[1]!.arn =
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/someone-elses/0123456789abcdef';
    const { reason } = checkTraffic(copy).refusals[0]!;
    expect(reason).toContain('not a blue/green group of this stack (someone-elses)');
    expect(reason).not.toContain('123456789012');
  });

  it('is refused when only the listener is deleted and the rule would go with it', () => {
    const copy = structuredClone(plan);
    const rule = changeOf(copy, RULE);
    rule.change.actions = ['no-op'];
    rule.change.after = rule.change.before;
    const [refusal] = checkTraffic(copy).refusals;
    expect(refusal!.reason).toContain('the listener of the production rule of api is replaced or deleted');
    expect(refusal!.reason).toContain('green serves api now');
  });

  it('is refused when the rule moves to another address while green serves', () => {
    const copy = structuredClone(plan);
    const rule = changeOf(copy, RULE);
    const after = rule.change.after;
    rule.change.actions = ['delete'];
    rule.change.after = null;
    (copy['resource_changes'] as Change[]).push({
      ...structuredClone(rule),
      address: 'aws_lb_listener_rule.ecs_service-api_prod_0000',
      change: { actions: ['create'], before: null, after },
    });
    expect(checkTraffic(copy).refusals[0]!.reason).toContain(
      'moves to aws_lb_listener_rule.ecs_service-api_prod_0000',
    );
  });
});

describe('a plan that deletes the production rule', () => {
  const plan = withLiveWeights(load(LISTENER_CASE), 100, 0);
  const deleteRule = (p: Json) => {
    const rule = changeOf(p, RULE);
    rule.change.actions = ['delete'];
    rule.change.after = null;
    for (const c of p['resource_changes'] as Change[]) {
      if (c.address.startsWith('aws_lb_listener.')) c.change.actions = ['no-op'];
    }
    return p;
  };
  it('is refused while the service keeps its ECS services (its traffic would get a 404)', () => {
    expect(checkTraffic(deleteRule(structuredClone(plan))).refusals[0]!.reason).toContain(
      "is deleted while its ECS services stay: its requests would get the listener's 404",
    );
  });
  it('is fine when the whole service goes', () => {
    const copy = deleteRule(structuredClone(plan));
    for (const c of copy['resource_changes'] as Change[]) {
      if (c.address.startsWith('aws_ecs_service.')) c.change.actions = ['delete'];
    }
    expect(checkTraffic(copy).refusals).toEqual([]);
  });
});

describe('a containerPort change (both target groups replaced)', () => {
  const plan = load(PORT_CASE);
  it('is refused with the cause and the way to do it: the old groups stay in use by the rule (ResourceInUse)', () => {
    const { refusals } = checkTraffic(plan);
    expect(refusals.map((r) => r.address)).toEqual([
      'aws_lb_target_group.ecs_service-api_tg-blue_3E952E00',
      'aws_lb_target_group.ecs_service-api_tg-green_887DD1E9',
    ]);
    expect(refusals[0]!.reason).toContain(
      'the blue target group of api is replaced (its port (services[].containerPort) changed)',
    );
    expect(refusals[0]!.reason).toContain('fails with ResourceInUse');
    expect(refusals[0]!.reason).toContain('add the service again under a new name');
  });
});

describe('replacing an ECS service', () => {
  const replace = (colour: 'blue' | 'green') => {
    const copy = load(PORT_CASE);
    for (const c of copy['resource_changes'] as (Change & { type: string })[]) {
      if (c.type === 'aws_lb_target_group') c.change.actions = ['no-op'];
      if (c.address.includes(`service-${colour}`)) {
        c.change.actions = ['delete', 'create'];
        (c.change as Json)['replace_paths'] = [['name']];
      }
    }
    return checkTraffic(copy).refusals;
  };
  it('of the idle colour is fine (no tasks, no traffic)', () => {
    expect(replace('green')).toEqual([]);
  });
  it('of the live colour is refused', () => {
    expect(replace('blue')[0]!.reason).toContain('the ECS service api-blue is replaced');
    expect(replace('blue')[0]!.reason).toContain('while blue serves api');
  });
});

describe('plan-summary: the guard in the summary, the outputs and the exit code', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'traffic-guard-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the refusal loudly in the summary', () => {
    const md = renderSummary(summarisePlan(load(LISTENER_CASE)), { environment: 'dev' });
    expect(md).toContain('**The traffic guard refuses this plan');
    expect(md).toContain(`\`${RULE}\`: the production rule of api is re-created`);
  });

  it('exits 4 with an error annotation under --fail-on-unsafe-traffic-change (the infra workflow)', () => {
    const logs: string[] = [];
    const ghOut = join(dir, 'out');
    const res = runCli(
      [
        '--environment',
        'dev',
        '--plan-json',
        join(__dirname, 'fixtures', LISTENER_CASE),
        '--out',
        join(dir, 's.md'),
        '--github-output',
        ghOut,
        '--fail-on-unsafe-traffic-change',
      ],
      (l) => logs.push(l),
    );
    expect(res.exitCode).toBe(4);
    expect(logs[0]).toMatch(/^::error title=Traffic guard refuses the plan \(dev\)::aws_lb_listener_rule\./);
    expect(readFileSync(ghOut, 'utf8')).toContain('traffic-refusals=1\ntraffic-recheck=\n');
  });

  it('only warns without the flag (pull-request plans)', () => {
    const logs: string[] = [];
    const res = runCli(
      [
        '--environment',
        'dev',
        '--plan-json',
        join(__dirname, 'fixtures', LISTENER_CASE),
        '--out',
        join(dir, 's.md'),
      ],
      (l) => logs.push(l),
    );
    expect(res.exitCode).toBe(0);
    expect(logs[0]).toMatch(/^::warning title=Traffic guard refuses the plan \(dev\)::/);
  });

  it('hands the allowed re-creations to the apply job as <rule>@<target group> pairs', () => {
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(withLiveWeights(load(LISTENER_CASE), 100, 0)));
    const ghOut = join(dir, 'out');
    const res = runCli(
      [
        '--environment',
        'dev',
        '--plan-json',
        planFile,
        '--out',
        join(dir, 's.md'),
        '--github-output',
        ghOut,
        '--fail-on-unsafe-traffic-change',
      ],
      () => undefined,
    );
    expect(res.exitCode).toBe(0);
    expect(readFileSync(ghOut, 'utf8')).toContain(
      `traffic-refusals=0\ntraffic-recheck=${RULE_ARN}@${TG_BLUE}\n`,
    );
    expect(readFileSync(join(dir, 's.md'), 'utf8')).toContain(
      're-created with 100 % on blue, the colour serving now',
    );
  });
});
