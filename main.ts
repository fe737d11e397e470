/**
 * The cdktf app: one stack per environment in environments/ (or those named by SWITCHYARD_ENVS=dev,prod)
 * plus `bootstrap`, written to cdktf.out/stacks/<name>/cdk.tf.json.
 *
 * All-or-nothing: every environment file is validated before any construct is built, and the stacks are
 * synthesized into a scratch directory that replaces cdktf.out only when everything succeeded. When
 * anything fails, cdktf.out is removed, so no stale or partial stack can be planned or applied.
 * Exit codes: 0 written, 2 configuration refused (every problem listed), 1 internal error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { ConfigError, ENVS_VARIABLE, loadConfiguration } from './environments/loader';
import { quotaWarnings } from './environments/quotas';
import { BOOTSTRAP_STACK_NAME, BootstrapStack } from './stacks/bootstrap-stack';
import { PlatformStack } from './stacks/platform-stack';

/** Env var pointing at another environments directory (fixtures, experiments). */
export const ENVIRONMENTS_DIR_VARIABLE = 'SWITCHYARD_ENVIRONMENTS_DIR';

export interface SynthOptions {
  /** Output directory. @default $CDKTF_OUTDIR or "cdktf.out" */
  readonly outdir?: string;
  /** Directory of the environment files. @default $SWITCHYARD_ENVIRONMENTS_DIR or environments/ */
  readonly environmentsDir?: string;
  /** Comma-separated environment names. @default $SWITCHYARD_ENVS, else all */
  readonly requested?: string;
}

export interface SynthResult {
  readonly outdir: string;
  /** Stack names written, environments first, then bootstrap. */
  readonly stacks: readonly string[];
  /** AWS default quotas the environments would exceed (environments/quotas.ts); synth still succeeds. */
  readonly warnings: readonly string[];
}

/** Validates everything, then synthesizes atomically. Throws ConfigError for bad configuration. */
export function synthesize(options: SynthOptions = {}): SynthResult {
  const outdir = path.resolve(options.outdir || process.env.CDKTF_OUTDIR || 'cdktf.out');
  assertReplaceable(outdir);
  let scratch: string | undefined;
  try {
    const dir = options.environmentsDir ?? process.env[ENVIRONMENTS_DIR_VARIABLE];
    const config = loadConfiguration({
      dir: dir ? path.resolve(dir) : undefined,
      displayDir: dir ? path.relative(process.cwd(), path.resolve(dir)) || '.' : undefined,
      requested: options.requested ?? process.env[ENVS_VARIABLE],
    });

    scratch = fs.mkdtempSync(`${outdir}.partial-`);
    const app = new App({ outdir: scratch, stackTraces: false });
    for (const env of config.selected) new PlatformStack(app, { config: env });
    const bootstrapDir = path.join(outdir, 'stacks', BOOTSTRAP_STACK_NAME);
    new BootstrapStack(app, {
      project: config.project,
      environments: config.all,
      // Outside cdktf.out (which each synth replaces), as a path relative to the stack's directory.
      localStatePath: path.relative(bootstrapDir, path.resolve('terraform.bootstrap.tfstate')),
    });
    app.synth();

    fs.rmSync(outdir, { recursive: true, force: true });
    fs.renameSync(scratch, outdir);
    scratch = undefined;
    return {
      outdir,
      stacks: [...config.selected.map((e) => e.name), BOOTSTRAP_STACK_NAME],
      // Every environment: those sharing an account and region consume the same quotas.
      warnings: quotaWarnings(config.all),
    };
  } catch (error) {
    fs.rmSync(outdir, { recursive: true, force: true });
    throw error;
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * The output directory is deleted and replaced on every run: refuse anything that is not plainly a
 * cdktf output (the working directory or one of its parents, or a non-empty directory without
 * manifest.json / stacks/).
 */
function assertReplaceable(outdir: string): void {
  const cwd = path.resolve(process.cwd());
  const rel = path.relative(outdir, cwd);
  if (rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))) {
    throw new Error(`refusing to use ${outdir} as the output directory: it contains the working directory`);
  }
  if (!fs.existsSync(outdir)) return;
  const entries = fs.statSync(outdir).isDirectory() ? fs.readdirSync(outdir) : ['(a file)'];
  if (entries.length > 0 && !entries.includes('manifest.json') && !entries.includes('stacks')) {
    throw new Error(`refusing to replace ${outdir}: it does not look like a cdktf output directory`);
  }
}

function main(): number {
  try {
    const result = synthesize();
    for (const warning of result.warnings) console.error(`warning: ${warning}`);
    const rel = path.relative(process.cwd(), result.outdir) || '.';
    console.log(`synthesized ${result.stacks.join(', ')} into ${rel}/stacks/`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.problems.join('\n'));
      console.error(
        `synth refused: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} above; nothing was written (cdktf.out removed)`,
      );
      return 2;
    }
    console.error(`synth failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.error('nothing was written (cdktf.out removed)');
    return 1;
  }
}

if (require.main === module) process.exitCode = main();
