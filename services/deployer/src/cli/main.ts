/**
 * `switchyard` entry point for bin/switchyard.js and tests: `run(argv, env, io)` returns the exit code
 * (exit-codes.ts) and never calls process.exit.
 */
import { ExitCode } from '../exit-codes';
import type { CliIO, Command, CommandContext } from './context';

export type { CliIO, Command, CommandContext } from './context';

/** A command by name, with the one-line summary `--help` lists, and its implementation loaded on use. */
export interface CommandEntry {
  readonly name: string;
  /** The command's own `summary` (tests/deployer/cli/bin.test.ts checks that they agree). */
  readonly summary: string;
  load(): Promise<Command>;
}

/**
 * The commands. A command's module — and with it the core, zod and the AWS SDK adapters — loads only
 * when that command runs or its help is asked for: `switchyard --help` loads none of them and starts in
 * well under 3× a bare Node start (bench/cli-start-results.md).
 */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'deploy',
    summary: 'blue/green deploy an image tag to a service, with health gates and automatic rollback',
    load: async () => (await import('./commands/deploy')).deployCommand,
  },
  {
    name: 'rollback',
    summary: 'put traffic back on a known-good release (weight flip or redeploy); recover a killed deployer',
    load: async () => (await import('./commands/rollback')).rollbackCommand,
  },
  {
    name: 'promote',
    summary: 'deploy to the next environment the exact digest live and deployed in the previous one',
    load: async () => (await import('./commands/promote')).promoteCommand,
  },
  {
    name: 'continue',
    summary: 'finish a deploy held for approval (or left by a dead runner) from its recorded step',
    load: async () => (await import('./commands/continue')).continueCommand,
  },
  {
    name: 'abort',
    summary:
      'end a held deploy (or a dead runner’s): traffic back on the live colour, the canary scaled down',
    load: async () => (await import('./commands/abort')).abortCommand,
  },
  {
    name: 'status',
    summary: 'show colours, weights, lock, last releases and drift / killed-deployer warnings',
    load: async () => (await import('./commands/status')).statusCommand,
  },
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: switchyard <command> [options]

Blue/green deploys of ECS services behind an ALB, with health gates and automatic rollback.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`switchyard <command> --help\` for a command's options. Every command accepts --simulate to run
against an offline simulation of ECS, ALB and CloudWatch (no AWS account needed).

Exit codes: 0 ok, 1 internal error (traffic state unknown: run switchyard status), 2 refused (nothing changed), 3 rolled back,
4 held for approval (switchyard continue / abort).
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
        io.stdout(`${(await c.load()).help.trimEnd()}\n`);
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
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(
      `switchyard: unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')} (switchyard --help)\n`,
    );
    return ExitCode.Refused;
  }
  try {
    return await (await entry.load()).run(rest, ctx);
  } catch (e) {
    io.stderr(`switchyard ${name}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    return ExitCode.InternalError;
  }
}
