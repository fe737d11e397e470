/** `switchyard rollback`: back to a known-good release (weight flip, redeploy) or recovery of a killed deployer. */
import { pct, shortDigest } from '../../ops/history';
import {
  describePlan,
  type RollbackOutcome,
  type RollbackRequest,
  rollback,
  rollbackExitCode,
} from '../../ops/rollback';
import { COMMON_HELP, optionalStrategy, requiredName } from '../args';
import { afterCommand } from '../after-release';
import { auditFromEnv, type Command, UsageError } from '../context';
import type { CommandResult } from '../output';
import { outcomeResult } from '../present';
import { killedResult, openRuntime, ownerFromEnv } from '../runtime';
import { execute, parseCommand } from './common';

export const ROLLBACK_HELP = `Usage: switchyard rollback --env ENV --service SERVICE --reason "…" [--to RELEASE_ID|TAG] [options]

Puts traffic back on a known-good release (one recorded as deployed and never rolled back):
  - by default the previous known-good release before the current one (with no older release
    recorded: the revision that was live before the first recorded release);
  - if that release's colour still runs its task-definition revision with enough healthy targets:
    ONE weight write (read back) moves 100% to it — seconds; the colour left keeps running at 0%;
  - otherwise a blue/green deployment of the recorded image digest, with the same health gates.
The rollback is recorded as a release (kind rollback) with the reason and who ran it; the release
rolled back from is re-marked rolled-back (it can no longer be promoted or rolled back to).

Recovery: if a deployer died mid-flight (its release is still in-progress and its lock lease
expired — see switchyard status), rollback puts 100% back on the last known good colour in one
write, marks the dead release failed with the step it died at, and scales its colour to zero.

Options:
  --env ENV              environment
  --service SERVICE      service
  --reason TEXT          why (required; recorded, also for --force-unlock)
  --to ID|TAG            roll back to this release id (switchyard status lists them) or image tag
  --force-unlock         take over the lock now (its holder died and you cannot wait for the
                         lease to expire); recorded with --reason
  --dry-run              show what the rollback would do; change nothing
  --strategy S           strategy of a rollback by redeploy (default: the service's)
  --commit SHA           commit to record (default: $GITHUB_SHA)

${COMMON_HELP}

Exit codes: 0 rolled back (or dry run), 1 internal error (traffic state unknown: run switchyard status),
            2 refused (nothing changed: no history, unknown release, missing --reason, lock held…),
            3 a rollback by redeploy failed its gates (traffic stayed on the live colour).

Examples:
  switchyard rollback --env prod --service api --reason "p99 latency doubled after 1.4.0"
  switchyard rollback --env prod --service api --to v1.3.2 --reason "bad migration in 1.4"
  switchyard rollback --env dev --service api --reason "rehearsal" --simulate`;

const OPTIONS = {
  env: { type: 'string' },
  service: { type: 'string' },
  reason: { type: 'string' },
  to: { type: 'string' },
  'force-unlock': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  strategy: { type: 'string' },
  commit: { type: 'string' },
} as const;

