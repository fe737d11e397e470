#!/usr/bin/env node
// switchyard CLI launcher: compiles the TypeScript sources on the fly (ts-node, transpile only) and
// runs services/deployer/src/cli/process.ts. SIGINT/SIGTERM abort the run: a deploy in flight puts
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

// Signals (SIGINT/SIGTERM: stop, put traffic back, say truthfully what happened) and a closed stdout
// (`| head -1`) are handled in services/deployer/src/cli/process.ts.
require('../services/deployer/src/cli/process.ts').runProcess();
