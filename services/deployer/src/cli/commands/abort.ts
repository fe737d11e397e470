/** `switchyard abort`: end a held deploy (or one whose runner died) the safe way — traffic back, canary scaled down. */
import { abortDeploy, type ResumeOutcome } from '../../core/resume';
import { ExitCode } from '../../exit-codes';
import { COMMON_HELP, requiredName } from '../args';
import { auditFromEnv, type Command, UsageError } from '../context';
import type { CommandResult } from '../output';
import { killedResult, openRuntime, ownerFromEnv } from '../runtime';
import { releaseOption, resumeResult } from './continue';
import { execute, parseCommand } from './common';
import { servicesOf } from './status';

export const ABORT_HELP = `Usage: switchyard abort --env ENV [--service SERVICE] --reason "…" [--expired] [--release ID] [options]

Ends the newest release of a service that is held for approval or was left in progress by a dead
runner: ONE write puts 100% back on the live colour (scaling it up first if it lost capacity; read
back), then the new colour is scaled to 0 and the release recorded as rolled back (gate "aborted")
with the reason. A held deploy's lock is taken over with its recorded token; a dead runner's once
its lease expired (or with --force-unlock). A release already recorded as deployed is not aborted
(switchyard rollback goes back).

--expired: abort only a hold whose time ran out (holdTimeoutSeconds, default 1 h) and leave anything
else alone (exit 0). Without --service it does that for every service of the environment: the
scheduled hold-expiry workflow runs \`switchyard abort --env ENV --expired --reason "hold expired"\`.

Options:
  --env ENV              environment
  --service SERVICE      service (required unless --expired)
  --reason TEXT          why (required; recorded)
  --expired              only holds that expired (see above)
  --release ID           only this release (needs --service): refused (exit 2, nothing changed) if the
                         newest release is another one
  --force-unlock         take over the lock of a dead runner whose lease has not expired

${COMMON_HELP}

Exit codes: 0 aborted (traffic on the live colour) or nothing to do, 1 internal error (traffic
            state unknown: run switchyard status), 2 refused (nothing changed: nothing in progress,
            already deployed, lock held by another run, --release is not the newest release).

Examples:
  switchyard abort --env prod --service api --reason "canary p99 too high"
  switchyard abort --env prod --expired --reason "hold expired"`;

const OPTIONS = {
  env: { type: 'string' },
  service: { type: 'string' },
  reason: { type: 'string' },
  expired: { type: 'boolean' },
  release: { type: 'string' },
  'force-unlock': { type: 'boolean' },
} as const;

/** An abort that restored traffic did what was asked: exit 0 (not 3). */
function abortResult(where: string, out: ResumeOutcome, suffix: string): CommandResult {
  const r = resumeResult('abort', where, out, suffix);
  if (out.status !== 'rolled-back') return r;
  return {
    ...r,
    exitCode: ExitCode.Ok,
    status: 'aborted',
    headline: `aborted ${out.plan.imageTag} on ${where}: 100% on ${out.restoredColour}${out.failedColourScaledDown ? `, ${out.failedColour} scaled to 0` : ''} (release ${out.release.id})${suffix}`,
  };
}

export const abortCommand: Command = {
  name: 'abort',
  summary: 'end a held deploy (or a dead runner’s): traffic back on the live colour, the canary scaled down',
  help: ABORT_HELP,
  async run(args, ctx) {
    const parsed = parseCommand(ctx, 'abort', args, OPTIONS, ABORT_HELP);
    if (typeof parsed === 'number') return parsed;
    const { common, values } = parsed;
    return execute(ctx, 'abort', common.output, async (renderer, scope) => {
      const environment = requiredName('abort', values, 'env', 'the environment');
      const expiredOnly = values.expired === true;
      const service =
        values.service === undefined && expiredOnly
          ? undefined
          : requiredName('abort', values, 'service', 'the service (or --expired for every service)');
      const reason = (values.reason as string | undefined)?.trim();
      if (!reason)
        throw new UsageError(
          'switchyard abort: --reason "…" is required (why the deploy is aborted; it is recorded with the release)',
        );
      const forceUnlock = values['force-unlock'] === true;
      const releaseId = releaseOption('abort', values);
      const audit = auditFromEnv(ctx.env);
      if (releaseId && !service)
        throw new UsageError(
          'switchyard abort: --release needs --service (a release belongs to one service)',
        );
      if (service) scope.target(environment, service);
      const runtime = await openRuntime(ctx, common, renderer);
      const suffix = runtime.simulated ? ' [simulated]' : '';
      try {
        const handles = await servicesOf(runtime, common, environment, service, ctx.cwd);
        const results: CommandResult[] = [];
        for (const { topology, deps } of handles) {
          const where = `${environment}/${topology.service}`;
          scope.target(environment, topology.service, deps);
          const guarded = await runtime.guard(
            abortDeploy(deps, {
              topology,
              owner: ownerFromEnv(ctx.env, 'abort'),
              reason,
              ...(expiredOnly ? { expiredOnly } : {}),
              ...(forceUnlock ? { forceUnlock } : {}),
              ...(releaseId ? { releaseId } : {}),
              ...(audit ? { audit } : {}),
              ...(audit ? { audit } : {}),
            }),
          );
          if (guarded.killed) return killedResult('abort', where, runtime);
          results.push(abortResult(where, guarded.value, suffix));
        }
        if (results.length === 1) return results[0];
        // several services (--expired): the worst exit code, every headline
        const worst = results.reduce((a, b) => (b.exitCode > a.exitCode ? b : a));
        return {
          ...worst,
          headline: `abort --expired in ${environment}: ${results.map((r) => r.headline).join('; ')}`,
          data: results.map((r) => r.data),
        };
      } finally {
        await runtime.close();
      }
    });
  },
};
