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
