/**
 * bin/switchyard.js, the launcher: the compiled CLI runs in the launcher's own process (signals reach it
 * directly), is built inside the repository when missing or stale (bin/build.js), and runs without
 * sources as the npm package ships it. The build's output and `npm pack`: tests/bin/build.test.ts.
 */
import { type ChildProcess, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS, mainHelp } from '../../../services/deployer/src/cli/main';

const ROOT = join(__dirname, '../../..');
const BIN = join(ROOT, 'bin/switchyard.js');
const EXAMPLE = join(ROOT, 'services/deployer/examples/topology.dev.api.json');
const ENTRY = 'dist/cli/services/deployer/src/cli/main.js';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const BASE_ENV: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTIONS: '', SWITCHYARD_SIM_WALL_CLOCK: 'off' };
// the real-AWS path without AWS: fake static credentials, no instance metadata lookups
const AWS_ENV: NodeJS.ProcessEnv = {
  ...BASE_ENV,
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDTEST',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_EC2_METADATA_DISABLED: 'true',
};
delete AWS_ENV.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

const node = (args: string[], opts: SpawnSyncOptions = {}) =>
  spawnSync(process.execPath, args, { env: BASE_ENV, encoding: 'utf8', ...opts }) as ReturnType<
    typeof spawnSync
  > & { stdout: string; stderr: string };

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `switchyard-${prefix}-`));
}

/**
 * A throw-away copy of what the CLI build reads (bin/, both tsconfig files, services/, modules/), with
 * node_modules linked from the repository: staleness tests edit sources here, never in the repository.
 */
