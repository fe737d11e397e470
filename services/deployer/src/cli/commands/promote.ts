/** `switchyard promote`: deploy to the next environment exactly the digest live and deployed in the previous one. */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { ServiceTopology } from '../../../../topology';
import { shortDigest } from '../../ops/history';
import { type PromoteDeps, type PromoteOutcome, promote, promoteExitCode } from '../../ops/promote';
import { parseSourceStatus, type SourceSnapshot, snapshotStore } from '../../ops/source-status';
import { COMMON_HELP, optionalHoldAfter, optionalStrategy, requiredName } from '../args';
import { afterCommand } from '../after-release';
import { auditFromEnv, type Command, UsageError } from '../context';
import type { CommandResult } from '../output';
import { outcomeResult, planLines } from '../present';
import { killedResult, openRuntime, ownerFromEnv } from '../runtime';
import { execute, parseCommand } from './common';

export const PROMOTE_HELP = `Usage: switchyard promote --service SERVICE --from ENV --to ENV [--tag TAG] [--allow-skip-stage] [options]

Deploys to --to exactly the image digest that is live in --from and recorded there as deployed
(passed every gate, never rolled back) — or, with --tag, the digest of the newest release of that
tag that was deployed in --from and not rolled back since. The deploy to --to is a normal
blue/green deploy (lock, gates, automatic rollback) recorded as kind promote with the source
environment and release.

Refused (nothing changed): a tag never healthy in --from or rolled back there; a digest the
registry of --to does not hold (replicate or push it first); --to that accepts promotions from
another environment (promotion.from in environments/<to>.yaml) unless --allow-skip-stage, which is
recorded in the release reason; promoting backwards or into a first stage.

Options:
  --service SERVICE        service
  --from ENV               source environment (read only: its deployment table and topology)
  --to ENV                 target environment
  --tag TAG                promote the release of this tag instead of the live one
  --allow-skip-stage       allow --from to differ from --to's promotion.from (recorded)
  --reason TEXT            extra reason recorded with the release
  --strategy S             all-at-once | canary | linear (default: the target service's)
  --hold-after canary|none hold for approval after the canary step's bake (default: the target
                           service's holdAfter): exit 4; then \`switchyard continue\` or \`switchyard abort\`
  --dry-run                print the plan; change nothing
  --source-topology FILE   topology of --from (default: SSM, or with --simulate the examples)
  --source-status FILE     read --from from a status capture instead of its AWS account (for
                           promotions across accounts: capture with the source's read-only role
                           \`switchyard status --env FROM --service S --releases 100 --output json > FILE\`,
                           at most 1 hour before promoting)
  --commit SHA             commit to record (default: $GITHUB_SHA)
  (--topology FILE is the topology of --to)

${COMMON_HELP}

Exit codes: 0 promoted (or dry run), 1 internal error (traffic state unknown: run
            switchyard status), 2 refused (nothing changed),
            3 the deploy to --to failed a gate and was rolled back.

Examples:
  switchyard promote --service api --from dev --to staging
  switchyard promote --service api --from staging --to prod --tag v1.4.0
  switchyard promote --service api --from dev --to prod --allow-skip-stage --reason "hotfix"`;

const OPTIONS = {
  service: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  tag: { type: 'string' },
  'allow-skip-stage': { type: 'boolean' },
  reason: { type: 'string' },
  strategy: { type: 'string' },
  'hold-after': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'source-topology': { type: 'string' },
  'source-status': { type: 'string' },
  commit: { type: 'string' },
} as const;

