import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(__dirname, '../../../bin/switchyard.js');

test('bin/switchyard.js runs the CLI (plain node, as npx switchyard does) and passes the exit code through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bin-'));
  try {
    const env = { ...process.env, GITHUB_ACTIONS: '', SWITCHYARD_SIM_WALL_CLOCK: 'off' };
    const ok = spawnSync(
      process.execPath,
      [BIN, 'deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'v1.1.0', '--simulate', '--dry-run'],
      {
        cwd: dir,
        env,
        encoding: 'utf8',
      },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Plan for dev\/api \(dry run — nothing will change\)/);
    const refused = spawnSync(
      process.execPath,
      [BIN, 'deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'latest', '--simulate'],
      {
        cwd: dir,
        env,
        encoding: 'utf8',
      },
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/refusing mutable tag "latest"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('bin/switchyard.js silences the AWS SDK NodeVersionSupportWarning unless the user set the variable', () => {
  const topology = join(__dirname, '../../../services/deployer/examples/topology.dev.api.json');
  // real-AWS path (no --simulate): the SDK clients are built, then the mutable tag is refused before any call
  const args = [
    BIN,
    'deploy',
    '--env',
    'dev',
    '--service',
    'api',
    '--image-tag',
    'latest',
    '--topology',
    topology,
  ];
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    GITHUB_ACTIONS: '',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  delete base.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const quiet = spawnSync(process.execPath, args, { env: base, encoding: 'utf8' });
  expect(quiet.status).toBe(2);
  expect(quiet.stderr).toMatch(/refusing mutable tag "latest"/);
  expect(quiet.stderr).not.toMatch(/NodeVersionSupportWarning/);

  if (Number(process.versions.node.split('.')[0]) < 22) {
    // the counter-check: with the variable explicitly set to something else, the SDK warns (proves the check can fail)
    const loud = spawnSync(process.execPath, args, {
      env: { ...base, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' },
      encoding: 'utf8',
    });
    expect(loud.status).toBe(2);
    expect(loud.stderr).toMatch(/NodeVersionSupportWarning/);
  }
}, 30_000);
