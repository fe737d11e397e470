/**
 * The CLI end of the observers: the job summary's dashboard link and release timeline, the same series in
 * the `--output json` result, the dashboard in `status`, notifications under `--simulate` (shown, never
 * sent) and the runtime's wiring of notification channels (an unset webhook variable is one warning).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../services/deployer/src/cli/main';
import { observeService } from '../../../services/deployer/src/cli/observe';
import { createRenderer } from '../../../services/deployer/src/cli/output';
import type { NotificationChannel } from '../../../services/deployer/src/observers/notifications';
import type { RunObserver } from '../../../services/deployer/src/observers/run-observer';
import type { DeployEvent } from '../../../services/deployer/src/ports';
import { parseTopology } from '../../../services/topology';

const EXAMPLE = join(__dirname, '../../../services/deployer/examples/topology.dev.api.json');
const DASHBOARD =
  'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/switchyard-dev';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-obs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function sy(args: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await run(
    args,
    { USER: 'tester', SWITCHYARD_SIM_WALL_CLOCK: 'off', ...env },
    { stdout: (s) => (out += s), stderr: (s) => (err += s) },
    dir,
  );
  return { code, out, err };
}

const deployArgs = (...more: string[]) => [
  'deploy',
  '--simulate',
  '--sim-reset',
  '--env',
  'dev',
  '--service',
  'api',
  '--image-tag',
  'v1.1.0',
  ...more,
];

test('the job summary links the dashboard and shows the release timeline (Mermaid + table)', async () => {
  const summary = join(dir, 'summary.md');
  const r = await sy(deployArgs('--fault', 'slow'), { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
  expect(r.code).toBe(3);
  const md = readFileSync(summary, 'utf8');
  expect(md).toContain(`**Dashboard:** [switchyard-dev](${DASHBOARD})`);
  expect(md).toContain('<details open><summary>Release timeline</summary>');
  expect(md).toContain(
    '```mermaid\nxychart-beta\n  title "Traffic on green (%)"\n  x-axis ["before", "step 1", "restored"]',
  );
  expect(md).toMatch(/\| step 1 \| \+\d+s \| 90 \/ 10 \| .* \| 4000 ms \| \*\*latency failed\*\* \|/);
  expect(md).toMatch(/\| Failed gate \| latency \|/);
  expect(r.out).toContain(`dashboard of dev: ${DASHBOARD}`);
});

test('--output json: the result carries the same timeline series and the dashboard', async () => {
  const r = await sy(deployArgs('--output', 'json'));
  expect(r.code).toBe(0);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const result = lines.at(-1);
  expect(result).toMatchObject({ type: 'result', status: 'deployed' });
  expect(result.dashboard).toEqual({ name: 'switchyard-dev', url: DASHBOARD });
  expect(result.timeline.colour).toBe('green');
  expect(result.timeline.points.map((p: { label: string }) => p.label)).toEqual([
    'before',
    'step 1',
    'step 2',
    'final',
  ]);
  expect(result.timeline.points[3]).toMatchObject({ blue: 0, green: 100, p99Ms: 120 });
  expect(lines.find((l) => l.type === 'dashboard')).toMatchObject({ data: { url: DASHBOARD } });
});

test('status links the dashboard', async () => {
  await sy(deployArgs());
  const st = await sy(['status', '--simulate', '--env', 'dev', '--service', 'api']);
  expect(st.code).toBe(0);
  expect(st.out).toContain(`dashboard of dev: ${DASHBOARD}`);
});

test('--simulate with a topology that has notifications: each one is shown, nothing is sent', async () => {
  const t = JSON.parse(readFileSync(EXAMPLE, 'utf8'));
  t.notifications = {
    snsTopicArn: 'arn:aws:sns:eu-west-1:111111111111:switchyard-dev-alarms',
    webhookUrlEnv: 'SY_TEST_HOOK',
  };
  const file = join(dir, 'topology.json');
  writeFileSync(file, JSON.stringify(t));
  const r = await sy(deployArgs('--topology', file), { SY_TEST_HOOK: 'https://hooks.example.invalid/x' });
  expect(r.code).toBe(0);
  const shown = r.out.split('\n').filter((l) => l.includes('(simulated, not sent)'));
  expect(shown.map((l) => l.replace(/^\S+\s+/, ''))).toEqual([
    expect.stringMatching(
      /^notification to SNS topic arn:aws:sns:eu-west-1:111111111111:switchyard-dev-alarms \(simulated, not sent\): ▶️ started on dev\/api: deploy v1\.1\.0 to green/,
    ),
    expect.stringMatching(/^notification to webhook \(\$SY_TEST_HOOK\) \(simulated, not sent\): ▶️ started/),
    expect.stringMatching(
      /^notification to SNS topic .* \(simulated, not sent\): ✅ switchyard deploy dev\/api: deployed v1\.1\.0/,
    ),
    expect.stringMatching(/^notification to webhook \(\$SY_TEST_HOOK\) \(simulated, not sent\): ✅/),
  ]);
  expect(r.out).not.toContain('hooks.example.invalid');
});

describe('runtime wiring of notification channels (AWS)', () => {
  const topology = parseTopology(
    {
      ...JSON.parse(readFileSync(EXAMPLE, 'utf8')),
      notifications: {
        snsTopicArn: 'arn:aws:sns:eu-west-1:111111111111:switchyard-dev-alarms',
        webhookUrlEnv: 'SY_HOOK',
      },
    },
    'test',
  );
  function sink() {
    const events: DeployEvent[] = [];
    const warnings: string[] = [];
    const observers: RunObserver[] = [];
    return {
      events,
      warnings,
      observers,
      emit: (e: DeployEvent) => void events.push(e),
      warn: (_t: string, m: string) => void warnings.push(m),
      attach: (o: RunObserver) => void observers.push(o),
    };
  }
  const sent: string[] = [];
  const channel = (label: string): NotificationChannel => ({
    label,
    send: async () => void sent.push(label),
  });
  const aws = {
    trafficWeight: { publish: async () => {} },
    snsChannel: async (arn: string) => channel(`SNS topic ${arn}`),
  };

  test('an unset webhook variable is one warning; SNS and the metric are still attached', async () => {
    const s = sink();
    await observeService({
      sink: s,
      topology,
      env: {},
      clock: { now: () => 0 },
      owner: { actor: 'ci' },
      dashboardsShown: new Set(),
      aws,
      webhookChannel: () => ({
        problem: 'notifications.webhookUrlEnv names $SY_HOOK, which is not set in this process',
      }),
    });
    expect(s.warnings).toEqual([
      'notifications.webhookUrlEnv names $SY_HOOK, which is not set in this process',
    ]);
    expect(s.observers).toHaveLength(2); // TrafficWeight + notifications (SNS)
    expect(s.events.map((e) => e.type)).toEqual(['dashboard']);
  });

  test('the renderer waits for observers at most its bound, then prints the result', async () => {
    let out = '';
    const renderer = createRenderer(
      'text',
      { env: {}, cwd: dir, io: { stdout: (x) => (out += x), stderr: () => {} } },
      100,
    );
    renderer.attach({ emit: () => {}, settle: () => new Promise(() => {}) }); // ignores its deadline
    const t0 = Date.now();
    await renderer.conclude({ command: 'deploy', exitCode: 0, status: 'deployed', headline: 'deployed' });
    expect(Date.now() - t0).toBeLessThan(1_000);
    renderer.finish({ command: 'deploy', exitCode: 0, status: 'deployed', headline: 'deployed' });
    expect(out).toContain('deployed');
  });
});
