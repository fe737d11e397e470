/**
 * A deploy or rollback that loses its deployment lock (another operator force-unlocks and takes it
 * mid-run) stops without touching traffic again and exits 1 under its own "lock lost" heading — not
 * "internal error" — naming the new holder and the `status` command to run. Through `run()`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockLostDetail, lockLostResult } from '../../../services/deployer/src/cli/commands/common';
import { run } from '../../../services/deployer/src/cli/main';
import { DeployError } from '../../../services/deployer/src/core/deploy';
import { LockLostError } from '../../../services/deployer/src/core/lock';
import type { ReleaseRecord } from '../../../services/deployer/src/ports';
import { MemoryStore } from '../../../services/deployer/src/store/memory-store';

const key = { environment: 'dev', service: 'api' };
const CAROL = { actor: 'carol', host: 'pager', operation: 'rollback' };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-lock-lost-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function sy(args: string) {
  let out = '';
  let err = '';
  const argv = args.match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, ''));
  const code = await run(
    argv,
    { USER: 'tester', SWITCHYARD_SIM_WALL_CLOCK: 'off' },
    { stdout: (s) => (out += s), stderr: (s) => (err += s) },
    dir,
  );
  return { code, out, err };
}

const world = () => JSON.parse(readFileSync(join(dir, '.switchyard-sim/state.json'), 'utf8')).snapshot;
const weights = () => {
  const rule = Object.entries(world().world.rules).find(([k]) => k.endsWith('/0000000000000001'))![1] as {
    weight: number;
  }[];
  return rule.map((x) => x.weight);
};
/** Weight writes on the production rule (the test listener's rule is not traffic). */
const weightWrites = () =>
  (world().world.writes as { api: string; args: { ruleArn?: string } }[]).filter(
    (w) => w.api === 'elbv2:ModifyRule' && w.args.ruleArn?.endsWith('/0000000000000001'),
  ).length;

/** Carol force-unlocks dev/api and takes the lock, as `switchyard rollback --force-unlock` on her laptop. */
async function takeOver(store: MemoryStore) {
  await store.forceUnlock(key, CAROL.actor, 'taking over');
  const got = await store.acquireLock(key, CAROL, 120_000);
  if (!got.acquired) throw new Error('take-over failed');
}

/** After the store wrote a release record matching `when`, another operator takes the lock. */
function takeOverAfter(
  method: 'putRelease' | 'updateRelease',
  when: (args: unknown[]) => boolean,
): jest.SpyInstance {
  const original = MemoryStore.prototype[method] as (...a: unknown[]) => Promise<unknown>;
  let done = false;
  return jest.spyOn(MemoryStore.prototype, method).mockImplementation(async function (
    this: MemoryStore,
    ...args: unknown[]
  ) {
    const res = await original.apply(this, args);
    if (!done && when(args)) {
      done = true;
      await takeOver(this);
    }
    return res as never;
  });
}

describe('through run()', () => {
  test('deploy: lock taken over during the canary bake → exit 1, "lock lost" heading with the holder; no more weight writes', async () => {
    takeOverAfter('updateRelease', (a) => (a[2] as Partial<ReleaseRecord>).step === 'baking');
    const r = await sy('deploy --simulate --env dev --service api --image-tag v1.1.0');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^✖ lock lost: another operator took over the deployment lock of dev\/api$/m);
    expect(r.err).toMatch(
      /reason: \(now held by rollback by carol@pager, started \d+s ago, lease expires in \d+s\); this run stopped without touching traffic further — the new holder owns recovery; run `switchyard status --env dev --service api`/,
    );
    expect(`${r.out}${r.err}`).not.toMatch(/internal error/);
    // the canary split stays as it was: no shift to 100%, no rollback write
    expect(weights()).toEqual([90, 10]);
    expect(weightWrites()).toBe(1);
  });

  test('rollback: lock taken over right after its release record → exit 1, "lock lost" heading; traffic untouched', async () => {
    const killed = await sy('deploy --simulate --env dev --service api --image-tag v1.1.0 --fault kill');
    expect(killed.code).toBe(1);
    expect(weights()).toEqual([90, 10]);
    const before = weightWrites();
    takeOverAfter('putRelease', (a) => (a[0] as ReleaseRecord).kind === 'rollback');
    const r = await sy('rollback --simulate --env dev --service api --reason "deployer died" --force-unlock');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^✖ lock lost: another operator took over the deployment lock of dev\/api$/m);
    expect(r.err).toMatch(
      /reason: \(now held by rollback by carol@pager, .*\); this run stopped without touching/,
    );
    expect(r.err).toMatch(
      /What this run saw: the deployment lock is no longer ours \(now held by rollback by carol@pager/,
    );
    expect(r.err).toMatch(/run `switchyard status --env dev --service api`/);
    expect(`${r.out}${r.err}`).not.toMatch(/internal error|LockLostError/);
    expect(weights()).toEqual([90, 10]);
    expect(weightWrites()).toBe(before);
  });

  test('--output json: result "failed", exit 1, message "lock lost: …", data.lockLost', async () => {
    takeOverAfter('updateRelease', (a) => (a[2] as Partial<ReleaseRecord>).step === 'baking');
    const r = await sy('deploy --simulate --env dev --service api --image-tag v1.1.0 --output json');
    expect(r.code).toBe(1);
    const result = JSON.parse(r.out.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({
      type: 'result',
      command: 'deploy',
      status: 'failed',
      exitCode: 1,
      message: 'lock lost: another operator took over the deployment lock of dev/api',
      data: { lockLost: true, takenOver: true, holder: expect.stringMatching(/^rollback by carol@pager/) },
    });
    expect(result.reason).toMatch(/^\(now held by rollback by carol@pager/);
  });
});

describe('lockLostDetail / lockLostResult (pure)', () => {
  test('a lost lock is recognised from LockLostError and from the DeployError a deploy throws for it', () => {
    expect(
      lockLostDetail(new LockLostError('lock lost: lock for dev/api is no longer held by this deployer')),
    ).toBe('lock for dev/api is no longer held by this deployer');
    expect(
      lockLostDetail(
        new DeployError(
          'lock lost; the new holder owns recovery (the deployment lock is no longer ours (now held by rollback by carol@pager, started 1s ago, lease expires in 119s)). This run stopped without touching traffic or capacity again; see `switchyard status --env dev --service api`',
        ),
      ),
    ).toBe(
      'the deployment lock is no longer ours (now held by rollback by carol@pager, started 1s ago, lease expires in 119s)',
    );
  });

  test('other failures are not a lost lock (they keep their "failed" / "internal error" headings)', () => {
    expect(
      lockLostDetail(new DeployError('could not restore traffic to blue on arn:…: boom')),
    ).toBeUndefined();
    expect(lockLostDetail(new Error('lock lost; but not from the deployer'))).toBeUndefined();
  });

  test('a lock that could not be confirmed (no new holder) is not called a take-over', () => {
    const r = lockLostResult('deploy', 'lock for dev/api is no longer held by this deployer', key);
    expect(r).toMatchObject({
      exitCode: 1,
      headline: 'lock lost: this run no longer holds the deployment lock of dev/api',
    });
    expect(r.reason).toMatch(/^this run stopped .* run `switchyard status --env dev --service api`/);
    expect(r.data).toEqual({
      lockLost: true,
      takenOver: false,
      detail: 'lock for dev/api is no longer held by this deployer',
    });
  });
});
