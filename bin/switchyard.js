#!/usr/bin/env node
'use strict';
// switchyard CLI launcher. Runs the compiled CLI (dist/cli, see bin/build.js) in this very process —
// no child node process — so SIGINT/SIGTERM reach the CLI directly: a deploy in flight puts traffic back
// on the last known good colour before exiting (a third signal exits at once).
//
// Inside the repository (the sources are there) it first rebuilds dist/cli when a source changed since
// the last build — a few stats when nothing did — so `npx switchyard` just works after `npm ci` and
// after every edit. The npm package ships dist/cli prebuilt (`npm pack` runs `prepack`) and no sources.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const CLI_DIR = path.join(ROOT, 'dist/cli/services/deployer/src/cli'); // build.js TARGETS.cli.outDir + src/cli
const ENTRY = path.join(CLI_DIR, 'main.js');

/** Builds dist/cli if stale (repository only). Returns an exit code when the CLI cannot run. */
function ensureBuilt() {
  if (fs.existsSync(path.join(ROOT, 'tsconfig.build.json'))) {
    const builder = require('./build.js');
    try {
      builder.ensureFresh(ROOT, 'cli', (s) => process.stderr.write(s));
    } catch (e) {
      process.stderr.write(`switchyard: ${e instanceof builder.BuildError ? e.message : e.stack}\n`);
      return 2; // refused: nothing ran, nothing changed
    }
  } else if (!fs.existsSync(ENTRY)) {
    process.stderr.write(
      `switchyard: ${ENTRY} is missing: this copy of the package was packed without its build; reinstall it, or run \`npm run build\` in the repository\n`,
    );
    return 2;
  }
  return undefined;
}

/**
 * The AWS SDK for JavaScript v3 warns once per process when Node is older than the SDK's next minimum:
 * every client's runtime config calls `emitWarningIfUnsupportedVersion(process.version)` (@aws-sdk/core,
 * packages/core/src/submodules/client/emitWarningIfUnsupportedVersion.ts; installed 3.981.0:
 * dist-es/submodules/client/emitWarningIfUnsupportedVersion.js), which calls
 * `process.emitWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after
 * the first week of January 2027\nwill require node >=22. ...")` guarded by a module-level
 * `state.warningEmitted`, and is silenced only by AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true.
 * Node prints that as nine lines under "(node:PID) Warning:" plus a --trace-warnings hint, which reads like
 * a crash in a CI log. Here it becomes one line with the SDK's own words — still true, still visible —
 * shown at most once even if several copies of @aws-sdk/core are loaded. Earlier SDK releases used a
 * "NodeDeprecationWarning" prefix or passed it as the warning type; both are recognised by the SDK's
 * sentence. Every other warning goes to Node as usual.
 */
function condenseSdkNodeWarning(proc) {
  const emitWarning = proc.emitWarning;
  let shown = false;
  proc.emitWarning = function (warning, ...rest) {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.includes('The AWS SDK for JavaScript (v3)')) {
      if (!shown) {
        shown = true;
        const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type;
        const line = text.replace(/\s+/g, ' ').trim();
        proc.stderr.write(
          `switchyard: warning: ${type && !line.startsWith(type) ? `${type}: ` : ''}${line}\n`,
        );
      }
      return;
    }
    return emitWarning.call(this, warning, ...rest);
  };
}

function main() {
  // V8's on-disk code cache for the modules this process loads (Node >= 22.1; a no-op on Node 20): "a quiet
  // optimization", never throws; NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node docs, module.enableCompileCache)
  require('node:module').enableCompileCache?.();
  const refused = ensureBuilt();
  if (refused !== undefined) {
    process.exitCode = refused;
    return;
  }
  condenseSdkNodeWarning(process);
  // Signals (SIGINT/SIGTERM: stop, put traffic back, say truthfully what happened) and a closed stdout
  // (`| head -1`) are handled by the CLI itself: services/deployer/src/cli/process.ts.
  require(path.join(CLI_DIR, 'process.js')).runProcess();
}

module.exports = { condenseSdkNodeWarning };

if (require.main === module) main();
