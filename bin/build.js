'use strict';
/**
 * Builds the TypeScript that runs as JavaScript — the switchyard CLI and the cdktf app — and checks whether
 * a build is fresh. bin/switchyard.js runs the check (and a build when stale) before every start inside the
 * repository; `npm run synth` does the same for the cdktf app. Not part of the npm package (which ships
 * bin/switchyard.js and the built dist/cli only).
 *
 *   node bin/build.js [cli|synth]...           build what is stale (`npm run build`: every target)
 *   node bin/build.js [cli|synth]... --force   rebuild everything
 *   node bin/build.js [cli|synth]... --check   exit 0 when fresh, 1 (saying why) when stale
 *
 * Targets: `cli` — tsconfig.build.json's files (services/deployer/src, services/topology, the example
 * topologies) → dist/cli; `synth` — tsconfig.synth.json's (main.ts) → dist/synth. Each takes every project
 * file its files import too (e.g. modules/deployment-table/keys.ts), with the sources' layout. Each
 * TypeScript file is emitted with TypeScript's `transpileModule` and the target's compiler options: with
 * `isolatedModules` (tsconfig.json) that is byte for byte what `tsc -p <config>` emits (tests/bin compares
 * them), without type checking (`npm run typecheck` does that), so a full build takes ~1 s instead of tsc's
 * ~4 s, and a rebuild emits only the files that changed. JSON files are copied as they are.
 *
 * Freshness: <outDir>/build-manifest.json records the size and mtime of every input (sources, the
 * tsconfig files, this file, TypeScript's package.json), of every directory holding a source (adding or
 * removing a file changes its directory's mtime) and of every output. The check only stats those
 * paths — no TypeScript is loaded — about a millisecond for the CLI (bench/cli-start-results.md). Stats
 * are taken before a file is read, so a file saved during a build makes the next check stale.
 */
const fs = require('node:fs');
const path = require('node:path');

/** What can be built: its tsconfig (whose `outDir` must be `outDir`, `rootDir` "."), relative to the root. */
const TARGETS = {
  cli: { what: 'the CLI', config: 'tsconfig.build.json', outDir: 'dist/cli' },
  synth: { what: 'the cdktf app', config: 'tsconfig.synth.json', outDir: 'dist/synth' },
};
const MANIFEST = 'build-manifest.json';
/** Bumped when the manifest's shape or the build's output changes (older manifests then count as stale). */
const FORMAT = 1;

const posix = (p) => p.split(path.sep).join('/');

class BuildError extends Error {}

function targetOf(name) {
  if (!Object.hasOwn(TARGETS, name)) {
    throw new BuildError(`unknown build target "${name}"; targets: ${Object.keys(TARGETS).join(', ')}`);
  }
  return TARGETS[name];
}

function statOf(abs) {
  const st = fs.statSync(abs);
  return [st.size, st.mtimeMs];
}

/**
 * Why the target must be (re)built, or undefined when it is fresh. Cheap: reads the manifest and stats the
 * paths it lists; never loads TypeScript.
 */
function staleReason(root, name = 'cli') {
  const { outDir } = targetOf(name);
  const out = path.join(root, outDir);
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(out, MANIFEST), 'utf8'));
  } catch {
    return `${outDir} is not built yet`;
  }
  if (!manifest || manifest.format !== FORMAT) return `${outDir} was built by another version of the build`;
  const groups = [
    ['inputs', root, (rel) => `${rel} changed`, (rel) => `${rel} was removed`],
    ['dirs', root, (rel) => `a file was added to or removed from ${rel}/`, (rel) => `${rel}/ was removed`],
    ['outputs', out, (rel) => `${outDir}/${rel} was modified`, (rel) => `${outDir}/${rel} is missing`],
  ];
  for (const [key, base, changed, missing] of groups) {
    for (const [rel, recorded] of Object.entries(manifest[key] ?? {})) {
      let now;
      try {
        now = statOf(path.join(base, rel));
      } catch {
        return missing(rel);
      }
      // directories: only the mtime counts (their size is the file system's business)
      if (now[1] !== recorded[1] || (key !== 'dirs' && now[0] !== recorded[0])) return changed(rel);
    }
  }
  return undefined;
}

function loadTypeScript(root, what) {
  try {
    return require(require.resolve('typescript', { paths: [root] }));
  } catch {
    throw new BuildError(
      `cannot build ${what}: the "typescript" package is not installed; run \`npm ci\` in the repository`,
    );
  }
}

