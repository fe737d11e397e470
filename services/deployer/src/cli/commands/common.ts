/** Shared command plumbing: renderer, error → exit-code mapping, runtime lifecycle. */
import { DeployError } from '../../core/deploy';
import { ExitCode } from '../../exit-codes';
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
        reason: e.message,
      };
    } else {
      const err = e as Error;
      result = {
        command,
        exitCode: ExitCode.InternalError,
        status: 'failed',
        headline: 'internal error',
        reason: `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`,
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

/** A usage problem found before the output format is known: printed to stderr, exit 2. */
export function usageFailure(ctx: CommandContext, e: unknown): number {
  if (e instanceof UsageError) {
    if (ctx.env.GITHUB_ACTIONS === 'true')
      ctx.io.stdout(
        `::error title=switchyard: bad input::${e.message.replace(/%/g, '%25').replace(/\n/g, '%0A')}\n`,
      );
    ctx.io.stderr(`${e.message}\n`);
    return ExitCode.Refused;
  }
  throw e;
}
