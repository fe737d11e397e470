/**
 * Evaluates Terraform expressions with the local `terraform` binary (`terraform console` on a config that
 * holds only `locals`: no provider, no backend, no network). Lets tests check the HCL that synth writes
 * (preconditions, postconditions) with Terraform's own semantics. Absent binary: `terraformAvailable` is
 * false and callers skip (they say so in the test name).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const terraformAvailable: boolean = (() => {
  const r = spawnSync('terraform', ['version'], { encoding: 'utf8', timeout: 20_000 });
  return r.status === 0;
})();

/**
 * The JSON value of each expression, evaluated with `locals` (HCL text of the locals block body). Throws
 * with Terraform's message when an expression does not evaluate.
 */
export function evaluateHcl(locals: string, expressions: readonly string[]): unknown[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-hcl-'));
  try {
    fs.writeFileSync(path.join(dir, 'main.tf'), `locals {\n${locals}\n}\n`);
    // Piped into a non-terminal, `terraform console` prints only the last result: evaluate one tuple.
    const input = `jsonencode([${expressions.join(', ')}])\n`;
    const r = spawnSync('terraform', ['console'], {
      cwd: dir,
      input,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        TF_CLI_CONFIG_FILE: '/dev/null',
        CHECKPOINT_DISABLE: '1',
        TF_IN_AUTOMATION: '1',
      },
    });
    if (r.status !== 0) throw new Error(`terraform console failed: ${r.stderr || r.stdout}`);
    const line = r.stdout.split('\n').find((l) => l.trim() !== '');
    const values = line === undefined ? undefined : (JSON.parse(JSON.parse(line) as string) as unknown);
    if (!Array.isArray(values) || values.length !== expressions.length) {
      throw new Error(
        `terraform console: expected ${expressions.length} results, got:\n${r.stdout}${r.stderr}`,
      );
    }
    return values;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `${expr}` → `expr` (Terraform JSON strings hold one interpolation). */
export function unwrapInterpolation(value: string): string {
  const m = /^\$\{([\s\S]*)\}$/.exec(value);
  if (!m) throw new Error(`not a single interpolation: ${value}`);
  return m[1]!;
}
