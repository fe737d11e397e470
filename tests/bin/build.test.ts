/**
 * bin/build.js as a build: its output is what tsc emits (CLI and cdktf app), the compiled synth writes
 * the same stacks as the TypeScript one, and `npm pack` gives a package whose `switchyard` runs in an
 * empty directory with the production dependencies only. Staleness and the launcher:
 * tests/deployer/cli/bin.test.ts.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');
const BUILD = join(ROOT, 'bin/build.js');
const ENTRY = 'dist/cli/services/deployer/src/cli/main.js';
const EXAMPLE = join(ROOT, 'services/deployer/examples/topology.dev.api.json');
const ENV: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTIONS: '', SWITCHYARD_SIM_WALL_CLOCK: 'off' };

type Run = ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
const run = (cmd: string, args: string[], opts: SpawnSyncOptions = {}) =>
  spawnSync(cmd, args, { env: ENV, encoding: 'utf8', ...opts }) as Run;
const node = (args: string[], opts: SpawnSyncOptions = {}) => run(process.execPath, args, opts);

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(join(dir, e.name), base) : [relative(base, join(dir, e.name))],
    )
    .sort();
}

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), `switchyard-${prefix}-`));

describe.each([
  ['cli', 'tsconfig.build.json', 'dist/cli', 50],
  ['synth', 'tsconfig.synth.json', 'dist/synth', 50],
])('target %s', (target, config, outDir, atLeast) => {
  test(`emits exactly what \`tsc -p ${config}\` emits`, () => {
    const built = node([BUILD, target]);
    expect(built.status).toBe(0);
    const out = temp('tsc');
    try {
      const tsc = node([join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config, '--outDir', out], {
        cwd: ROOT,
      });
      expect(tsc.stdout + tsc.stderr).toBe('');
      const ours = filesUnder(join(ROOT, outDir)).filter((f) => f !== 'build-manifest.json');
      expect(ours).toEqual(filesUnder(out));
      expect(ours.length).toBeGreaterThan(atLeast);
      for (const f of ours) {
        const a = readFileSync(join(ROOT, outDir, f), 'utf8');
        const b = readFileSync(join(out, f), 'utf8');
        // tsc re-prints JSON files; the build copies them
        if (f.endsWith('.json')) expect([f, JSON.parse(a)]).toEqual([f, JSON.parse(b)]);
        else expect([f, a]).toEqual([f, b]);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);
});

test('`npm run synth` (compiled) writes the same stacks as main.ts run by ts-node', () => {
  const work = temp('synth');
  try {
    const compiled = run('npm', ['run', '--silent', 'synth'], {
      cwd: ROOT,
      env: {
        ...ENV,
        CDKTF_OUTDIR: join(work, 'compiled'),
        SWITCHYARD_ENVS: '',
        SWITCHYARD_ENVIRONMENTS_DIR: '',
      },
    });
    expect(compiled.stdout).toMatch(/^synthesized dev, staging, prod, bootstrap into /);
    expect(compiled.status).toBe(0);
    const direct = node(['-r', 'ts-node/register/transpile-only', 'main.ts'], {
      cwd: ROOT,
      env: { ...ENV, CDKTF_OUTDIR: join(work, 'ts'), SWITCHYARD_ENVS: '', SWITCHYARD_ENVIRONMENTS_DIR: '' },
    });
    expect(direct.status).toBe(0);
    const files = filesUnder(join(work, 'compiled'));
    expect(files).toEqual(filesUnder(join(work, 'ts')));
    expect(files).toEqual(expect.arrayContaining(['stacks/dev/cdk.tf.json', 'stacks/bootstrap/cdk.tf.json']));
    for (const f of files) {
      expect([f, readFileSync(join(work, 'compiled', f), 'utf8')]).toEqual([
        f,
        readFileSync(join(work, 'ts', f), 'utf8'),
      ]);
    }
    // refusals name the files in environments/, not the build's copy of the loader
    const bad = join(work, 'environments');
    cpSync(join(ROOT, 'environments'), bad, { recursive: true, filter: (p) => !p.endsWith('.ts') });
    writeFileSync(join(bad, 'dev.yaml'), `${readFileSync(join(bad, 'dev.yaml'), 'utf8')}\nbogusField: 1\n`);
    const refused = run('npm', ['run', '--silent', 'synth'], {
      cwd: ROOT,
      env: {
        ...ENV,
        CDKTF_OUTDIR: join(work, 'refused'),
        SWITCHYARD_ENVS: '',
        SWITCHYARD_ENVIRONMENTS_DIR: bad,
      },
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/dev\.yaml: .*bogusField/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 180_000);

test('`npm pack` → installed offline with the production dependencies only → switchyard works in an empty directory', () => {
  const work = temp('pack');
  try {
    expect(node([BUILD, 'cli']).status).toBe(0);
    // --ignore-scripts: prepack (typecheck + forced rebuild) would rewrite the repository's dist/cli under
    // the other tests; the build was just brought up to date instead
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
      cwd: ROOT,
    });
    expect(pack.status).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const shipped = info.files.map((f) => f.path);
    expect(shipped).toEqual(expect.arrayContaining(['bin/switchyard.js', 'package.json', ENTRY]));
    const other = shipped.filter(
      (f) => !f.startsWith('dist/cli/') && !['bin/switchyard.js', 'package.json', 'README.md'].includes(f),
    );
    expect(other).toEqual([]);
    expect(shipped.filter((f) => f.endsWith('.ts') || f.endsWith('build-manifest.json'))).toEqual([]);

    // an app depending on the tarball, locked to the repository's production tree: `npm ci --offline`
    // installs it from the npm cache that `npm ci` filled (tests never reach the network)
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
    const tgz = `file:${info.filename}`;
    const app = join(work, 'app');
    mkdirSync(app);
    const packages: Record<string, unknown> = {
      '': { name: 'app', version: '1.0.0', dependencies: { switchyard: tgz } },
      'node_modules/switchyard': {
        version: pkg.version,
        resolved: tgz,
        dependencies: pkg.dependencies,
        bin: pkg.bin,
        engines: pkg.engines,
      },
    };
    // the closure of the CLI's production dependencies in the repository's lock (Node's resolution: the
    // nearest node_modules up the tree) — not the workspaces' packages (apps/api and its dependencies)
    const resolveIn = (from: string, name: string): string | undefined => {
      for (let dir = from; ; dir = dir.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
        const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
        if (lock.packages[key]) return key;
        if (!dir) return undefined;
      }
    };
    const queue = Object.keys(pkg.dependencies as Record<string, string>).map((d) => resolveIn('', d));
    while (queue.length > 0) {
      const key = queue.pop();
      if (!key || key in packages) continue;
      const entry = lock.packages[key] as { dev?: boolean; dependencies?: Record<string, string> };
      expect(entry.dev).toBeFalsy(); // a run-time dependency must not be a dev-only package
      packages[key] = entry;
      for (const d of Object.keys(entry.dependencies ?? {})) queue.push(resolveIn(key, d));
    }
    const manifest = { name: 'app', version: '1.0.0', private: true, dependencies: { switchyard: tgz } };
    writeFileSync(join(app, 'package.json'), JSON.stringify(manifest));
    const appLock = { name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock));
    cpSync(join(work, info.filename), join(app, info.filename));
    const install = run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: app,
    });
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const installed = readdirSync(join(app, 'node_modules'));
    expect(installed).toContain('@aws-sdk');
    for (const dev of ['typescript', 'ts-node', 'cdktf', '@cdktf', 'constructs', 'yaml', 'jest']) {
      expect(installed).not.toContain(dev);
    }

    const empty = join(work, 'empty');
    mkdirSync(empty);
    const sy = join(app, 'node_modules/.bin/switchyard');
    const help = run(sy, ['--help'], { cwd: empty });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: switchyard <command>/);
    const status = run(sy, ['status', '--env', 'dev', '--simulate'], { cwd: empty });
    expect(status.stderr).toBe('');
    expect(status.stdout).toMatch(/dev\/api {2}live: blue/);
    // the real-AWS path loads the SDK clients from the installed dependencies (refused before any call)
    const aws = run(
      sy,
      ['deploy', '--env', 'dev', '--service', 'api', '--image-tag', 'latest', '--topology', EXAMPLE],
      {
        cwd: empty,
        env: {
          ...ENV,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'AKIDTEST',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    );
    expect(aws.stderr).toMatch(/refusing mutable tag "latest"/);
    expect(aws.status).toBe(2);
    expect(readdirSync(empty)).toEqual(['.switchyard-sim']); // the simulation's state; nothing built there
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 180_000);
