/**
 * `switchyard` entry point for bin/switchyard.js and tests: `run(argv, env, io)` returns the exit code
 * (exit-codes.ts) and never calls process.exit.
 */
import { ExitCode } from '../exit-codes';
import { deployCommand } from './commands/deploy';
import { promoteCommand } from './commands/promote';
import { rollbackCommand } from './commands/rollback';
import { statusCommand } from './commands/status';
import type { CliIO, Command, CommandContext } from './context';

export type { CliIO, Command, CommandContext } from './context';

export const COMMANDS: readonly Command[] = [deployCommand, rollbackCommand, promoteCommand, statusCommand];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: switchyard <command> [options]

Blue/green deploys of ECS services behind an ALB, with health gates and automatic rollback.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`switchyard <command> --help\` for a command's options. Every command accepts --simulate to run
against an offline simulation of ECS, ALB and CloudWatch (no AWS account needed).

Exit codes: 0 ok, 1 internal error (traffic state unknown: run switchyard status), 2 refused (nothing changed), 3 rolled back.
`;
}

export async function run(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIO,
  cwd: string = process.cwd(),
): Promise<number> {
  const ctx: CommandContext = { env, io, cwd };
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) {
      const c = COMMANDS.find((x) => x.name === rest[0]);
      if (c) {
        io.stdout(`${c.help.trimEnd()}\n`);
        return ExitCode.Ok;
      }
    }
    io.stdout(mainHelp());
    return name === undefined ? ExitCode.Refused : ExitCode.Ok;
  }
  if (name === '--version') {
    io.stdout('switchyard 0.1.0\n');
    return ExitCode.Ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(
      `switchyard: unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')} (switchyard --help)\n`,
    );
    return ExitCode.Refused;
  }
  try {
    return await command.run(rest, ctx);
  } catch (e) {
    io.stderr(`switchyard ${name}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return ExitCode.InternalError;
  }
}
