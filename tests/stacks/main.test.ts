import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'cdktf';
import { ConfigError } from '../../environments/loader';
import { synthesize } from '../../main';
import { tempEnvironments, validFiles } from '../environments/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-out-'));
const stackFile = (outdir: string, name: string) => path.join(outdir, 'stacks', name, 'cdk.tf.json');
const siblings = (outdir: string) =>
  fs.readdirSync(path.dirname(outdir)).filter((f) => f.startsWith(`${path.basename(outdir)}.partial-`));

/** A stale output as a previous successful run would have left it. */
function staleOutput(outdir: string): void {
  for (const name of ['dev', 'prod', 'bootstrap']) {
    fs.mkdirSync(path.dirname(stackFile(outdir, name)), { recursive: true });
    fs.writeFileSync(stackFile(outdir, name), '{"stale":true}');
  }
}

describe('synthesize (in process)', () => {
  test('the multi-account example: three environment accounts, one shared-services account', () => {
    const outdir = path.join(tmp(), 'cdktf.out');
    const result = synthesize({
      outdir,
      requested: '',
      environmentsDir: path.join(ROOT, 'environments/examples/multi-account'),
    });
    expect(result.stacks).toEqual(['dev', 'staging', 'prod', 'bootstrap']);
    const read = (n: string) => JSON.parse(fs.readFileSync(stackFile(outdir, n), 'utf8'));
    const accounts = ['dev', 'staging', 'prod'].map((n) => read(n).provider.aws[0].allowed_account_ids[0]);
    expect(accounts).toEqual(['111111111111', '222222222222', '333333333333']);
    for (const n of ['dev', 'staging', 'prod']) {
      expect(read(n).terraform.backend.s3).toMatchObject({
        bucket: 'switchyard-tfstate-999999999999',
        key: `switchyard/${n}/terraform.tfstate`,
        use_lockfile: true,
      });
    }
    const providers = read('bootstrap').provider.aws.map(
      (p: { allowed_account_ids: string[] }) => p.allowed_account_ids[0],
    );
    expect(providers.sort()).toEqual(['111111111111', '222222222222', '333333333333', '999999999999']);
  });

  test('writes every environment and bootstrap from the real environments/', () => {
    const outdir = path.join(tmp(), 'cdktf.out');
    staleOutput(outdir);
    const result = synthesize({ outdir, requested: '' });
    expect(result.stacks).toEqual(['dev', 'staging', 'prod', 'bootstrap']);
    const keys = ['dev', 'staging', 'prod'].map(
      (n) => JSON.parse(fs.readFileSync(stackFile(outdir, n), 'utf8')).terraform.backend.s3,
    );
    expect(keys.map((k) => k.key)).toEqual([
      'switchyard/dev/terraform.tfstate',
      'switchyard/staging/terraform.tfstate',
      'switchyard/prod/terraform.tfstate',
    ]);
    for (const k of keys) expect(k.dynamodb_table).toBe('switchyard-tfstate-lock');
    const bootstrap = JSON.parse(fs.readFileSync(stackFile(outdir, 'bootstrap'), 'utf8'));
    expect(bootstrap.terraform.backend.local.path).toBe(
      path.relative(path.join(outdir, 'stacks', 'bootstrap'), path.resolve('terraform.bootstrap.tfstate')),
    );
    expect(
      Object.keys(JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')).stacks).sort(),
    ).toEqual(['bootstrap', 'dev', 'prod', 'staging']);
    expect(siblings(outdir)).toEqual([]);
  });

  test('SWITCHYARD_ENVS selects environments; the output holds exactly those plus bootstrap', () => {
    const outdir = path.join(tmp(), 'cdktf.out');
    staleOutput(outdir);
    expect(
      synthesize({ outdir, environmentsDir: tempEnvironments(validFiles()), requested: 'prod' }).stacks,
    ).toEqual(['prod', 'bootstrap']);
    expect(fs.readdirSync(path.join(outdir, 'stacks')).sort()).toEqual(['bootstrap', 'prod']);
    expect(JSON.parse(fs.readFileSync(stackFile(outdir, 'prod'), 'utf8'))).not.toHaveProperty('stale');
  });

  test('a broken file: ConfigError, nothing written, stale output removed', () => {
    const files = validFiles();
    files['prod.yaml'] = { ...(files['prod.yaml'] as object), vpc: { cidr: '10.30.0.0/16', azCount: 5 } };
    const outdir = path.join(tmp(), 'cdktf.out');
    staleOutput(outdir);
    const dir = tempEnvironments(files);
    let error: unknown;
    try {
      synthesize({ outdir, environmentsDir: dir });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      `${path.relative(process.cwd(), dir)}/prod.yaml: vpc.azCount: must be 2 or 3 (got 5)`,
    ]);
    expect(fs.existsSync(outdir)).toBe(false);
    expect(siblings(outdir)).toEqual([]);
  });

  test('a failure after construction started (partial output) leaves neither scratch nor stale output', () => {
    const outdir = path.join(tmp(), 'cdktf.out');
    staleOutput(outdir);
    const spy = jest.spyOn(App.prototype, 'synth').mockImplementationOnce(function (this: App) {
      fs.mkdirSync(path.join(this.outdir, 'stacks', 'dev'), { recursive: true });
      fs.writeFileSync(path.join(this.outdir, 'stacks', 'dev', 'cdk.tf.json'), '{"partial":');
      throw new Error('boom');
    });
    try {
      expect(() => synthesize({ outdir, requested: '' })).toThrow('boom');
    } finally {
      spy.mockRestore();
    }
    expect(fs.existsSync(outdir)).toBe(false);
    expect(siblings(outdir)).toEqual([]);
  });

  test('an output directory that is not a cdktf output is never replaced', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    expect(() => synthesize({ outdir: dir })).toThrow(
      `refusing to replace ${dir}: it does not look like a cdktf output directory`,
    );
    expect(() => synthesize({ outdir: path.resolve('..') })).toThrow('it contains the working directory');
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

describe('npm run synth (child process)', () => {
  // One real process per case: exit code and stderr as a user sees them.
  function run(envFiles: Record<string, unknown>, extraEnv: Record<string, string> = {}) {
    const cwd = tmp();
    const dir = path.join(cwd, 'environments');
    fs.renameSync(tempEnvironments(envFiles), dir);
    staleOutput(path.join(cwd, 'cdktf.out'));
    const child = spawnSync(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'main.ts')],
      {
        cwd,
        encoding: 'utf8',
        env: {
          ...process.env,
          TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
          SWITCHYARD_ENVIRONMENTS_DIR: 'environments',
          CDKTF_OUTDIR: '',
          SWITCHYARD_ENVS: '',
          ...extraEnv,
        },
      },
    );
    return { ...child, out: path.join(cwd, 'cdktf.out') };
  }

  test('broken YAML: every problem listed, exit 2, no cdktf.out', () => {
    const files = validFiles();
    files['prod.yaml'] = {
      ...(files['prod.yaml'] as object),
      name: 'production',
      vpc: { cidr: '10.30.0.0/16', azCount: 5 },
      database: { multiAz: false },
    };
    const r = run(files);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'environments/prod.yaml: vpc.azCount: must be 2 or 3 (got 5)',
      'environments/prod.yaml: name: must match the file name "prod" (got "production")',
      'environments/prod.yaml: database.multiAz: must be true in prod (got false)',
      'synth refused: 3 problems above; nothing was written (cdktf.out removed)',
    ]);
    expect(fs.existsSync(r.out)).toBe(false);
  });

  test('unknown environment asked for: one message, exit 2, nothing written', () => {
    const r = run(validFiles(), { SWITCHYARD_ENVS: 'dev,qa' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'SWITCHYARD_ENVS: unknown environment "qa"; known environments: dev, staging, prod (files in environments/)',
      'synth refused: 1 problem above; nothing was written (cdktf.out removed)',
    ]);
    expect(fs.existsSync(r.out)).toBe(false);
  });
});
