/**
 * PLACEHOLDER — `switchyard status` is implemented by engineer H7 (issue 5), who overwrites this file.
 * It exists only so the dispatcher compiles; it refuses with exit code 2.
 */
import { ExitCode } from '../../exit-codes';
import type { Command } from '../context';

const HELP = `Usage: switchyard status … (not implemented yet — issue 5)`;

export const statusCommand: Command = {
  name: 'status',
  summary: 'not implemented yet (issue 5)',
  help: HELP,
  async run(args, ctx) {
    if (args.includes('--help') || args.includes('-h')) {
      ctx.io.stdout(`${HELP}\n`);
      return ExitCode.Ok;
    }
    ctx.io.stderr('switchyard status: not implemented yet (issue 5)\n');
    return ExitCode.Refused;
  },
};
