import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../services/deployer/src/cli/main';
import { FAULT_NAMES } from '../../../services/deployer/src/sim/faults';

const EXAMPLE = join(__dirname, '../../../services/deployer/examples/topology.dev.api.json');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Result {
  code: number;
  out: string;
  err: string;
}

async function sy(args: string, env: Record<string, string> = {}): Promise<Result> {
  let out = '';
  let err = '';
  const argv = args.match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
  const code = await run(
    argv,
    { USER: 'tester', SWITCHYARD_SIM_WALL_CLOCK: 'off', ...env },
    { stdout: (s) => (out += s), stderr: (s) => (err += s) },
    dir,
  );
  return { code, out, err };
}

const state = () => JSON.parse(readFileSync(join(dir, '.switchyard-sim/state.json'), 'utf8'));
const writes = () => state().snapshot.world.writes.length;
const weights = () => {
  const w = state().snapshot.world;
  const rule = Object.entries(w.rules).find(([k]) => k.endsWith('/0000000000000001'))![1] as {
    weight: number;
  }[];
  return rule.map((x) => x.weight);
};

describe('the README rehearsal, on one simulated world (no --sim-reset between commands)', () => {
  test('deploy → failed deploy → killed deploy → status → rollback --force-unlock → status: exit 0, 3, 1, 0, 0, 0', async () => {
    const codes: number[] = [];
    const first = await sy('deploy --simulate --sim-reset --env dev --service api --image-tag v1.1.0');
    codes.push(first.code);
    expect(first.out).not.toMatch(/WARN .*shorter than/); // the example bakes see CloudWatch's late data
    const failed = await sy('deploy --simulate --env dev --service api --image-tag v1.2.0 --fault 5xx-spike');
    codes.push(failed.code);
    // caught at the canary's 10%: never shifted to 100% on blue
    expect(failed.out).toMatch(/traffic: blue 10% \/ green 90%\n.*step 1\/2 \(10% on blue\)/);
    expect(failed.out).toMatch(/ERROR 5xx share of blue is/);
    expect(failed.out).not.toMatch(/traffic: blue 100% \/ green 0%|step 2\/2/);
    const killed = await sy('deploy --simulate --env dev --service api --image-tag v1.2.0 --fault kill');
    codes.push(killed.code);
    // killed mid-shift in THIS run (not at once because an earlier run already shifted traffic)
    expect(killed.out).toMatch(/traffic at blue 10% \/ green 90%/);
    const st = await sy('status --simulate --env dev --service api');
    codes.push(st.code);
    expect(st.out).toMatch(/split-weights/);
    codes.push(
      (await sy('rollback --simulate --env dev --service api --reason "deployer died" --force-unlock')).code,
    );
    const after = await sy('status --simulate --env dev --service api');
    codes.push(after.code);
    expect(after.out).toMatch(/live: green \(blue 0% \/ green 100%\)/);
    expect(codes).toEqual([0, 3, 1, 0, 0, 0]);
    expect(weights()).toEqual([0, 100]);
  });
});