/** Writes `data` to `file` atomically (a concurrent reader sees the old or the new file, never half). */
function writeAtomic(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

function walkFiles(dir, base = dir, acc = []) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return acc;
  }
  for (const e of entries) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) walkFiles(abs, base, acc);
    else acc.push(posix(path.relative(base, abs)));
  }
  return acc;
}

/**
 * The project files (repository-relative) that `file` imports, found with TypeScript's own module
 * resolution: relative imports that resolve to a .ts or .json file (declaration files and packages are
 * not built; packages load from node_modules at run time).
 */
function projectImports(ts, root, file, text, options) {
  const rel = posix(path.relative(root, file));
  const deps = [];
  for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
    if (!ref.fileName.startsWith('.')) continue;
    const resolved = ts.resolveModuleName(ref.fileName, file, options, ts.sys).resolvedModule;
    if (!resolved || resolved.isExternalLibraryImport) continue;
    const target = path.resolve(resolved.resolvedFileName);
    if (target.endsWith('.d.ts') || !/\.(ts|json)$/.test(target)) continue;
    const dep = posix(path.relative(root, target));
    if (dep.startsWith('..')) throw new BuildError(`${rel} imports ${ref.fileName}, outside the repository`);
    if (!deps.includes(dep)) deps.push(dep);
  }
  return deps;
}

/**
 * Builds a target. Returns `{ files, emitted, ms }`. Throws BuildError (naming the file and what is wrong)
 * when the configuration is broken or a source has a syntax error; then no manifest is written, so the
 * next check is stale again.
 */
