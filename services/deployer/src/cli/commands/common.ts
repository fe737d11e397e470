/** Shared command plumbing: renderer, error → exit-code mapping, runtime lifecycle. */
import { DeployError } from '../../core/deploy';
import { describeHolder, LockLostError } from '../../core/lock';
import { ExitCode, internalErrorAdvice } from '../../exit-codes';
import type { Clock, StorePort } from '../../ports';
import { type CommonFlags, type OutputFormat, parseFlags } from '../args';
import { type CommandContext, UsageError } from '../context';
import { type CommandResult, createRenderer, type Renderer } from '../output';

/** What a command body tells `execute` once its arguments are parsed (and its ports are open). */
export interface CommandScope {
  /**
   * The environment/service the command acts on, and once the ports are open the store holding its
   * lock: a lost-lock result names the `status` command to run and the lock's current holder.
   */
  target(environment: string, service: string, lockStore?: LockStore): void;
}

/** Where a lost-lock result reads the lock's current holder. */
export interface LockStore {
  readonly store: Pick<StorePort, 'getLock'>;
  readonly clock: Pick<Clock, 'now'>;
}

/**
 * The run's lost deployment lock, if `e` is one: a `LockLostError` (rollback fence, heartbeat, refused
 * release write) or the `DeployError` a deploy throws after it stopped on a lost lock. Returns what the
 * run saw (the holder its fence read, or the refusal), else undefined.
 */
export function lockLostDetail(e: unknown): string | undefined {
  const strip = (s: string) => s.replace(/^lock lost: /, '');
  if (e instanceof LockLostError) return strip(e.message);
  if (e instanceof DeployError && /^lock lost[;:]/.test(e.message)) {
    // core/deploy.ts stopOnLockLoss: "lock lost; the new holder owns recovery (DETAIL). This run stopped …"
    const m = /^lock lost; the new holder owns recovery \((.*)\)\. This run stopped/s.exec(e.message);
    return strip(m ? m[1] : e.message);
  }
  return undefined;
}

/**
 * Result for a run that lost its deployment lock: it stopped without further ECS/ELB writes and did NOT
 * roll back (its plan is stale; the new holder owns recovery). Exit 1: the traffic state is unknown
 * until `status` is read. `holder`: who holds the lock now (read after the run), if anyone.
 */
export function lockLostResult(
  command: string,
  detail: string,
  target: { readonly environment: string; readonly service: string } | undefined,
  holder?: string,
): CommandResult {
  const where = target ? ` of ${target.environment}/${target.service}` : '';
  const status = `switchyard status --env ${target?.environment ?? 'ENV'} --service ${target?.service ?? 'SERVICE'}`;
  const takenOver = holder !== undefined || /now held by|held by another run/.test(detail);
  return {
    command,
    exitCode: ExitCode.InternalError,
    status: 'failed',
    headline: takenOver
      ? `lock lost: another operator took over the deployment lock${where}`
      : `lock lost: this run no longer holds the deployment lock${where}`,
    reason: `${holder ? `(now held by ${holder}); ` : ''}this run stopped without touching traffic further — the new holder owns recovery; run \`${status}\` (exit 1: the traffic state is unknown until you do). What this run saw: ${detail}`,
    data: { lockLost: true, takenOver, detail, ...(holder ? { holder } : {}) },
  };
}

