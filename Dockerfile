# syntax=docker/dockerfile:1
#
# Image of the api service (apps/api). Build from the repository root:
#   docker buildx build --build-arg REVISION="$(git rev-parse HEAD)" -t api:dev .
# .github/workflows/build.yml builds it for linux/amd64 (the task definition's cpuArchitecture) and pushes
# it to ECR tagged with the commit SHA.
#
# Base image: the official Node.js image, Node 24 (LTS), Debian 12 "bookworm" slim, pinned by the digest of
# its multi-platform index. Source: docker-library/repo-info, repos/node/remote/24-bookworm-slim.md
# (node:24.19.0-bookworm-slim, built 2026-08-25), the same digest pinned as node:24.19.0-bookworm-slim in
# several unrelated public repositories. To update: take the new index digest from that file and change
# every FROM below together (tests/apps/dockerfile.test.ts requires one base for all stages).
#
# Runtime contract with the task definition (modules/ecs): read-only root file system, all Linux
# capabilities dropped, no user override (so USER below applies), no container health check (the ALB
# health check on /health is the gate), SIGTERM then SIGKILL after stopTimeout. The process writes
# nothing to disk and listens on 8080 (> 1024: no capability needed).

# ---- build: compile the TypeScript (dev dependencies of the workspace only) ----
FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --workspace apps/api --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY apps/api/tsconfig.build.json apps/api/
COPY apps/api/src apps/api/src
RUN npm run build --workspace apps/api

# ---- prod-deps: the workspace's production dependencies, nothing of the platform's tooling ----
FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --workspace apps/api --no-audit --no-fund --ignore-scripts

# ---- runtime ----
FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS runtime
# The package managers are not needed to run the service: remove them (fewer files, fewer findings).
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-v*
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies stay owned by root: the service user can read them, not change them.
COPY --from=prod-deps /src/node_modules ./node_modules
COPY --from=build /src/apps/api/dist ./apps/api/dist
COPY apps/api/package.json ./apps/api/package.json
ARG REVISION=unknown
ENV APP_REVISION=$REVISION
LABEL org.opencontainers.image.title="switchyard-api" \
      org.opencontainers.image.revision=$REVISION
# The image's `node` user (uid/gid 1000), numeric so a runtime can verify it is not root.
USER 1000:1000
EXPOSE 8080
STOPSIGNAL SIGTERM
# Node directly (no npm, no shell): SIGTERM reaches the process that handles it.
ENTRYPOINT ["node", "apps/api/dist/main.js"]
CMD []
