/**
 * The audit trail's approver (issue 11 item 6): every release job looks up who approved it for its
 * environment (.github/scripts/approvers.sh: the run's review history, REST
 * `GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals`, with `actions: read`) before switchyard
 * runs, and passes it on as SWITCHYARD_APPROVERS. The script runs for real under bash with a stub `gh`
 * on PATH answering as the endpoint does; jq is the runner's.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRepo, ROOT, type Yaml } from './lib/repo';
import { RELEASE_WORKFLOWS } from './lib/rules';

const SCRIPT = join(ROOT, '.github/scripts/approvers.sh');
const jq = spawnSync('jq', ['--version']).status === 0;

/** One review of the history, shaped as the endpoint returns it (fields the script reads). */
const review = (login: string, state: string, envs: string[]) => ({
  state,
  comment: 'ok',
  user: { login, id: 1, type: 'User' },
  environments: envs.map((name, i) => ({ id: i + 1, name, url: `https://api.github.com/x/${name}` })),
});

function runScript(answer: { json?: unknown; fail?: string }, environment = 'prod') {
  const dir = mkdtempSync(join(tmpdir(), 'sy-approvers-'));
  try {
    const gh = join(dir, 'gh');
    const payload = join(dir, 'answer.json');
    writeFileSync(payload, answer.json === undefined ? '' : JSON.stringify(answer.json));
    writeFileSync(
      gh,
      answer.fail
        ? `#!/usr/bin/env bash\necho "$*" > "${dir}/args"\necho '${answer.fail}' >&2\nexit 1\n`
        : `#!/usr/bin/env bash\necho "$*" > "${dir}/args"\ncat "${payload}"\n`,
    );
    chmodSync(gh, 0o755);
    const envFile = join(dir, 'github_env');
    writeFileSync(envFile, '');
    const res = spawnSync('bash', [SCRIPT, environment], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
        GH_TOKEN: 'ghs_test',
        GITHUB_REPOSITORY: 'example-org/switchyard',
        GITHUB_RUN_ID: '4242',
        GITHUB_ENV: envFile,
      },
    });
    const args = (() => {
      try {
        return readFileSync(join(dir, 'args'), 'utf8').trim();
      } catch {
        return '';
      }
    })();
    return { status: res.status, stdout: res.stdout, githubEnv: readFileSync(envFile, 'utf8'), args };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

(jq ? describe : describe.skip)('approvers.sh (jq on PATH)', () => {
  test('records the approved reviews of this environment, sorted and unique, from the run’s history', () => {
    const r = runScript({
      json: [
        review('erin', 'approved', ['prod']),
        review('mallory', 'rejected', ['prod']),
        review('dave', 'approved', ['staging', 'Prod']),
        review('trent', 'approved', ['staging']),
        review('erin', 'approved', ['prod']),
      ],
    });
    expect(r.status).toBe(0);
    expect(r.args).toBe('api repos/example-org/switchyard/actions/runs/4242/approvals');
    expect(r.githubEnv).toBe('SWITCHYARD_APPROVERS=dave,erin\n');
  });

  test('no review (an environment without required reviewers): recorded as none', () => {
    const r = runScript({ json: [] }, 'dev');
    expect(r.githubEnv).toBe('SWITCHYARD_APPROVERS=\n');
    expect(r.stdout).toContain('requires no review');
  });

  test('history unreadable (no actions: read, API down): a warning, nothing recorded, the job goes on', () => {
    const r = runScript({ fail: 'HTTP 403: Resource not accessible by integration' });
    expect(r.status).toBe(0);
    expect(r.githubEnv).toBe('');
    expect(r.stdout).toContain('::warning title=approvers not recorded::');
    expect(r.stdout).toContain('HTTP 403');
  });

  test('a malformed answer: a warning, nothing recorded', () => {
    const r = runScript({ json: { message: 'Not Found' } });
    expect(r.status).toBe(0);
    expect(r.githubEnv).toBe('');
    expect(r.stdout).toContain('::warning');
  });

  test('logins that are not GitHub logins are never written into the environment file', () => {
    const r = runScript({ json: [review('x\nSWITCHYARD_APPROVERS=evil', 'approved', ['prod'])] });
    expect(r.githubEnv).toBe('SWITCHYARD_APPROVERS=\n');
  });
});

describe('the release workflows look the approver up before switchyard runs', () => {
  const repo = loadRepo();
  test.each(RELEASE_WORKFLOWS.map((w) => [w.file, w]))('%s', (_f, w) => {
    const wf = repo.workflows.get(w.file)!;
    const jobs = wf.doc['jobs'] as Record<string, Yaml>;
    const job = Object.values(jobs).find((j) => j['environment'] !== undefined)!;
    expect(job['permissions']).toMatchObject({ actions: 'read' });
    const steps = job['steps'] as Yaml[];
    const lookup = steps.findIndex((s) => String(s['run'] ?? '').includes('.github/scripts/approvers.sh'));
    const release = steps.findIndex((s) => String(s['run'] ?? '').includes('run-switchyard.sh'));
    expect(lookup).toBeGreaterThanOrEqual(0);
    expect(lookup).toBeLessThan(release);
    expect(steps[lookup]!['env']).toEqual({
      GH_TOKEN: '${{ github.token }}',
      ENVIRONMENT: `\${{ inputs.${w.envInput} }}`,
    });
  });
  test('build.yml labels the image with its commit (org.opencontainers.image.revision = the SHA tag)', () => {
    expect(repo.workflows.get('build.yml')!.text).toContain(
      'org.opencontainers.image.revision=${{ steps.tag.outputs.tag }}',
    );
  });
});
