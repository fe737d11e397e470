/**
 * Through the CLI entry point, against the simulation state file: the audit trail GitHub Actions gives a
 * job (run attempt, re-runner, approvers looked up by the workflow) lands in the release record and in
 * `status`; each command that makes a release live moves the retention marks (deploy, promote, rollback).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFromEnv } from '../../../services/deployer/src/cli/context';
import { run } from '../../../services/deployer/src/cli/main';
import { describeAudit } from '../../../services/deployer/src/ops/audit';
import { digestOf } from '../../../services/deployer/src/sim';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const GITHUB = {
  GITHUB_ACTIONS: 'true',
  GITHUB_ACTOR: 'alice',
  GITHUB_TRIGGERING_ACTOR: 'carol',
  GITHUB_RUN_ATTEMPT: '2',
  GITHUB_RUN_ID: '4242',
  GITHUB_REPOSITORY: 'example-org/switchyard',
  GITHUB_WORKFLOW_REF: 'example-org/switchyard/.github/workflows/deploy.yml@refs/heads/main',
  GITHUB_EVENT_NAME: 'workflow_dispatch',
  SWITCHYARD_APPROVERS: 'erin,dave',
};

async function sy(args: string, env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await run(
    args.match(/"[^"]*"|\S+/g)!.map((a) => a.replace(/^"|"$/g, '')),
    { USER: 'tester', SWITCHYARD_SIM_WALL_CLOCK: 'off', ...env },
    { stdout: (s) => (out += s), stderr: (s) => (err += s) },
    dir,
  );
  return { code, out, err };
}

const state = () => JSON.parse(readFileSync(join(dir, '.switchyard-sim/state.json'), 'utf8')).snapshot;
/** Tags of the repository (the example topologies keep one registry per environment account). */
const tags = (env: 'dev' | 'staging' = 'dev') => {
  const images = state().world.images as Record<string, { tags: Record<string, string> }>;
  const account = env === 'dev' ? '111111111111' : '222222222222';
  return images[`${account}/switchyard/api`]!.tags;
};
const d = (tag: string) => digestOf('switchyard/api', tag);

test('deploy in GitHub Actions: the record holds attempt, re-runner, approvers, workflow; status shows them', async () => {
  const r = await sy('deploy --simulate --sim-reset --env dev --service api --image-tag v1.1.0', GITHUB);
  expect(r.code).toBe(0);
  const [rel] = state().releases;
  expect(rel.actor).toBe('alice');
  expect(rel.audit).toEqual({
    runAttempt: 2,
    triggeringActor: 'carol',
    approvedBy: ['dave', 'erin'],
    workflowRef: 'example-org/switchyard/.github/workflows/deploy.yml@refs/heads/main',
    event: 'workflow_dispatch',
  });
  const text = await sy('status --simulate --env dev --service api');
  expect(text.out).toContain(
    'audit: run attempt 2, re-run by carol (run started by alice); approved by dave, erin; deploy.yml@refs/heads/main',
  );
  const json = await sy('status --simulate --env dev --service api --output json');
  const report = JSON.parse(json.out.trim().split('\n').pop()!);
  expect(JSON.stringify(report)).toContain('"approvedBy":["dave","erin"]');
});

test('deploy, deploy, promote, rollback: each release that goes live moves the marks; the exit codes are the commands’ own', async () => {
  expect((await sy('deploy --simulate --sim-reset --env dev --service api --image-tag v1.1.0')).code).toBe(0);
  expect(tags()['sy-live-dev-api']).toBe(d('v1.1.0'));
  expect(tags()['sy-prev-dev-api']).toBe(d('v1.0.0')); // what dev ran before its first release
  const second = await sy('deploy --simulate --env dev --service api --image-tag v1.2.0');
  expect(second.code).toBe(0);
  expect(second.out).toContain('retention marks: sy-prev-dev-api → ');
  expect([tags()['sy-live-dev-api'], tags()['sy-prev-dev-api']]).toEqual([d('v1.2.0'), d('v1.1.0')]);
  expect((await sy('promote --simulate --service api --from dev --to staging')).code).toBe(0);
  expect(tags('staging')['sy-live-staging-api']).toBe(d('v1.2.0'));
  expect(tags()['sy-live-dev-api']).toBe(d('v1.2.0')); // another environment's marks stay
  const back = await sy('rollback --simulate --env dev --service api --reason "p99 doubled"');
  expect(back.code).toBe(0);
  expect(tags()['sy-live-dev-api']).toBe(d('v1.1.0'));
  // immutable tags never moved
  expect(tags()['v1.2.0']).toBe(d('v1.2.0'));
});

test('a CI re-run of the image already live (nothing to do) repairs a missing mark', async () => {
  await sy('deploy --simulate --sim-reset --env dev --service api --image-tag v1.1.0');
  const file = join(dir, '.switchyard-sim/state.json');
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  delete saved.snapshot.world.images['111111111111/switchyard/api'].tags['sy-live-dev-api'];
  writeFileSync(file, JSON.stringify(saved));
  const rerun = await sy('deploy --simulate --env dev --service api --image-tag v1.1.0');
  expect(rerun.code).toBe(0);
  expect(rerun.out).toContain('nothing to do');
  expect(tags()['sy-live-dev-api']).toBe(d('v1.1.0'));
});

test('a failed deploy (rolled back by its gate) keeps the marks and exits 3', async () => {
  await sy('deploy --simulate --sim-reset --env dev --service api --image-tag v1.1.0');
  const before = { ...tags() };
  const failed = await sy('deploy --simulate --env dev --service api --image-tag v1.2.0 --fault 5xx-spike');
  expect(failed.code).toBe(3);
  expect(tags()).toEqual(before);
});

describe('auditFromEnv', () => {
  test('outside GitHub Actions: nothing', () => {
    expect(auditFromEnv({ GITHUB_RUN_ATTEMPT: '1' })).toBeUndefined();
  });
  test('approvers looked up, none required: [] (distinct from unknown: absent)', () => {
    expect(auditFromEnv({ GITHUB_ACTIONS: 'true', SWITCHYARD_APPROVERS: '' })).toEqual({ approvedBy: [] });
    expect(auditFromEnv({ GITHUB_ACTIONS: 'true' })).toEqual({});
  });
  test('malformed values are left out, never recorded', () => {
    expect(
      auditFromEnv({
        GITHUB_ACTIONS: 'true',
        GITHUB_RUN_ATTEMPT: 'two',
        GITHUB_TRIGGERING_ACTOR: 'carol; rm -rf /',
        SWITCHYARD_APPROVERS: 'dave, <script>, dependabot[bot],dave',
        GITHUB_WORKFLOW_REF: 'not a ref',
        GITHUB_EVENT_NAME: 'Push!',
      }),
    ).toEqual({ approvedBy: ['dave', 'dependabot[bot]'] });
  });
  test('status line: a first attempt by the actor names no re-runner', () => {
    expect(
      describeAudit({
        actor: 'alice',
        audit: { runAttempt: 1, triggeringActor: 'alice', approvedBy: [] },
        imageRevision: '0123456789abcdef0123456789abcdef01234567',
      }),
    ).toBe(
      'audit: run attempt 1; no review required; image built from 0123456789abcdef0123456789abcdef01234567',
    );
    expect(describeAudit({ actor: 'alice' })).toBeUndefined();
  });
});