describe('switchyard deploy --simulate (text)', () => {
  test('deploys, then a second deploy goes back to blue; state composes across runs', async () => {
    const a = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/live colour: blue \(blue 100% \/ green 0%\)/);
    expect(a.out).toMatch(/traffic: blue 90% \/ green 10%/);
    expect(a.out).toMatch(/step 1\/2 \(10% on green\): green 2\/2 healthy, 5xx .*, alarms OK, \d+s left/);
    expect(a.out).toMatch(/✔ deployed v1.1.0 to dev\/api on green \(release .*\) \[simulated\]/);
    expect(weights()).toEqual([0, 100]);

    const b = await sy('deploy --env dev --service api --image-tag v1.2.0 --simulate --strategy all-at-once');
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/live colour: green/);
    expect(weights()).toEqual([100, 0]);
  });

  test('a failed canary rolls back: exit 3, reason shown, 100% on blue', async () => {
    const r = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --fault 5xx-spike');
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/ERROR 5xx share of green is/);
    expect(r.out).toMatch(/traffic restored: 100% on blue/);
    expect(r.out).toMatch(/↩ rolled back v1.1.0 on dev\/api: 100% on blue, green scaled to 0/);
    expect(r.out).toMatch(/reason: 5xx: /);
    expect(weights()).toEqual([100, 0]);
    // faults apply to one command: the next deploy of the same tag succeeds
    const again = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate');
    expect(again.code).toBe(0);
  });

  test('--dry-run prints the plan and writes nothing', async () => {
    // timings of its own (not the example's), so the plan lines below come from this file
    const example = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
    const file = join(dir, 'topology.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...example,
        deployment: {
          ...example.deployment,
          bakeSeconds: 200,
          finalBakeSeconds: 300,
          terminationWaitSeconds: 330,
        },
      }),
    );
    const r = await sy(
      `deploy --env dev --service api --image-tag v1.1.0 --simulate --dry-run --strategy linear --topology ${file}`,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Plan for dev\/api \(dry run — nothing will change\)/);
    expect(r.out).toMatch(/- image .*@sha256:/);
    expect(r.out).toMatch(/\+ image .*@sha256:/);
    expect(r.out).toMatch(
      /linear: 25% \(bake 200s\) → 50% \(bake 200s\) → 75% \(bake 200s\) → 100% \(bake 200s\), then final bake 300s/,
    );
    expect(r.out).toMatch(/blue kept running 330s, then scaled to 0/);
    expect(r.out).toMatch(
      /alarms of green \+ shared: switchyard-dev-api-green-5xx-share, switchyard-dev-api-green-p95-latency, switchyard-dev-api-green-unhealthy-hosts, switchyard-dev-alb-5xx/,
    );
    expect(r.out).toMatch(
      /not gating \(blue's own, the colour being replaced\): switchyard-dev-api-blue-5xx-share/,
    );
    expect(writes()).toBe(0);
  });

  test('killed mid-shift leaves the lock and split weights; the next deploy is refused with the holder, then with the split', async () => {
    const k = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --fault kill');
    expect(k.code).toBe(1);
    expect(k.out).toMatch(/simulated kill: .* traffic at blue 90% \/ green 10%/);
    // exit 1 says the traffic state is unknown and what to run (not "traffic is on the last known good")
    expect(k.out + k.err).toMatch(
      /traffic state is unknown .*run `switchyard status --env dev --service api` before anything else, then `switchyard rollback --env dev --service api --reason "…"`/,
    );
    const before = writes();
    const held = await sy('deploy --env dev --service api --image-tag v1.2.0 --simulate');
    expect(held.code).toBe(2);
    expect(held.err).toMatch(/holds the lock for dev\/api: deploy by tester@/);
    const forced = await sy(
      'deploy --env dev --service api --image-tag v1.2.0 --simulate --force-unlock --reason "runner died"',
    );
    expect(forced.code).toBe(2);
    expect(forced.err).toMatch(/traffic of dev\/api is split \(blue 90% \/ green 10%\).*switchyard rollback/);
    expect(writes()).toBe(before);
  });
});

