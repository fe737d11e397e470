/**
 * Entry point (`node dist/main.js`): configuration from the environment, the data-store clients, the HTTP
 * server, and the signal handlers. Everything else is in small modules with their own tests.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { createCache } from './cache';
import { loadConfig } from './config';
import { createDatabase } from './db';
import { elastiCacheAuthToken, outlivingCredentials, rdsAuthToken } from './iam-auth';
import { createLogger, errorFields } from './log';
import { createReadiness } from './readiness';
import { createAppServer, type Lifecycle } from './server';
import { shutdownController } from './shutdown';

function main(): void {
  const loaded = loadConfig(process.env);
  if (!loaded.ok) {
    const log = createLogger('info');
    for (const problem of loaded.problems) log.error('invalid configuration', { problem });
    log.error(
      'refusing to start: fix the task definition environment (environments/<env>.yaml or the platform)',
      {
        problems: loaded.problems.length,
      },
    );
    process.exitCode = 2;
    return;
  }
  const config = loaded.config;
  const log = createLogger(config.logLevel, undefined, undefined, {
    service: 'api',
    revision: config.revision,
  });

  // The task role's credentials (ECS container credentials endpoint), cached and refreshed by the SDK.
  const credentials = outlivingCredentials(defaultProvider());
  const signing = { region: config.region, credentials };

  const database = createDatabase({
    settings: config.database,
    token: () => rdsAuthToken(config.database, signing),
  });
  const auth = config.cache.auth;
  const cache = createCache({
    settings: config.cache,
    timeoutMs: config.readinessTimeoutMs,
    ...(auth.kind === 'iam'
      ? { iamToken: () => elastiCacheAuthToken({ cacheName: auth.cacheName, user: auth.user }, signing) }
      : {}),
  });

  const lifecycle: Lifecycle = { shuttingDown: false };
  const readiness = createReadiness(
    [
      { name: 'database', run: () => database.check() },
      { name: 'cache', run: () => cache.check() },
    ],
    config.readinessTimeoutMs,
  );
  const server = createAppServer({
    readiness,
    log,
    lifecycle,
    revision: config.revision,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
  });
  const controller = shutdownController({
    server,
    lifecycle,
    resources: [
      { name: 'database', close: () => database.close() },
      { name: 'cache', close: () => cache.close() },
    ],
    timeoutMs: config.shutdownTimeoutMs,
    log,
    exit: (code) => process.exit(code),
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void controller.shutdown(signal));
  }
  process.on('uncaughtException', (err) => {
    log.error('uncaught exception', { error: errorFields(err) });
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.error('unhandled rejection', { error: errorFields(err) });
    process.exit(1);
  });

  server.listen(config.port, () => {
    log.info('listening', {
      port: config.port,
      database: { host: config.database.host, name: config.database.database, user: config.database.user },
      cache: { host: config.cache.host, tls: config.cache.tls, auth: config.cache.auth.kind },
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    });
  });
}

main();