function repoCopy(): string {
  const dir = tempDir('repo');
  for (const p of ['bin', 'tsconfig.json', 'tsconfig.build.json', 'services', 'modules']) {
    cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** `switchyard deploy` of dev/api with `tag` and further arguments. */
const deployArgs = (tag: string, ...more: string[]) => [
  BIN,
  'deploy',
  '--env',
  'dev',
  '--service',
  'api',
  '--image-tag',
  tag,
  ...more,
];

describe('running the CLI', () => {
  test('plain `node bin/switchyard.js` (what npx switchyard runs) runs the CLI and passes its exit code through', () => {
    const dir = tempDir('bin');
    try {
      const ok = node(deployArgs('v1.1.0', '--simulate', '--dry-run'), { cwd: dir });
      expect(ok.stderr).not.toMatch(/internal error/);
      expect(ok.status).toBe(0);
      expect(ok.stdout).toMatch(/Plan for dev\/api \(dry run — nothing will change\)/);
      const refused = node(deployArgs('latest', '--simulate'), { cwd: dir });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/refusing mutable tag "latest"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  /**
   * Runs the launcher with a preloaded probe that records every child_process call and, at exit, the
   * process id and every module it loaded.
   */
  function probed(args: string[]) {
    const dir = tempDir('probe');
    try {
      const report = join(dir, 'report.json');
      const probe = join(dir, 'probe.js');
      writeFileSync(
        probe,
        `const cp = require('node:child_process');
const calls = [];
for (const k of ['spawn', 'spawnSync', 'fork', 'exec', 'execSync', 'execFile', 'execFileSync']) {
  const orig = cp[k];
  cp[k] = function (...a) { calls.push(k + ' ' + String(a[0])); return orig.apply(this, a); };
}
process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({
  pid: process.pid, calls, loaded: Object.keys(require.cache) })));
`,
      );
      const r = node(['-r', probe, BIN, ...args], { cwd: dir });
      const seen = JSON.parse(readFileSync(report, 'utf8')) as {
        pid: number;
        calls: string[];
        loaded: string[];
      };
      return { ...r, seen };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('the compiled CLI runs in the launcher process: no child process, dist/cli loaded, same pid', () => {
    const r = probed(['status', '--env', 'dev', '--service', 'api', '--simulate']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/dev\/api {2}live: blue/);
    expect(r.seen.pid).toBe(r.pid);
    expect(r.seen.calls).toEqual([]);
    expect(r.seen.loaded).toContain(join(ROOT, ENTRY));
    expect(r.seen.loaded).toContain(join(ROOT, 'dist/cli/services/deployer/src/cli/commands/status.js'));
    // compiled JavaScript, not TypeScript compiled on the fly
    expect(r.seen.loaded.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(r.seen.loaded.some((f) => f.includes('/node_modules/ts-node/'))).toBe(false);
  }, 120_000);

  test('--help loads no command: neither the core, zod nor the AWS SDK', () => {
    const r = probed(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: switchyard <command>/);
    const src = join(ROOT, 'dist/cli/services/deployer/src/');
    const ours = r.seen.loaded.filter((f) => f.startsWith(join(ROOT, 'dist/cli/')));
    expect(ours).toContain(join(src, 'cli/main.js'));
    // no command, no core or simulation, no adapter, no topology (zod) — and no package at all
    const heavy = /\/(cli\/commands|core|sim|ops|adapters|store)\/|\/services\/topology\//;
    expect(ours.filter((f) => heavy.test(f))).toEqual([]);
    expect(r.seen.loaded.filter((f) => f.includes('/node_modules/'))).toEqual([]);
  }, 120_000);

  test("the summaries --help lists are the commands' own", async () => {
    for (const entry of COMMANDS) {
      const command = await entry.load();
      expect([command.name, command.summary]).toEqual([entry.name, entry.summary]);
      expect(mainHelp()).toContain(`  ${entry.name}`);
    }
  });

  test('SIGINT reaches the CLI directly while it waits on AWS; the third one makes it exit at once', async () => {
    // a loopback "AWS endpoint" that accepts connections and never answers: the CLI blocks inside an SDK call
    const sockets: Socket[] = [];
    let connected: () => void = () => {};
    const firstConnection = new Promise<void>((r) => (connected = r));
    const server = createServer((s) => {
      sockets.push(s);
      connected();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    let child: ChildProcess | undefined;
    try {
      child = spawn(
        process.execPath,
        [BIN, 'status', '--env', 'dev', '--service', 'api', '--topology', EXAMPLE, '--region', 'eu-west-1'],
        {
          env: {
            ...AWS_ENV,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
          },
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child!.on('exit', (code, signal) => r({ code, signal })),
      );
      const waitFor = async (re: RegExp) => {
        for (let i = 0; i < 200 && !re.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
        expect(stderr).toMatch(re);
      };
      await firstConnection;
      child.kill('SIGINT');
      await waitFor(/switchyard: SIGINT received — stopping/);
      // The call in flight hangs for ever: a wiring that cancels it on the first signal ends the command
      // now; one that waits for it asks for more signals, and the third exits at once.
      const stopped = await Promise.race([
        exited,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000)),
      ]);
      if (stopped === undefined) {
        child.kill('SIGINT');
        await waitFor(/send (SIGINT|it) once more to exit immediately/i);
        expect(child.exitCode).toBeNull(); // two signals do not kill it
        child.kill('SIGINT');
      }
      // its own handler ended it (non-zero: nothing finished); without one it would die *by* the signal
      const end = await exited;
      expect(end.signal).toBeNull();
      expect(end.code).not.toBe(0);
      expect(end.code).not.toBeNull();
    } finally {
      child?.kill('SIGKILL');
      for (const s of sockets) s.destroy();
      server.close();
    }
  }, 120_000);
});

describe('AWS SDK Node-version warning', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS launcher, no typings
  const { condenseSdkNodeWarning } = require(BIN) as {
    condenseSdkNodeWarning: (p: {
      emitWarning: (...a: unknown[]) => void;
      stderr: { write(s: string): void };
    }) => void;
  };
  const sdkText = `NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)
versions published after the first week of January 2027
will require node >=22. You are running node v20.20.2.

To continue receiving updates to AWS services, bug fixes,
and security updates please upgrade to node >=22.

More information can be found at: https://a.co/c895JFp`;

  function fakeProcess() {
    const written: string[] = [];
    const passed: unknown[][] = [];
    const proc = {
      emitWarning: (...a: unknown[]) => void passed.push(a),
      stderr: { write: (s: string) => void written.push(s) },
    };
    condenseSdkNodeWarning(proc);
    return { proc, written, passed };
  }

  test('the SDK warning becomes one line with its own words, shown once; other warnings pass through', () => {
    const { proc, written, passed } = fakeProcess();
    proc.emitWarning(sdkText);
    proc.emitWarning(sdkText); // a second copy of @aws-sdk/core has its own once-flag
    proc.emitWarning('something else', 'DeprecationWarning');
    expect(written).toEqual([
      'switchyard: warning: NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) versions published after the first week of January 2027 will require node >=22. You are running node v20.20.2. To continue receiving updates to AWS services, bug fixes, and security updates please upgrade to node >=22. More information can be found at: https://a.co/c895JFp\n',
    ]);
    expect(passed).toEqual([['something else', 'DeprecationWarning']]);
  });

  test('older SDK releases passed the warning type separately: it is kept', () => {
    const { proc, written } = fakeProcess();
    proc.emitWarning(
      'The AWS SDK for JavaScript (v3) will\nno longer support Node.js v12.0.0 on November 1, 2022.',
      'NodeDeprecationWarning',
    );
    expect(written).toEqual([
      'switchyard: warning: NodeDeprecationWarning: The AWS SDK for JavaScript (v3) will no longer support Node.js v12.0.0 on November 1, 2022.\n',
    ]);
  });

  test('the real SDK on this Node: at most one line, no "(node:PID) Warning" stack; the SDK switch still silences it', () => {
    // the real-AWS path: SDK clients are built, then the mutable tag is refused before any call
    const args = deployArgs('latest', '--topology', EXAMPLE);
    const r = node(args, { env: AWS_ENV });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/refusing mutable tag "latest"/);
    expect(r.stderr).not.toMatch(/\(node:\d+\)|--trace-warnings/);
    const lines = r.stderr.split('\n').filter((l) => l.includes('AWS SDK for JavaScript'));
    if (NODE_MAJOR < 22) {
      // @aws-sdk/core 3.981: warns below Node 22
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^switchyard: warning: NodeVersionSupportWarning: The AWS SDK for JavaScript \\(v3\\) .*will require node >=22\\. You are running node ${process.version.replace(/\./g, '\\.')}\\. .*https://a\\.co/`,
          ),
        ),
      ]);
      const silenced = node(args, {
        env: { ...AWS_ENV, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      });
      expect(silenced.status).toBe(2);
      expect(silenced.stderr).not.toMatch(/AWS SDK for JavaScript/);
    } else {
      expect(lines).toEqual([]);
    }
  }, 120_000);
});

describe('build if missing or stale (in a copy of the repository)', () => {
  let repo: string;
  beforeAll(() => {
    repo = repoCopy();
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));
  const bin = () => join(repo, 'bin/switchyard.js');
  const version = () => node([bin(), '--version'], { cwd: repo });

  test('builds when dist/cli is missing, then starts without building while nothing changed', () => {
    expect(existsSync(join(repo, ENTRY))).toBe(false);
    const first = version();
    expect(first.status).toBe(0);
    expect(first.stdout).toBe('switchyard 0.1.0\n');
    expect(first.stderr).toMatch(
      /^switchyard: built the CLI into dist\/cli \(dist\/cli is not built yet\): (\d+) of \1 files emitted/,
    );
    const again = version();
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('switchyard 0.1.0\n');
    const check = node([join(repo, 'bin/build.js'), 'cli', '--check']);
    expect(check.status).toBe(0);
  }, 120_000);

  test('a changed source is rebuilt (only that file) and its change runs', () => {
    const main = join(repo, 'services/deployer/src/cli/main.ts');
    writeFileSync(
      main,
      readFileSync(main, 'utf8').replace("'switchyard 0.1.0\\n'", "'switchyard 0.1.0-edited\\n'"),
    );
    expect(node([join(repo, 'bin/build.js'), 'cli', '--check']).status).toBe(1);
    const r = version();
    expect(r.stdout).toBe('switchyard 0.1.0-edited\n');
    expect(r.stderr).toMatch(/\(services\/deployer\/src\/cli\/main\.ts changed\): 1 of \d+ files emitted/);
  }, 120_000);

  test('a new file imported by a changed one is built, even outside services/ (followed imports)', () => {
    mkdirSync(join(repo, 'modules/extra'), { recursive: true });
    writeFileSync(join(repo, 'modules/extra/banner.ts'), "export const BANNER = 'from modules/extra';\n");
    const main = join(repo, 'services/deployer/src/cli/main.ts');
    writeFileSync(
      main,
      `import { BANNER } from '../../../../modules/extra/banner';\n${readFileSync(main, 'utf8').replace(
        "io.stdout('switchyard 0.1.0-edited\\n')",
        'io.stdout(`switchyard 0.1.0-edited ${BANNER}\\n`)',
      )}`,
    );
    const r = version();
    expect(r.stdout).toBe('switchyard 0.1.0-edited from modules/extra\n');
    expect(existsSync(join(repo, 'dist/cli/modules/extra/banner.js'))).toBe(true);
  }, 120_000);

  test('a file added to a source folder, a removed output and a tsconfig change each trigger a rebuild', () => {
    writeFileSync(join(repo, 'services/topology/notes.ts'), 'export const NOTE = 1;\n');
    expect(version().stderr).toMatch(/a file was added to or removed from services\/topology\/\)/);
    expect(existsSync(join(repo, 'dist/cli/services/topology/notes.js'))).toBe(true); // tsconfig.build.json include
    rmSync(join(repo, 'dist/cli/services/deployer/src/core/deploy.js'));
    expect(version().stderr).toMatch(/dist\/cli\/services\/deployer\/src\/core\/deploy\.js is missing/);
    expect(existsSync(join(repo, 'dist/cli/services/deployer/src/core/deploy.js'))).toBe(true);
    const cfg = join(repo, 'tsconfig.build.json');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}\n`);
    expect(version().stderr).toMatch(/\(tsconfig\.build\.json changed\): (\d+) of \1 files emitted/);
    // a deleted source: its output goes too
    rmSync(join(repo, 'services/topology/notes.ts'));
    expect(version().status).toBe(0);
    expect(existsSync(join(repo, 'dist/cli/services/topology/notes.js'))).toBe(false);
  }, 120_000);

  test('a syntax error refuses with file:line, runs nothing, and the next start retries', () => {
    const file = join(repo, 'services/deployer/src/core/clock.ts');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}\nexport const broken = ;\n`);
    const r = version();
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^switchyard: cannot build the CLI:\nservices\/deployer\/src\/core\/clock\.ts:\d+:\d+: Expression expected/,
    );
    writeFileSync(file, good);
    const fixed = version();
    expect(fixed.status).toBe(0);
    expect(fixed.stderr).toMatch(/services\/deployer\/src\/core\/clock\.ts changed/);
  }, 120_000);
});

test('several launchers building a missing dist/cli at once all run, and leave it fresh', async () => {
  const repo = repoCopy();
  try {
    const launch = () =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, [join(repo, 'bin/switchyard.js'), '--version'], {
          env: BASE_ENV,
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => resolve({ code, out, err }));
      });
    const runs = await Promise.all([launch(), launch(), launch()]);
    for (const r of runs) {
      expect(r.err).not.toMatch(/Error|internal/);
      expect([r.code, r.out]).toEqual([0, 'switchyard 0.1.0\n']);
    }
    expect(node([join(repo, 'bin/build.js'), 'cli', '--check']).status).toBe(0);
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}, 120_000);

describe('installed package (no sources)', () => {
  test('a copy without sources runs the shipped build and never builds; without the build it refuses clearly', () => {
    const pkg = tempDir('pkg');
    try {
      expect(node([join(ROOT, 'bin/build.js')]).status).toBe(0);
      cpSync(BIN, join(pkg, 'bin/switchyard.js'));
      symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
      const missing = node([join(pkg, 'bin/switchyard.js'), '--version']);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toMatch(
        /dist\/cli\/services\/deployer\/src\/cli\/main\.js is missing: this copy of the package was packed without its build/,
      );
      cpSync(join(ROOT, 'dist/cli'), join(pkg, 'dist/cli'), { recursive: true });
      const ok = node([join(pkg, 'bin/switchyard.js'), '--version']);
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toBe('switchyard 0.1.0\n');
    } finally {
      rmSync(pkg, { recursive: true, force: true });
    }
  }, 120_000);
});