describe('bad input: one clear message, exit 2, no writes', () => {
  test.each([
    ['deploy --env dev --service api --simulate', /--image-tag is required/],
    ['deploy --env dev --service api --image-tag v1 --simulate --colour red', /Unknown option '--colour'/],
    ['deploy --env dev --service api --image-tag v1 --fault alarm', /--fault only works with --simulate/],
    [
      'deploy --env dev --service api --image-tag v1 --simulate --fault meteor',
      /unknown fault "meteor"; valid faults: task-crash/,
    ],
    [
      'deploy --env dev --service api --image-tag v1 --simulate --strategy big-bang',
      /--strategy must be one of all-at-once, canary, linear/,
    ],
    [
      'deploy --env dev --service api --image-tag v1 --simulate --force-unlock',
      /--force-unlock needs --reason/,
    ],
    ['deploy --env Dev! --service api --image-tag v1 --simulate', /--env "Dev!" is not a valid name/],
  ])('%s', async (args, message) => {
    const r = await sy(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(existsSync(join(dir, '.switchyard-sim/state.json')) ? writes() : 0).toBe(0);
  });

  test.each([
    [
      'unknown environment',
      'deploy --env qa --service api --image-tag v1.1.0 --simulate',
      /unknown environment\/service qa\/api — no example topology .*pass --topology FILE/,
    ],
    [
      'unknown service',
      'deploy --env dev --service billing --image-tag v1.1.0 --simulate',
      /unknown environment\/service dev\/billing/,
    ],
    [
      'missing topology file',
      'deploy --env dev --service api --image-tag v1.1.0 --simulate --topology nope.json',
      /topology file .*nope.json does not exist; check the --topology path/,
    ],
    [
      'topology of another service',
      `deploy --env staging --service api --image-tag v1.1.0 --simulate --topology ${EXAMPLE}`,
      /describes dev\/api, not staging\/api/,
    ],
    [
      'mutable tag',
      'deploy --env dev --service api --image-tag latest --simulate',
      /refusing mutable tag "latest"/,
    ],
    [
      'unresolvable tag',
      'deploy --env dev --service api --image-tag v7.7.7 --simulate',
      /tag "v7.7.7" does not exist in .*switchyard\/api; push it first/,
    ],
  ])('%s', async (_name, args, message) => {
    const r = await sy(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, '.switchyard-sim/state.json')) ? writes() : 0).toBe(0);
  });

  test('invalid topology document lists every problem', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ ...JSON.parse(readFileSync(EXAMPLE, 'utf8')), containerPort: 0, cluster: '' }),
    );
    const r = await sy(`deploy --env dev --service api --image-tag v1.1.0 --simulate --topology ${bad}`);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/invalid topology document .*bad.json/);
    expect(r.err).toMatch(/cluster/);
    expect(r.err).toMatch(/containerPort/);
  });

  test('split weights are refused (zero writes)', async () => {
    await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --dry-run');
    const s = state();
    const rule = Object.keys(s.snapshot.world.rules).find((k) => k.endsWith('/0000000000000001'))!;
    s.snapshot.world.rules[rule][0].weight = 70;
    s.snapshot.world.rules[rule][1].weight = 30;
    writeFileSync(join(dir, '.switchyard-sim/state.json'), JSON.stringify(s));
    const r = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/split \(blue 70% \/ green 30%\)/);
    expect(writes()).toBe(0);
  });
});

describe('--output json', () => {
  test('one JSON object per line, events then the result', async () => {
    const r = await sy(
      'deploy --env dev --service api --image-tag v1.1.0 --simulate --output json --fault alarm@30',
    );
    expect(r.code).toBe(3);
    const lines = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.every((l) => typeof l.type === 'string')).toBe(true);
    const types = lines.map((l) => l.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'live-state',
        'plan',
        'weights.set',
        'bake.progress',
        'gate.failed',
        'rollback.restored',
      ]),
    );
    const result = lines.at(-1);
    expect(result).toMatchObject({ type: 'result', command: 'deploy', status: 'rolled-back', exitCode: 3 });
    expect(result.reason).toMatch(/alarm: CloudWatch alarm in ALARM: switchyard-dev-api-green-5xx-share/);
    expect(result.data.restoredColour).toBe('blue');
    const set = lines.find((l) => l.type === 'weights.set');
    expect(set.data).toEqual({ blue: 90, green: 10 });
  });

  test('flag errors are JSON too when --output json was asked for', async () => {
    const r = await sy('deploy --env dev --service api --simulate --output json --bogus');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out.trim())).toMatchObject({
      type: 'result',
      command: 'deploy',
      status: 'refused',
      exitCode: 2,
    });
    expect(r.err).toMatch(/Unknown option '--bogus'/);
  });

  test('refusals are JSON too', async () => {
    const r = await sy('deploy --env dev --service api --image-tag latest --simulate --output json');
    expect(r.code).toBe(2);
    const result = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .at(-1);
    expect(result).toMatchObject({
      type: 'result',
      status: 'refused',
      exitCode: 2,
      data: { code: 'mutable-tag' },
    });
  });
});