function table(rows: [string, string | undefined][]): string {
  return `| | |\n|---|---|\n${rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`)
    .join('\n')}\n`;
}

/** CommandResult of a rollback outcome. */
export function rollbackResult(where: string, out: RollbackOutcome, suffix = ''): CommandResult {
  const exitCode = rollbackExitCode(out);
  switch (out.status) {
    case 'refused':
      return {
        command: 'rollback',
        exitCode,
        status: 'refused',
        headline: `refused (${out.code}); nothing was changed${suffix}`,
        reason: out.reason,
        data: out,
        summaryMarkdown: table([
          ['Service', where],
          ['Refused', out.code],
          ['Reason', out.reason],
          ['Changes', 'none'],
        ]),
      };
    case 'dry-run':
      return {
        command: 'rollback',
        exitCode,
        status: 'dry-run',
        headline: `dry run: nothing was changed${suffix}`,
        data: out,
      };
    case 'gates-failed': {
      const base = outcomeResult('rollback', where, out.deploy, suffix);
      return {
        ...base,
        headline:
          out.deploy.status === 'rolled-back' && out.deploy.restoredColour !== out.deploy.plan.liveColour
            ? `rollback by redeploy of ${out.plan.target.label} failed its gates after traffic moved; traffic stays on it (${out.deploy.restoredColour}), never back on the release rolled back from${suffix}`
            : `rollback by redeploy of ${out.plan.target.label} failed its gates before traffic moved; traffic unchanged on the live colour${suffix}`,
      };
    }
    case 'error':
      return {
        command: 'rollback',
        exitCode,
        status: 'failed',
        headline: `rollback of ${where} failed${suffix}`,
        reason: out.reason,
        data: out,
      };
    case 'rolled-back': {
      const p = out.plan;
      const how =
        p.mode === 'flip'
          ? `by weight flip: 100% on ${p.colour}`
          : p.mode === 'restore'
            ? `recovered: 100% on ${p.colour}`
            : `by blue/green redeploy onto ${out.release.colour}`;
      return {
        command: 'rollback',
        exitCode,
        status: 'ok',
        headline: `rolled back ${where} to ${p.target.imageTag === 'untracked' ? p.target.label : `${p.target.imageTag} (${shortDigest(p.target.imageDigest)})`} ${how} (release ${out.release.id})${suffix}`,
        data: out,
        summaryMarkdown: table([
          ['Service', where],
          ['Mode', p.mode],
          ['Target', p.target.label],
          ['Traffic', `100% on ${out.release.colour}`],
          ['Release', `\`${out.release.id}\``],
          ['Rolled back from', out.rolledBackFrom ? `\`${out.rolledBackFrom}\`` : undefined],
          ['Recovered (marked failed)', out.recovered.length ? out.recovered.join(', ') : undefined],
          ['Reason', out.release.reason],
        ]),
      };
    }
  }
}

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'put traffic back on a known-good release (weight flip or redeploy); recover a killed deployer',
  help: ROLLBACK_HELP,
  async run(args, ctx) {
    const parsed = parseCommand(ctx, 'rollback', args, OPTIONS, ROLLBACK_HELP);
    if (typeof parsed === 'number') return parsed;
    const { common, values } = parsed;
    return execute(ctx, 'rollback', common.output, async (renderer, scope) => {
      const environment = requiredName('rollback', values, 'env', 'the environment');
      const service = requiredName('rollback', values, 'service', 'the service');
      const forceUnlock = values['force-unlock'] === true;
      const reason = (values.reason as string | undefined)?.trim();
      if (!reason) {
        throw new UsageError(
          forceUnlock
            ? 'switchyard rollback: --force-unlock needs --reason "…" saying why the lock is taken over (it is recorded)'
            : 'switchyard rollback: --reason "…" is required (why you roll back; it is recorded with the release)',
        );
      }
      const strategy = optionalStrategy('rollback', values);
      const to = values.to as string | undefined;
      if (to !== undefined && !to.trim()) {
        throw new UsageError(
          'switchyard rollback: --to needs a release id (switchyard status lists them) or an image tag',
        );
      }
      scope.target(environment, service);
      const where = `${environment}/${service}`;
      const runtime = await openRuntime(ctx, common, renderer);
      try {
        const { topology, deps } = await runtime.open(environment, service);
        scope.target(environment, service, deps);
        const owner = ownerFromEnv(ctx.env, 'rollback');
        const commitSha = (values.commit as string | undefined) ?? ctx.env.GITHUB_SHA;
        const audit = auditFromEnv(ctx.env);
        const request: RollbackRequest = {
          topology,
          reason,
          owner,
          ...(to ? { to: to.trim() } : {}),
          ...(forceUnlock ? { forceUnlock } : {}),
          ...(values['dry-run'] === true ? { dryRun: true } : {}),
          ...(strategy ? { strategy } : {}),
          ...(commitSha ? { commitSha } : {}),
          ...(owner.runUrl ? { runUrl: owner.runUrl } : {}),
          ...(audit ? { audit } : {}),
        };
        const guarded = await runtime.guard(rollback(deps, request));
        if (guarded.killed) return killedResult('rollback', where, runtime);
        const out = guarded.value;
        await afterCommand(deps, topology, out);
        if (out.status === 'dry-run') {
          renderer.report(
            `Rollback plan for ${where} (dry run — nothing will change)`,
            [describePlan(topology, out.plan)],
            out.plan,
          );
        }
        const suffix = runtime.simulated ? ' [simulated]' : '';
        if (runtime.sim) {
          const w = runtime.sim.world.trafficWeights(topology);
          renderer.report(
            'Simulation',
            [`traffic now: ${pct(w)} (virtual time ${new Date(runtime.sim.clock.now()).toISOString()})`],
            {
              weights: w,
            },
          );
        }
        return rollbackResult(where, out, suffix);
      } finally {
        await runtime.close();
      }
    });
  },
};
