/** `switchyard rollback | promote | status` through the CLI entry point, against the simulation state file. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../services/deployer/src/cli/main';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-ops-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function sy(args: string, env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const argv = args.match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
  const code = await run(
    argv,
    { USER: 'oncall', SWITCHYARD_SIM_WALL_CLOCK: 'off', ...env },
    { stdout: (s) => (out += s), stderr: (s) => (err += s) },
    dir,
  );
  return { code, out, err };
}

const state = () => JSON.parse(readFileSync(join(dir, '.switchyard-sim/state.json'), 'utf8'));
const worldWrites = () => state().snapshot.world.writes.length;
const releases = () =>
  state().snapshot.releases as { id: string; outcome: string; kind: string; environment: string }[];
const weights = (env = 'dev') => {
  const rules = state().snapshot.world.rules as Record<string, { targetGroupArn: string; weight: number }[]>;
  const rule = Object.entries(rules).find(
    ([k]) => k.includes(`app/switchyard-${env}/`) && k.endsWith('/0000000000000001'),
  )![1];
  return rule.map((x) => x.weight);
};

test('--help of every command', async () => {
  for (const c of ['rollback', 'promote', 'status']) {
    const r = await sy(`${c} --help`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Usage: switchyard ${c} `));
    expect(r.out).toContain('Exit codes:');
  }
});

test('status, rollback by redeploy, then status again (text)', async () => {
  const s0 = await sy('status --env dev --simulate');
  expect(s0.code).toBe(0);
  expect(s0.out).toMatch(/dev\/api {2}live: blue \(blue 100% \/ green 0%\) \[simulated\]/);
  expect(s0.out).toContain('releases: none recorded');

  expect(
    (await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --strategy all-at-once')).code,
  ).toBe(0);
  expect(
    (await sy('deploy --env dev --service api --image-tag v1.2.0 --simulate --strategy all-at-once')).code,
  ).toBe(0);
  const rb = await sy(
    'rollback --env dev --service api --reason "bad 1.2" --simulate --strategy all-at-once',
  );
  expect(rb.code).toBe(0);
  expect(rb.out).toMatch(
    /✔ rolled back dev\/api to v1\.1\.0 \(sha256:\w+\) by blue\/green redeploy onto green \(release .*-rollback-\w+\) \[simulated\]/,
  );
  expect(weights()).toEqual([0, 100]);
  const s1 = await sy('status --env dev --service api --simulate');
  expect(s1.out).toMatch(/rollback +v1\.1\.0 +green deployed/);
  expect(s1.out).toMatch(/deploy +v1\.2\.0 +blue +rolled-back/);
  expect(s1.out).toContain('reason: rolled back by');
  expect(s1.out).toMatch(/✔ status of dev: 1 service\(s\), 0 warning\(s\)/);
});

test('bad input: clear message, exit 2, nothing written', async () => {
  expect((await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate')).code).toBe(0);
  const before = worldWrites();
  const n = releases().length;
  const cases: [string, RegExp][] = [
    ['rollback --env dev --service api --simulate', /--reason "…" is required/],
    ['rollback --env dev --service api --force-unlock --simulate', /--force-unlock needs --reason/],
    [
      'rollback --env dev --service api --to 20990101T000000Z-deploy-abcdef --reason x --simulate',
      /unknown release "20990101T000000Z-deploy-abcdef"/,
    ],
    ['rollback --env dev --service api --to v1.1.0 --reason x --simulate', /already serves/],
    [
      'promote --service api --from dev --to prod --simulate',
      /prod accepts promotions from staging .* skips staging/,
    ],
    ['promote --service api --from dev --to dev --simulate', /--from and --to are both dev/],
    [
      'promote --service api --from dev --to staging --tag v9 --simulate',
      /tag v9 was never released in dev\/api/,
    ],
    ['status --env dev --releases 0 --simulate', /--releases must be an integer from 1 to 100/],
  ];
  for (const [args, msg] of cases) {
    const r = await sy(args);
    expect([args, r.code]).toEqual([args, 2]);
    expect(r.out + r.err).toMatch(msg);
  }
  expect(worldWrites()).toBe(before);
  expect(releases()).toHaveLength(n);
});

test('killed deployer → status explains → rollback refused (lease live) → --force-unlock recovers', async () => {
  const k = await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --fault kill');
  expect(k.code).toBe(1);
  expect(weights()).toEqual([90, 10]);
  const s = await sy('status --env dev --simulate');
  // the lease is still running (virtual time frozen between commands in this test)
  expect(s.out).toMatch(/lock: deploy by oncall@.*lease expires in \d+s/);
  expect(s.out).toContain('is running (step "shifting")');
  const held = await sy('rollback --env dev --service api --reason "pager" --simulate');
  expect(held.code).toBe(2);
  expect(held.err).toMatch(/another operation holds the lock for dev\/api: deploy by oncall@/);

  const r = await sy('rollback --env dev --service api --reason "deployer died" --force-unlock --simulate');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(
    /✔ rolled back dev\/api to blue \(switchyard-dev-api:1, sha256:\w+\) recovered: 100% on blue \(release .*-rollback-\w+\) \[simulated\]/,
  );
  expect(weights()).toEqual([100, 0]);
  const dead = releases().find((x) => x.kind === 'deploy')!;
  expect(dead.outcome).toBe('failed');
  const after = await sy('status --env dev --simulate --output json');
  const lines = after.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const result = lines.at(-1);
  expect(result).toMatchObject({ type: 'result', command: 'status', exitCode: 0 });
  expect(result.data.services[0].warnings).toEqual([]);
  expect(result.data.services[0].releases.map((x: { outcome: string }) => x.outcome)).toEqual([
    'deployed',
    'failed',
  ]);
});

test('status after the lease expired shows the killed-deployer warning with the recovery command', async () => {
  await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --fault kill');
  // follow the wall clock: pretend 10 minutes passed since the save
  const file = join(dir, '.switchyard-sim/state.json');
  const st = state();
  st.savedAtWallMs -= 600_000;
  writeFileSync(file, JSON.stringify(st));
  const s = await sy('status --env dev --simulate', { SWITCHYARD_SIM_WALL_CLOCK: 'on' });
  expect(s.out).toMatch(
    /WARNING \[killed-deployer\] release .* is still in-progress at step "shifting" but (its lock lease expired \d+s ago|no deployer holds the lock): its deployer died mid-flight\. It intended blue 90% \/ green 10%/,
  );
  expect(s.out).toContain('Last known good colour: blue');
  expect(s.out).toContain('switchyard rollback --env dev --service api --reason');
  expect(s.out).toMatch(/killed deployer on api: run the rollback shown above/);
});

test('promote dev → staging through the CLI (json)', async () => {
  expect(
    (await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --strategy all-at-once')).code,
  ).toBe(0);
  const p = await sy(
    'promote --service api --from dev --to staging --simulate --strategy all-at-once --output json',
  );
  expect(p.code).toBe(0);
  const result = JSON.parse(p.out.trim().split('\n').at(-1)!);
  expect(result).toMatchObject({ type: 'result', command: 'promote', status: 'deployed', exitCode: 0 });
  expect(result.message).toMatch(
    /^promoted v1\.1\.0 \(sha256:\w+\) from dev \(release .*\) to staging\/api on green/,
  );
  expect(result.data.deploy.release).toMatchObject({ kind: 'promote', sourceEnvironment: 'dev' });
  expect(weights('staging')).toEqual([0, 100]);
});

test('GitHub Actions: refusal is an ::error:: annotation and a job summary', async () => {
  const summary = join(dir, 'summary.md');
  const r = await sy('rollback --env dev --service api --reason "x" --simulate', {
    GITHUB_ACTIONS: 'true',
    GITHUB_STEP_SUMMARY: summary,
  });
  expect(r.code).toBe(2);
  expect(r.out).toMatch(/::error title=switchyard rollback refused \(exit 2\)::refused \(no-history\)/);
  expect(readFileSync(summary, 'utf8')).toMatch(
    /switchyard rollback: refused \(no-history\)[\s\S]*\| Changes \| none \|/,
  );
});

describe('promote across accounts: --source-status capture', () => {
  test('captured status of the source → promote with the target credentials only', async () => {
    expect(
      (await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --strategy all-at-once')).code,
    ).toBe(0);
    const cap = await sy('status --env dev --service api --releases 100 --output json --simulate');
    writeFileSync(join(dir, 'dev-status.jsonl'), cap.out);
    const p = await sy(
      'promote --service api --from dev --to staging --source-status dev-status.jsonl --simulate --strategy all-at-once',
    );
    expect(p.code).toBe(0);
    expect(p.out).toMatch(
      /✔ promoted v1\.1\.0 \(sha256:\w+\) from dev \(release .*\) to staging\/api on green/,
    );
    const promoted = releases().find((r) => r.environment === 'staging')!;
    expect(promoted).toMatchObject({ kind: 'promote', outcome: 'deployed' });
  });

  test('a stale, foreign or broken capture is refused (exit 2, nothing written)', async () => {
    expect(
      (await sy('deploy --env dev --service api --image-tag v1.1.0 --simulate --strategy all-at-once')).code,
    ).toBe(0);
    const cap = await sy('status --env dev --service api --output json --simulate');
    const lines = cap.out.trim().split('\n');
    const result = JSON.parse(lines.at(-1)!);
    result.data.generatedAt -= 2 * 3_600_000;
    writeFileSync(join(dir, 'old.jsonl'), `${JSON.stringify(result)}\n`);
    writeFileSync(join(dir, 'garbage.jsonl'), 'hello\n');
    const before = worldWrites();
    const cases: [string, RegExp][] = [
      ['--source-status old.jsonl', /is 120 minutes old \(limit 60\); capture it again/],
      [
        '--source-status garbage.jsonl',
        /garbage\.jsonl is not a switchyard status JSON capture .* capture it with: switchyard status --env dev/,
      ],
      ['--source-status missing.jsonl', /cannot read --source-status missing\.jsonl/],
    ];
    for (const [flag, msg] of cases) {
      const r = await sy(`promote --service api --from dev --to staging ${flag} --simulate`);
      expect([flag, r.code]).toEqual([flag, 2]);
      expect(r.err).toMatch(msg);
    }
    writeFileSync(join(dir, 'dev.jsonl'), cap.out);
    const wrong = await sy(
      'promote --service api --from staging --to prod --source-status dev.jsonl --simulate',
    );
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/dev\.jsonl has no status of staging\/api \(it holds dev\/api\)/);
    expect(worldWrites()).toBe(before);
  });
});

test('a CI rerun of a deploy or promote that went through exits 0 with nothing to do (text and json)', async () => {
  const d = 'deploy --env dev --service api --image-tag v1.1.0 --simulate --strategy all-at-once';
  expect((await sy(d)).code).toBe(0);
  const writes = worldWrites();
  const again = await sy(d);
  expect(again.code).toBe(0);
  expect(again.out).toMatch(
    /✔ nothing to do: dev\/api already serves v1\.1\.0 \(sha256:[0-9a-f]{12}…\) on green, 2\/2 healthy \[simulated\]/,
  );
  expect(worldWrites()).toBe(writes);
  const json = await sy(`${d} --output json`);
  expect(json.code).toBe(0);
  const result = JSON.parse(json.out.trim().split('\n').at(-1)!);
  expect(result).toMatchObject({ type: 'result', status: 'up-to-date', exitCode: 0 });

  const p = 'promote --service api --from dev --to staging --simulate --strategy all-at-once';
  expect((await sy(p)).code).toBe(0);
  const rerun = await sy(p);
  expect(rerun.code).toBe(0);
  expect(rerun.out).toMatch(/✔ nothing to do: api dev → staging already serves v1\.1\.0/);
});