describe('GitHub Actions mode', () => {
  test('groups, one ::error:: annotation with the reason, Markdown summary appended', async () => {
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# existing\n');
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_ACTOR: 'octocat',
      GITHUB_RUN_ID: '42',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abc123',
    };
    const r = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --fault 5xx-spike', env);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/^::group::Preflight$/m);
    expect(r.out).toMatch(/^::group::Roll out the idle colour$/m);
    expect(r.out).toMatch(/^::group::Shift traffic$/m);
    expect(r.out).toMatch(/^::group::Roll back$/m);
    expect(r.out.match(/^::group::/gm)!.length).toBe(r.out.match(/^::endgroup::$/gm)!.length);
    const errors = r.out.match(/^::error .*$/gm)!;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error title=switchyard deploy rolled back \(exit 3\)::rolled back v1.1.0 on dev\/api.*: 5xx: 5xx share of green/,
    );
    expect(r.out.includes('\u001b[')).toBe(false); // plain lines, no ANSI colours
    const md = readFileSync(summary, 'utf8');
    expect(md).toMatch(/^# existing\n/);
    expect(md).toMatch(/### ↩️ switchyard deploy: rolled back v1.1.0 on dev\/api/);
    expect(md).toMatch(/\| Failed gate \| 5xx \|/);
    expect(md).toMatch(/\| Traffic \| 100% on blue \(last known good\) \|/);

    const ok = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate', env);
    expect(ok.code).toBe(0);
    expect(ok.out).not.toMatch(/^::error/m);
    expect(readFileSync(summary, 'utf8')).toMatch(
      /### ✅ switchyard deploy: deployed v1.1.0 to dev\/api on green/,
    );
    // the release records the CI actor and run
    const rel = state().snapshot.releases[0];
    expect(rel).toMatchObject({
      actor: 'octocat',
      commitSha: 'abc123',
      runUrl: 'https://github.com/acme/shop/actions/runs/42',
    });
  });

  test('bad input in Actions: an ::error:: annotation and exit 2', async () => {
    const r = await sy('deploy --env dev --service api --simulate', { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^::error title=switchyard deploy refused \(exit 2\)::.*--image-tag is required/m);
  });
});

describe('help and dispatch', () => {
  test.each(['deploy', 'rollback', 'promote', 'status'])('%s --help', async (cmd) => {
    const r = await sy(`${cmd} --help`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Usage: switchyard ${cmd}`));
  });

  test('deploy --help documents every flag and the exit codes', async () => {
    const r = await sy('deploy --help');
    for (const flag of [
      '--env',
      '--service',
      '--image-tag',
      '--strategy',
      '--dry-run',
      '--output',
      '--topology',
      '--simulate',
      '--fault',
      '--force-unlock',
      '--reason',
    ]) {
      expect(r.out).toContain(flag);
    }
    expect(r.out).toMatch(
      /0 deployed .* 1 internal error \(traffic state unknown: run\n\s+switchyard status\), 2 refused/,
    );
    expect(r.out).toMatch(/3 rolled back/);
  });

  test('the common help names every simulation fault', async () => {
    const r = await sy('deploy --help');
    const listed = r.out.split('inject a fault (repeatable):')[1]?.split('--seed')[0] ?? '';
    const names = listed.split(/[\s,]+/).filter(Boolean);
    expect([...names].sort()).toEqual([...FAULT_NAMES].sort());
  });

  test('--help lists the commands; unknown command is exit 2; no command is exit 2', async () => {
    expect((await sy('--help')).out).toMatch(/Commands:\n {2}deploy/);
    const u = await sy('deploy-all');
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/unknown command "deploy-all"/);
    expect((await run([], {}, { stdout: () => {}, stderr: () => {} })).valueOf()).toBe(2);
  });
});

describe('usage errors with --output json (every command)', () => {
  test.each([
    ['deploy --env dev --service api --simulate --output json', /--image-tag/],
    ['rollback --env dev --service api --simulate --output json --bogus', /bogus/],
    ['promote --service api --from dev --to staging --simulate --output json --bogus', /bogus/],
    ['status --env dev --simulate --output json --bogus', /bogus/],
  ])('%s → one JSON result line, refused, exit 2', async (args, reason) => {
    const r = await sy(args);
    expect(r.code).toBe(2);
    const lines = r.out.trim().split('\n');
    const result = JSON.parse(lines[lines.length - 1]);
    expect(result).toMatchObject({ type: 'result', status: 'refused', exitCode: 2 });
    expect(result.reason).toMatch(reason);
  });
});
