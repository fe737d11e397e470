#!/usr/bin/env node
// switchyard CLI launcher: compiles the TypeScript sources on the fly (ts-node, transpile only) and
// runs services/deployer/src/cli/main.ts. SIGINT/SIGTERM abort the run: a deploy in flight puts
// traffic back on the last known good colour before exiting (a third signal exits at once).

const path = require('node:path');

// AWS SDK v3 prints a multi-line NodeVersionSupportWarning once per process on Node < 22 (see
// @aws-sdk/core client/emitWarningIfUnsupportedVersion); on a CI log it reads like an error. Silence it
// unless the user chose otherwise (the SDK checks for exactly "true").
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

require('ts-node').register({
  transpileOnly: true,
  project: path.join(__dirname, '..', 'tsconfig.json'),
  compilerOptions: { module: 'commonjs', incremental: false },
});

const { run } = require('../services/deployer/src/cli/main.ts');

const controller = new AbortController();
let signals = 0;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(
        `\nswitchyard: ${sig} received — stopping; traffic goes back to the last known good colour if it moved\n`,
      );
      controller.abort(new Error(sig));
    } else if (signals === 2) {
      process.stderr.write(
        `switchyard: still restoring; send ${sig} once more to exit immediately (traffic may stay split)\n`,
      );
    } else {
      process.exit(130);
    }
  });
}

run(process.argv.slice(2), process.env, {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY === true,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`switchyard: internal error: ${err?.stack || err}\n`);
    process.exitCode = 1;
  },
);
