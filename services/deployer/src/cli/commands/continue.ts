/** `switchyard continue`: finish a deploy held for approval, or one whose runner died, from its recorded step. */
import { continueDeploy, type ResumeOutcome } from '../../core/resume';
import { ExitCode } from '../../exit-codes';
import { COMMON_HELP, forceUnlockAndReason, requiredName } from '../args';
import { auditFromEnv, type Command, UsageError } from '../context';
import type { CommandResult } from '../output';
import { outcomeResult } from '../present';
import { killedResult, openRuntime, ownerFromEnv } from '../runtime';
import { execute, parseCommand } from './common';

export const CONTINUE_HELP = `Usage: switchyard continue --env ENV --service SERVICE [--release ID] [options]

Finishes the newest release of a service from its recorded step, with the same gates as deploy:
  - a deploy held for approval (deploy --hold-after canary, or the service's holdAfter): takes over
    the lock it kept, shifts on from the canary, bakes, and on success scales the old colour down;
  - a deploy whose runner died (kill -9, a lost CI runner): picks it up at the step it recorded —
    a step whose effect is unknown is repeated, a bake restarts in full — once its lock lease expired
    (or with --force-unlock).
Before anything is written, the production weights must be what the record says (nobody moved
traffic meanwhile). A hold that expired is not continued (switchyard abort); a hold whose lock was
forced or taken over is void (switchyard rollback recovers it).

Options:
  --env ENV              environment
  --service SERVICE      service
  --release ID           only this release (the id a held deploy printed): refused (exit 2, nothing
                         changed) if the newest release is another one — its hold ended and a newer
                         deploy started. CI's approval job always passes it.
  --force-unlock         take over the lock of a dead runner whose lease has not expired (needs --reason)
  --reason TEXT          why (recorded; required with --force-unlock)

${COMMON_HELP}

Exit codes: 0 deployed, 1 internal error (traffic state unknown: run switchyard status),
            2 refused (nothing changed: nothing held or in progress, hold expired or lost, weights
            moved, lock held, --release is not the newest release), 3 rolled back (a gate failed after continuing), 4 held again.

Examples:
  switchyard continue --env prod --service api
  switchyard continue --env prod --service api --release 20260101T000000Z-deploy-a1b2c3
  switchyard continue --env dev --service api --simulate`;

const OPTIONS = {
  env: { type: 'string' },
  service: { type: 'string' },
  release: { type: 'string' },
  'force-unlock': { type: 'boolean' },
  reason: { type: 'string' },
} as const;

/** `--release ID` of continue / abort: a release id as the deployer writes them, or a usage error. */
export function releaseOption(command: string, values: Record<string, unknown>): string | undefined {
  const v = values.release;
  if (v === undefined) return undefined;
  const id = typeof v === 'string' ? v.trim() : '';
  if (!/^[\w.:-]{1,128}$/.test(id))
    throw new UsageError(
      `switchyard ${command}: --release "${String(v)}" is not a release id (e.g. 20260101T000000Z-deploy-a1b2c3, as a held deploy prints it; \`switchyard status\` lists them)`,
    );
  return id;
}

/** CommandResult of a continue / abort outcome (`nothing-to-do` → exit 0). */
export function resumeResult(
  command: string,
  where: string,
  out: ResumeOutcome,
  suffix: string,
): CommandResult {
  if (out.status === 'nothing-to-do') {
    return {
      command,
      exitCode: ExitCode.Ok,
      status: 'ok',
      headline: `nothing to do: ${out.reason}${suffix}`,
      data: out,
    };
  }
  return outcomeResult(command, where, out, suffix);
}

export const continueCommand: Command = {
  name: 'continue',
  summary: 'finish a deploy held for approval (or left by a dead runner) from its recorded step',
  help: CONTINUE_HELP,
  async run(args, ctx) {
    const parsed = parseCommand(ctx, 'continue', args, OPTIONS, CONTINUE_HELP);
    if (typeof parsed === 'number') return parsed;
    const { common, values } = parsed;
    return execute(ctx, 'continue', common.output, async (renderer, scope) => {
      const environment = requiredName('continue', values, 'env', 'the environment');
      const service = requiredName('continue', values, 'service', 'the service');
      const { forceUnlock, reason } = forceUnlockAndReason('continue', values);
      const releaseId = releaseOption('continue', values);
      const audit = auditFromEnv(ctx.env);
      scope.target(environment, service);
      const where = `${environment}/${service}`;
      const runtime = await openRuntime(ctx, common, renderer);
      try {
        const { topology, deps } = await runtime.open(environment, service);
        scope.target(environment, service, deps);
        const guarded = await runtime.guard(
          continueDeploy(deps, {
            topology,
            owner: ownerFromEnv(ctx.env, 'continue'),
            ...(reason ? { reason } : {}),
            ...(forceUnlock ? { forceUnlock } : {}),
            ...(releaseId ? { releaseId } : {}),
            ...(audit ? { audit } : {}),
          }),
        );
        if (guarded.killed) return killedResult('continue', where, runtime);
        return resumeResult('continue', where, guarded.value, runtime.simulated ? ' [simulated]' : '');
      } finally {
        await runtime.close();
      }
    });
  },
};