function build(root, name = 'cli', { force = false } = {}) {
  const started = process.hrtime.bigint();
  const target = targetOf(name);
  const ts = loadTypeScript(root, target.what);
  const outDir = path.join(root, target.outDir);
  let previous;
  try {
    previous = force ? undefined : JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST), 'utf8'));
  } catch {
    previous = undefined;
  }
  const inputs = {};
  const dirs = {};
  // a source's directory is recorded too (a file added there may be one to build: tsconfig `include`
  // globs); not the repository root (only `files` name sources there, and synth output, dist/ and the
  // simulation state change it all the time) nor node_modules/typescript
  const record = (abs, { source = true } = {}) => {
    const dir = path.dirname(abs);
    const relDir = posix(path.relative(root, dir));
    if (source && relDir !== '' && !(relDir in dirs)) dirs[relDir] = statOf(dir);
    inputs[posix(path.relative(root, abs))] = statOf(abs);
  };
  const configPath = path.join(root, target.config);
  const settings = [configPath, path.join(root, 'tsconfig.json'), path.join(__dirname, 'build.js')];
  settings.push(require.resolve('typescript/package.json', { paths: [root] }));
  for (const f of settings) record(f, { source: false });
  // an output is reused when neither its source nor anything that shapes the emit changed since the
  // last build, and nobody touched the output itself
  const same = (a, b) => Array.isArray(a) && Array.isArray(b) && a[0] === b[0] && a[1] === b[1];
  if (previous?.format !== FORMAT) previous = undefined;
  for (const f of settings) {
    const rel = posix(path.relative(root, f));
    if (previous && !same(previous.inputs?.[rel], inputs[rel])) previous = undefined;
  }
  const reusable = (rel, outRel) => {
    if (!previous || !same(previous.inputs?.[rel], inputs[rel])) return false;
    try {
      return same(previous.outputs?.[outRel], statOf(path.join(outDir, outRel)));
    } catch {
      return false;
    }
  };

  const format = (d) => {
    const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return msg;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${posix(path.relative(root, d.file.fileName))}:${line + 1}:${character + 1}: ${msg}`;
  };
  let configError;
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        configError = d;
      },
    },
  );
  if (!parsed || configError) {
    throw new BuildError(`${target.config}: ${configError ? format(configError) : 'cannot be read'}`);
  }
  if (parsed.errors.length > 0) throw new BuildError(parsed.errors.map(format).join('\n'));
  const options = parsed.options;
  if (path.resolve(options.outDir ?? '') !== outDir || path.resolve(options.rootDir ?? '') !== root) {
    throw new BuildError(`${target.config} must set "rootDir": "." and "outDir": "${target.outDir}"`);
  }

  // the configured files, then every project file they import (followed with TypeScript's own resolution)
  const queue = [...parsed.fileNames];
  const seen = new Set(queue.map((f) => path.resolve(f)));
  const outputs = new Map(); // rel path in outDir → contents, or null when the existing output is reused
  const errors = [];
  const imports = {};
  let emitted = 0;
  while (queue.length > 0) {
    const file = path.resolve(queue.shift());
    const rel = posix(path.relative(root, file));
    let text;
    try {
      record(file);
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new BuildError(`cannot build ${target.what}: cannot read ${rel} (${e.code ?? e.message})`);
    }
    const outRel = rel.replace(/\.ts$/, '.js');
    const reuse = reusable(rel, outRel);
    if (reuse) {
      outputs.set(outRel, null);
    } else if (file.endsWith('.json')) {
      outputs.set(outRel, text);
    } else {
      const res = ts.transpileModule(text, {
        compilerOptions: options,
        fileName: file,
        reportDiagnostics: true,
      });
      for (const d of res.diagnostics ?? []) errors.push(format(d));
      outputs.set(outRel, res.outputText);
    }
    if (file.endsWith('.json')) continue;
    // project files this one imports: from the last build when the file is unchanged, else resolved anew
    const deps =
      reuse && previous.imports?.[rel]
        ? previous.imports[rel]
        : projectImports(ts, root, file, text, options);
    imports[rel] = deps;
    for (const dep of deps) {
      const target = path.join(root, dep);
      if (seen.has(target)) continue;
      seen.add(target);
      queue.push(target);
    }
  }
  if (errors.length > 0) throw new BuildError(`cannot build ${target.what}:\n${errors.join('\n')}`);

  for (const [rel, data] of outputs) {
    if (data === null) continue;
    emitted += 1;
    // an identical output keeps its mtime: concurrent builds of the same sources agree on the manifest
    const file = path.join(outDir, rel);
    let current;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      current = undefined;
    }
    if (current !== data) writeAtomic(file, data);
  }
  // outputs of sources that no longer exist; another build's temporary files only once abandoned
  for (const rel of walkFiles(outDir)) {
    if (rel === MANIFEST || outputs.has(rel)) continue;
    const abs = path.join(outDir, rel);
    if (
      /\.\d+\.tmp$/.test(rel) &&
      Date.now() - fs.statSync(abs, { throwIfNoEntry: false })?.mtimeMs < 60_000
    ) {
      continue;
    }
    fs.rmSync(abs, { force: true });
  }
  const written = {};
  for (const rel of outputs.keys()) written[rel] = statOf(path.join(outDir, rel));
  const manifest = { format: FORMAT, inputs, dirs, outputs: written, imports };
  writeAtomic(path.join(outDir, MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
  return { files: outputs.size, emitted, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * Builds the target when it is stale. `log` receives one line saying why and how long it took.
 * Returns the reason it was rebuilt, or undefined when it was fresh.
 */
function ensureFresh(root, name = 'cli', log = () => {}) {
  const reason = staleReason(root, name);
  if (reason === undefined) return undefined;
  const { files, emitted, ms } = build(root, name);
  const { what, outDir } = targetOf(name);
  log(
    `switchyard: built ${what} into ${outDir} (${reason}): ${emitted} of ${files} files emitted in ${(ms / 1000).toFixed(2)} s\n`,
  );
  return reason;
}

module.exports = { TARGETS, MANIFEST, BuildError, staleReason, build, ensureFresh };

if (require.main === module) {
  const root = path.join(__dirname, '..');
  const args = process.argv.slice(2);
  const names = args.filter((a) => !a.startsWith('--'));
  const log = (s) => process.stderr.write(s);
  try {
    for (const name of names.length > 0 ? names : Object.keys(TARGETS)) {
      const { outDir } = targetOf(name);
      if (args.includes('--check')) {
        const reason = staleReason(root, name);
        log(reason === undefined ? `${outDir} is up to date\n` : `${outDir} is stale: ${reason}\n`);
        if (reason !== undefined) process.exitCode = 1;
      } else if (args.includes('--force')) {
        const { files, ms } = build(root, name, { force: true });
        log(`built ${outDir}: ${files} files in ${(ms / 1000).toFixed(2)} s\n`);
      } else {
        ensureFresh(root, name, log);
      }
    }
  } catch (e) {
    log(`switchyard: ${e instanceof BuildError ? e.message : e.stack}\n`);
    process.exitCode = 2;
  }
}