export function promoteResult(where: string, out: PromoteOutcome, suffix = ''): CommandResult {
  if (out.status === 'refused') {
    return {
      command: 'promote',
      exitCode: promoteExitCode(out),
      status: 'refused',
      headline: `refused (${out.code}); nothing was changed${suffix}`,
      reason: out.reason,
      data: out,
      summaryMarkdown: `| | |\n|---|---|\n| Promotion | ${where} |\n| Refused | ${out.code} |\n| Reason | ${out.reason.replace(/\|/g, '\\|')} |\n| Changes | none |\n`,
    };
  }
  const base = outcomeResult('promote', where, out.deploy, suffix);
  const src = out.source;
  const rows = [
    `| Source | ${src.environment} release \`${src.id}\` (${src.imageTag}, \`${shortDigest(src.imageDigest)}\`) |`,
    ...(out.skippedStage ? [`| Skipped stage | ${out.skippedStage} (--allow-skip-stage) |`] : []),
  ];
  const d = out.deploy;
  return {
    ...base,
    exitCode: promoteExitCode(out),
    headline:
      d.status === 'deployed'
        ? `promoted ${src.imageTag} (${shortDigest(src.imageDigest)}) from ${src.environment} (release ${src.id}) to ${d.plan.environment}/${d.plan.service} on ${d.release.colour} (release ${d.release.id})${suffix}`
        : base.headline,
    data: out,
    summaryMarkdown: `${base.summaryMarkdown ?? ''}\n| | |\n|---|---|\n${rows.join('\n')}\n`,
  };
}

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'deploy to the next environment the exact digest live and deployed in the previous one',
  help: PROMOTE_HELP,
  async run(args, ctx) {
    const parsed = parseCommand(ctx, 'promote', args, OPTIONS, PROMOTE_HELP);
    if (typeof parsed === 'number') return parsed;
    const { common, values } = parsed;
    return execute(ctx, 'promote', common.output, async (renderer, scope) => {
      const service = requiredName('promote', values, 'service', 'the service');
      const from = requiredName('promote', values, 'from', 'the source environment');
      const to = requiredName('promote', values, 'to', 'the target environment');
      if (from === to)
        throw new UsageError(
          `switchyard promote: --from and --to are both ${from}; promote between two environments`,
        );
      const tag = values.tag as string | undefined;
      if (tag !== undefined && !tag.trim()) {
        throw new UsageError(
          'switchyard promote: --tag needs an image tag released in the source environment',
        );
      }
      const strategy = optionalStrategy('promote', values);
      const holdAfter = optionalHoldAfter('promote', values);
      scope.target(to, service);
      const where = `${service} ${from} → ${to}`;
      const runtime = await openRuntime(ctx, common, renderer);
      try {
        const sourceFile = values['source-topology'] as string | undefined;
        const statusFile = values['source-status'] as string | undefined;
        if (statusFile && sourceFile) {
          throw new UsageError(
            'switchyard promote: pass either --source-status or --source-topology, not both',
          );
        }
        let sourceDeps: PromoteDeps['source'];
        let sourceTopology: ServiceTopology | undefined;
        if (statusFile) {
          const path = isAbsolute(statusFile) ? statusFile : resolve(ctx.cwd, statusFile);
          let text: string;
          try {
            text = readFileSync(path, 'utf8');
          } catch (e) {
            throw new UsageError(
              `switchyard promote: cannot read --source-status ${statusFile}: ${(e as Error).message}`,
            );
          }
          let snap: SourceSnapshot;
          try {
            snap = parseSourceStatus(text, from, service, statusFile);
          } catch (e) {
            throw new UsageError(`switchyard promote: ${(e as Error).message}`);
          }
          sourceDeps = {
            store: snapshotStore(snap),
            captured: { ...snap.live, capturedAt: snap.generatedAt, source: statusFile },
          };
        } else {
          const source = await runtime.open(from, service, {
            ...(sourceFile ? { topologyFile: sourceFile } : {}),
            observe: false, // only read: its notifications and metric belong to its own deploys
          });
          sourceDeps = { store: source.deps.store, live: { ecs: source.deps.ecs, lb: source.deps.lb } };
          sourceTopology = source.topology;
        }
        const target = await runtime.open(to, service);
        scope.target(to, service, target.deps);
        const owner = ownerFromEnv(ctx.env, 'promote');
        const commitSha = (values.commit as string | undefined) ?? ctx.env.GITHUB_SHA;
        const reason = (values.reason as string | undefined)?.trim();
        const audit = auditFromEnv(ctx.env);
        const guarded = await runtime.guard(
          promote(
            { source: sourceDeps, target: target.deps },
            {
              service,
              from,
              to,
              targetTopology: target.topology,
              ...(sourceTopology ? { sourceTopology } : {}),
              owner,
              ...(tag ? { tag: tag.trim() } : {}),
              ...(values['allow-skip-stage'] === true ? { allowSkipStage: true } : {}),
              ...(reason ? { reason } : {}),
              ...(strategy ? { strategy } : {}),
              ...(holdAfter ? { holdAfter } : {}),
              ...(values['dry-run'] === true ? { dryRun: true } : {}),
              ...(commitSha ? { commitSha } : {}),
              ...(owner.runUrl ? { runUrl: owner.runUrl } : {}),
              ...(audit ? { audit } : {}),
            },
          ),
        );
        if (guarded.killed) return killedResult('promote', `${to}/${service}`, runtime);
        const out = guarded.value;
        await afterCommand(target.deps, target.topology, out);
        if (out.status === 'deploy' && out.deploy.status === 'dry-run') {
          renderer.report(
            `Promotion plan for ${where} (dry run — nothing will change)`,
            planLines(out.deploy.plan),
            out.deploy.plan,
          );
        }
        const suffix = runtime.simulated ? ' [simulated]' : '';
        return promoteResult(where, out, suffix);
      } finally {
        await runtime.close();
      }
    });
  },
};
