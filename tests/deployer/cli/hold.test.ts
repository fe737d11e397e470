/** `deploy --hold-after canary` → exit 4, then `continue` / `abort` from new processes (simulation). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../services/deployer/src/cli/main';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-hold-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function sy(
  args: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
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

const weights = () => {
  const w = JSON.parse(readFileSync(join(dir, '.switchyard-sim/state.json'), 'utf8')).snapshot.world;
  const rule = Object.entries(w.rules).find(([k]) => k.endsWith('/0000000000000001'))![1] as {
    weight: number;
  }[];
  return rule.map((x) => x.weight);
};

const ENV = '--simulate --env dev --service api';

test('held (exit 4) → status shows the hold → continue deploys (exit 0)', async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  const held = await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`);
  expect(held.code).toBe(4);
  expect(held.out).toMatch(/⏸ held v1\.2\.0 on dev\/api for approval: 10% on blue/); // not a failure mark
  expect(held.out).toMatch(/switchyard continue --env dev --service api/);
  expect(weights()).toEqual([10, 90]);
  const st = await sy(`status ${ENV}`);
  expect(st.out).toMatch(/held for approval/);
  const other = await sy(`deploy ${ENV} --image-tag v1.3.0`);
  expect(other.code).toBe(2);
  const cont = await sy(`continue ${ENV}`);
  expect(cont.code).toBe(0);
  expect(cont.out).toMatch(/deployed v1\.2\.0 to dev\/api on blue/);
  expect(weights()).toEqual([100, 0]);
});

test('held → abort (exit 0): traffic back, nothing left to continue (exit 2)', async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  expect((await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`)).code).toBe(4);
  expect((await sy(`abort ${ENV}`)).code).toBe(2); // --reason is required
  const ab = await sy(`abort ${ENV} --reason "canary p99 too high"`);
  expect(ab.code).toBe(0);
  expect(ab.out).toMatch(/aborted v1\.2\.0 on dev\/api: 100% on green, blue scaled to 0/);
  expect(weights()).toEqual([0, 100]);
  const again = await sy(`continue ${ENV}`);
  expect(again.code).toBe(2);
  expect(again.out + again.err).toMatch(/nothing-in-progress/);
});

test('abort --expired without --service: leaves a live hold alone (exit 0), --hold-after bad value is a usage error', async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  expect((await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`)).code).toBe(4);
  const r = await sy('abort --simulate --env dev --expired --reason "hold expired"');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/not expired yet; nothing to abort/);
  expect(weights()).toEqual([10, 90]);
  const bad = await sy(`deploy ${ENV} --image-tag v1.3.0 --hold-after maybe`);
  expect(bad.code).toBe(2);
  expect(bad.out + bad.err).toMatch(/--hold-after must be "canary"/);
});

test.each(['continue', 'abort'])('%s --help', async (cmd) => {
  const r = await sy(`${cmd} --help`);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(new RegExp(`^Usage: switchyard ${cmd}`));
});

test('promote --hold-after canary holds too (exit 4); continue finishes it in the target environment', async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  const held = await sy('promote --simulate --service api --from dev --to staging --hold-after canary');
  expect(held.code).toBe(4);
  expect(held.out).toMatch(/held v1\.1\.0 on api dev → staging for approval: 10% on green/);
  expect((await sy('continue --simulate --env staging --service api')).code).toBe(0);
  expect((await sy('promote --simulate --service api --from dev --to staging --hold-after later')).code).toBe(
    2,
  );
});

test('--fault smoke-fail: exit 3 with nothing moved; status shows the smoke test under the release', async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  const before = weights();
  const failed = await sy(`deploy ${ENV} --image-tag v1.2.0 --fault smoke-fail`);
  expect(failed.code).toBe(3);
  expect(failed.out).toMatch(/smoke test failed: no production traffic moved/);
  expect(weights()).toEqual(before);
  const st = await sy(`status ${ENV}`);
  expect(st.out).toMatch(/smoke test: failed: GET \/health answered 500, expected 200/);
  expect(st.out).toMatch(/smoke test: passed: GET \/health ok/); // the first release's
});

test('while held: status, deploy, deploy --force-unlock and rollback name the hold and continue/abort, never rollback or --force-unlock', async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  expect((await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`)).code).toBe(4);
  const advice =
    /is held for approval with blue 10% \/ green 90% until \S+ \(\d+ min left; the lock is kept until then\)\. Finish it first: `switchyard continue --env dev --service api` approves it \(goes on to 100% on blue\), or `switchyard abort --env dev --service api --reason "…"` puts 100% back on green and scales blue down/;
  const st = await sy(`status ${ENV}`);
  expect(st.code).toBe(0);
  expect(st.out).toMatch(/live: SPLIT \(blue 10% \/ green 90%\) — canary held for approval/);
  expect(st.out).toMatch(
    new RegExp(`note: release \\S+ \\(deploy of v1\\.2\\.0 to blue by tester\\) ${advice.source}`),
  );
  expect(st.out).not.toMatch(/WARNING|split-weights|switchyard rollback/);
  for (const cmd of [
    `deploy ${ENV} --image-tag v1.3.0`,
    `deploy ${ENV} --image-tag v1.3.0 --force-unlock --reason x`,
  ]) {
    const r = await sy(cmd);
    expect(r.code).toBe(2);
    const text = r.out + r.err;
    expect(text).toMatch(/refused \(held-for-approval\); nothing was changed/);
    expect(text).toMatch(new RegExp(`${advice.source}, then deploy v1\\.3\\.0 again`));
    expect(text).not.toMatch(/split-weights|--force-unlock --reason|switchyard rollback/);
  }
  const rb = await sy(`rollback ${ENV} --reason x`);
  expect(rb.code).toBe(2);
  expect(rb.out + rb.err).toMatch(/refused \(held-for-approval\)/);
  expect(rb.out + rb.err).toMatch(
    new RegExp(
      `${advice.source} — aborting is the rollback of a held deploy \\(it takes over the hold's lock; nothing needs forcing; no rollback is needed after it\\)`,
    ),
  );
  expect(rb.out + rb.err).not.toMatch(/--force-unlock --reason/);
  expect(weights()).toEqual([10, 90]); // nothing moved, the hold intact
  expect((await sy(`continue ${ENV}`)).code).toBe(0);
});

const releaseOf = (out: string) => /\(release (\S+)\)/.exec(out)![1];

test("continue --release: an old run's approval never continues a newer release (exit 2, nothing changed)", async () => {
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`)).code).toBe(0);
  const first = await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`);
  expect(first.code).toBe(4);
  const old = releaseOf(first.out);
  expect(first.out + first.err).toContain(`switchyard continue --env dev --service api --release ${old}`);
  expect((await sy(`abort ${ENV} --release ${old} --reason "not today"`)).code).toBe(0);
  const second = await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`); // a new run, a new release
  expect(second.code).toBe(4);
  const current = releaseOf(second.out);
  expect(current).not.toBe(old);
  const canary = weights();

  // the first run's full-shift job approved late: refused, naming the release held now
  const stale = await sy(`continue ${ENV} --release ${old}`);
  expect(stale.code).toBe(2);
  expect(stale.out + stale.err).toContain(`release ${old} is not the newest release of dev/api`);
  expect(stale.out + stale.err).toContain(`the newest release is ${current}`);
  expect(weights()).toEqual(canary);
  // so is an abort aimed at the old one
  expect((await sy(`abort ${ENV} --release ${old} --reason "stale"`)).code).toBe(2);
  expect(weights()).toEqual(canary);
  // bad ids and --release without --service are usage errors
  expect((await sy(`continue ${ENV} --release "a b"`)).code).toBe(2);
  expect((await sy(`abort --simulate --env dev --expired --release ${current} --reason x`)).code).toBe(2);
  expect(weights()).toEqual(canary);

  const done = await sy(`continue ${ENV} --release ${current}`);
  expect(done.code).toBe(0);
  expect(weights()).toEqual([100, 0]);
});

test('under GitHub Actions: a hold writes release-id to $GITHUB_OUTPUT; continue records its approval on the release (status shows it)', async () => {
  const outputs = join(dir, 'github-output');
  writeFileSync(outputs, '');
  const GH = {
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputs,
    GITHUB_ACTOR: 'alice',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'example-org/switchyard',
  };
  expect((await sy(`deploy ${ENV} --sim-reset --image-tag v1.1.0`, GH)).code).toBe(0);
  expect(readFileSync(outputs, 'utf8')).toBe(''); // only a hold names a release to continue
  const held = await sy(`deploy ${ENV} --image-tag v1.2.0 --hold-after canary`, GH);
  expect(held.code).toBe(4);
  const id = releaseOf(held.out);
  expect(readFileSync(outputs, 'utf8')).toBe(`release-id=${id}\n`);

  const cont = await sy(`continue ${ENV} --release ${id}`, {
    ...GH,
    GITHUB_ACTOR: 'bob',
    GITHUB_RUN_ATTEMPT: '2',
    SWITCHYARD_APPROVERS: 'erin,dave',
  });
  expect(cont.code).toBe(0);
  const st = await sy(`status ${ENV}`);
  expect(st.out).toMatch(
    new RegExp(
      `continued by bob at \\S+ \\(approved by dave, erin; run attempt 2; https://github\\.com/example-org/switchyard/actions/runs/4242`,
    ),
  );
  const state = JSON.parse(readFileSync(join(dir, '.switchyard-sim/state.json'), 'utf8'));
  expect(JSON.stringify(state)).toContain('"resumes"');
});
