/** Shared command plumbing: renderer, error → exit-code mapping, runtime lifecycle. */
import { DeployError } from '../../core/deploy';
import { ExitCode, INTERNAL_ERROR_ADVICE } from '../../exit-codes';
import type { OutputFormat } from '../args';
import { type CommandContext, UsageError } from '../context';
import { type CommandResult, createRenderer, type Renderer } from '../output';

/**
 * Runs a command body with a renderer; UsageError → refused (exit 2), DeployError and anything
 * unexpected → failed (exit 1). The body returns its CommandResult; `finish` prints it.
 */
export async function execute(
  ctx: CommandContext,
  command: string,
  format: OutputFormat,
  body: (renderer: Renderer) => Promise<CommandResult>,
): Promise<number> {
  const renderer = createRenderer(format, ctx);
  let result: CommandResult;
  try {
    result = await body(renderer);
  } catch (e) {
    if (e instanceof UsageError) {
      result = {
        command,
        exitCode: ExitCode.Refused,
        status: 'refused',
        headline: 'refused; nothing was changed',
        reason: e.message,
      };
    } else if (e instanceof DeployError) {
      result = {
        command,
        exitCode: ExitCode.InternalError,
        status: 'failed',
        headline: 'failed',
        reason: `${e.message}. ${INTERNAL_ERROR_ADVICE}`,
      };
    } else {
      const err = e as Error;
      result = {
        command,
        exitCode: ExitCode.InternalError,
        status: 'failed',
        headline: 'internal error',
        reason: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}. ${INTERNAL_ERROR_ADVICE}`,
      };
    }
  }
  renderer.finish(result);
  return result.exitCode;
}

/** Prints help and returns 0. */
export function printHelp(ctx: CommandContext, text: string): number {
  ctx.io.stdout(`${text.trimEnd()}\n`);
  return ExitCode.Ok;
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