/** Who holds the lock of env/service now (best effort: undefined when free or unreadable). */
async function currentHolder(
  target: { environment: string; service: string; lockStore?: LockStore } | undefined,
): Promise<string | undefined> {
  if (!target?.lockStore) return undefined;
  try {
    const { store, clock } = target.lockStore;
    const lock = await store.getLock({ environment: target.environment, service: target.service });
    return lock ? describeHolder(lock, clock.now()) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs a command body with a renderer; UsageError → refused (exit 2), a lost deployment lock → its own
 * "lock lost" result (exit 1), DeployError and anything unexpected → failed (exit 1). The body returns
 * its CommandResult; `finish` prints it.
 */
export async function execute(
  ctx: CommandContext,
  command: string,
  format: OutputFormat,
  body: (renderer: Renderer, scope: CommandScope) => Promise<CommandResult>,
): Promise<number> {
  const renderer = createRenderer(format, ctx);
  let target: { environment: string; service: string; lockStore?: LockStore } | undefined;
  const scope: CommandScope = {
    target: (environment, service, lockStore) => {
      target = { environment, service, ...(lockStore ? { lockStore } : {}) };
    },
  };
  let result: CommandResult;
  const advice = () => internalErrorAdvice(target ? `${target.environment}/${target.service}` : undefined);
  try {
    result = await body(renderer, scope);
  } catch (e) {
    const lost = lockLostDetail(e);
    if (e instanceof UsageError) {
      result = {
        command,
        exitCode: ExitCode.Refused,
        status: 'refused',
        headline: 'refused; nothing was changed',
        reason: e.message,
      };
    } else if (lost !== undefined) {
      result = lockLostResult(command, lost, target, await currentHolder(target));
    } else if (e instanceof DeployError) {
      result = {
        command,
        exitCode: ExitCode.InternalError,
        status: 'failed',
        headline: 'failed',
        reason: `${e.message}. ${advice()}`,
      };
    } else {
      const err = e as Error;
      result = {
        command,
        exitCode: ExitCode.InternalError,
        status: 'failed',
        headline: 'internal error',
        reason: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}. ${advice()}`,
      };
    }
  }
  await renderer.conclude(result); // observers: notifications, TrafficWeight (bounded wait)
  renderer.finish(result);
  return result.exitCode;
}

/** Prints help and returns 0. */
export function printHelp(ctx: CommandContext, text: string): number {
  ctx.io.stdout(`${text.trimEnd()}\n`);
  return ExitCode.Ok;
}

/**
 * The start of every command: parse its flags; `--help` prints `help`; a usage problem is reported (as a
 * JSON result too when the raw args asked for `--output json`). Returns the exit code to stop with, or
 * the parsed flags.
 */
export function parseCommand(
  ctx: CommandContext,
  command: string,
  args: readonly string[],
  options: Parameters<typeof parseFlags>[2],
  help: string,
): number | { common: CommonFlags; values: Record<string, unknown> } {
  try {
    const parsed = parseFlags(command, args, options, ctx.env);
    return parsed.common.help ? printHelp(ctx, help) : parsed;
  } catch (e) {
    return usageFailure(ctx, e, args);
  }
}

/** Whether raw args ask for JSON output (used before they could be parsed). */
function wantsJson(args: readonly string[] | undefined): boolean {
  if (!args) return false;
  return args.some((a, i) => a === '--output=json' || (a === '--output' && args[i + 1] === 'json'));
}

/**
 * A usage problem found before the output format is known: the message on stderr (plus an ::error::
 * annotation under GitHub Actions, or a JSON result line when the raw args ask for --output json);
 * exit 2. Pass the command's `args` so JSON consumers get JSON.
 */
export function usageFailure(ctx: CommandContext, e: unknown, args?: readonly string[]): number {
  if (e instanceof UsageError) {
    if (ctx.env.GITHUB_ACTIONS === 'true') {
      ctx.io.stdout(
        `::error title=switchyard: bad input::${e.message.replace(/%/g, '%25').replace(/\n/g, '%0A')}\n`,
      );
    }
    if (wantsJson(args)) {
      const command = /^switchyard ([a-z-]+)/.exec(e.message)?.[1];
      ctx.io.stdout(
        `${JSON.stringify({ type: 'result', ...(command ? { command } : {}), status: 'refused', exitCode: ExitCode.Refused, message: 'refused; nothing was changed', reason: e.message })}\n`,
      );
    }
    ctx.io.stderr(`${e.message}\n`);
    return ExitCode.Refused;
  }
  throw e;
}
