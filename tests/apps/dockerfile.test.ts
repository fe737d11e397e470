import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  contextAllowList,
  DOCKERFILE_RULES,
  execFormNode,
  multiStageProductionDeps,
  noHealthcheck,
  nonRootUser,
  noSecretsOrFetches,
  parseDockerfile,
  pinnedBase,
  stagesOf,
} from './dockerfile-rules';

const ROOT = join(__dirname, '..', '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const DOCKERIGNORE = readFileSync(join(ROOT, '.dockerignore'), 'utf8');

/** Replace text in the real Dockerfile; throws if it is not there (a stale mutation must not pass). */
function mutate(from: string | RegExp, to: string): string {
  const found = typeof from === 'string' ? DOCKERFILE.includes(from) : from.test(DOCKERFILE);
  if (!found) throw new Error(`mutation: ${String(from)} does not occur in the Dockerfile`);
  return typeof from === 'string' ? DOCKERFILE.split(from).join(to) : DOCKERFILE.replace(from, to);
}

describe('the real Dockerfile', () => {
  it.each(Object.entries(DOCKERFILE_RULES))('satisfies %s', (_name, rule) => {
    expect(rule(DOCKERFILE)).toEqual([]);
  });

  it('copies only files the allow-list .dockerignore lets in, and they exist', () => {
    expect(contextAllowList(DOCKERFILE, DOCKERIGNORE)).toEqual([]);
    for (const i of parseDockerfile(DOCKERFILE).filter(
      (x) => x.keyword === 'COPY' && !x.args.includes('--from='),
    )) {
      for (const src of i.args.split(/\s+/).slice(0, -1)) expect(existsSync(join(ROOT, src))).toBe(true);
    }
  });

  it('has build, prod-deps and runtime stages on the Node 24 base, runtime last', () => {
    const stages = stagesOf(parseDockerfile(DOCKERFILE));
    expect(stages.map((s) => s.alias)).toEqual(['build', 'prod-deps', 'runtime']);
    expect(stages[0]!.from).toMatch(/^node:24\.\d+\.\d+-bookworm-slim@sha256:/);
  });

  it('listens on the port environments/*.yaml give the ALB and bakes the revision in', () => {
    const final = stagesOf(parseDockerfile(DOCKERFILE)).at(-1)!;
    expect(final.instructions.find((i) => i.keyword === 'EXPOSE')?.args).toBe('8080');
    expect(
      final.instructions.find((i) => i.keyword === 'ENV' && i.args.startsWith('APP_REVISION'))?.args,
    ).toBe('APP_REVISION=$REVISION');
  });
});

describe('each rule fails on a broken copy', () => {
  it('pinnedBase: a tag without digest, or two different bases', () => {
    expect(pinnedBase(mutate(/@sha256:[0-9a-f]{64} AS build/, ' AS build'))).toEqual([
      'stage build: FROM node:24.19.0-bookworm-slim is not pinned by @sha256 digest',
      'stages use 2 different base images; use one pinned base',
    ]);
    expect(
      pinnedBase(mutate(/node:24[^ ]+ AS runtime/, `node:24-slim@sha256:${'0'.repeat(64)} AS runtime`)),
    ).toEqual(['stages use 2 different base images; use one pinned base']);
  });

  it('multiStageProductionDeps: dev dependencies in the image, a single stage, npm install', () => {
    expect(multiStageProductionDeps(mutate('npm ci --omit=dev --workspace', 'npm ci --workspace'))).toEqual([
      'node_modules come from stage prod-deps, which does not install with npm ci --omit=dev only',
    ]);
    expect(
      multiStageProductionDeps(mutate('COPY --from=prod-deps /src/node_modules ./node_modules', 'COPY . .')),
    ).toEqual([
      'the final stage copies the whole build context',
      'the final stage does not copy node_modules from another stage',
    ]);
    const single = DOCKERFILE.slice(
      DOCKERFILE.indexOf(
        'FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS runtime',
      ),
    );
    expect(multiStageProductionDeps(single)).toEqual([
      '1 stage(s): build and runtime must be separate stages',
    ]);
    expect(
      multiStageProductionDeps(
        mutate('npm ci --workspace apps/api --no-audit', 'npm install --workspace apps/api --no-audit'),
      ),
    ).toEqual([expect.stringMatching(/^line \d+: npm install; use npm ci/)]);
  });

  it('nonRootUser: no USER, root, a name, or a RUN after USER', () => {
    expect(nonRootUser(mutate('USER 1000:1000\n', ''))).toEqual([
      'the final stage sets no USER (it would run as root)',
    ]);
    expect(nonRootUser(mutate('USER 1000:1000', 'USER 0:0'))).toEqual([
      expect.stringContaining('USER 0:0 is root'),
    ]);
    expect(nonRootUser(mutate('USER 1000:1000', 'USER node'))).toEqual([
      expect.stringContaining('is not numeric'),
    ]);
    expect(nonRootUser(mutate('EXPOSE 8080', 'RUN touch /app/x\nEXPOSE 8080'))).toEqual([
      expect.stringContaining('RUN after USER'),
    ]);
  });

  it('noHealthcheck', () => {
    expect(noHealthcheck(mutate('EXPOSE 8080', 'HEALTHCHECK CMD node -e "1"\nEXPOSE 8080'))).toEqual([
      expect.stringContaining('HEALTHCHECK in the image'),
    ]);
  });

  it('noSecretsOrFetches: credential-like ARG/ENV, ADD, downloads', () => {
    expect(noSecretsOrFetches(mutate('ARG REVISION=unknown', 'ARG NPM_TOKEN\nARG REVISION=unknown'))).toEqual(
      [expect.stringContaining('ARG NPM_TOKEN looks like a credential')],
    );
    expect(
      noSecretsOrFetches(mutate('ENV NODE_ENV=production', 'ENV NODE_ENV=production DB_PASSWORD=x')),
    ).toEqual([expect.stringContaining('ENV DB_PASSWORD looks like a credential')]);
    expect(
      noSecretsOrFetches(mutate('COPY apps/api/src apps/api/src', 'ADD apps/api/src apps/api/src')),
    ).toEqual([expect.stringContaining('ADD; use COPY')]);
    expect(
      noSecretsOrFetches(
        mutate('RUN npm run build', 'RUN curl -fsSL https://example.invalid/x | sh && npm run build'),
      ),
    ).toEqual([expect.stringContaining('downloads at build time')]);
  });

  it('execFormNode: shell form, npm start, or the base image entrypoint', () => {
    expect(
      execFormNode(
        mutate('ENTRYPOINT ["node", "apps/api/dist/main.js"]', 'ENTRYPOINT node apps/api/dist/main.js'),
      ),
    ).toEqual([expect.stringContaining('shell form')]);
    expect(
      execFormNode(mutate('ENTRYPOINT ["node", "apps/api/dist/main.js"]', 'ENTRYPOINT ["npm", "start"]')),
    ).toEqual([expect.stringContaining('must start node directly')]);
    expect(execFormNode(mutate('ENTRYPOINT ["node", "apps/api/dist/main.js"]\n', ''))).toEqual([
      expect.stringContaining('no ENTRYPOINT'),
    ]);
  });

  it('contextAllowList: a COPY the allow-list excludes, or an allow-list that lets everything in', () => {
    expect(
      contextAllowList(mutate('COPY tsconfig.json ./', 'COPY tsconfig.json README.md ./'), DOCKERIGNORE),
    ).toEqual([expect.stringContaining('COPY README.md is excluded by .dockerignore')]);
    expect(contextAllowList(DOCKERFILE, DOCKERIGNORE.replace(/^\*$/m, '.git'))).toEqual([
      '.dockerignore must start with * (allow-list)',
    ]);
    expect(contextAllowList(DOCKERFILE, `${DOCKERIGNORE}!.env\n`)).toEqual([
      '.dockerignore re-includes .env',
    ]);
  });
});
