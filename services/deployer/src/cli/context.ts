/**
 * What every CLI command receives. `run()` in main.ts builds it; tests pass their own `io`.
 */
import type { CallControl, CallTracker } from '../calls';
import type { DeployEvent } from '../ports';

export interface CliIO {
  /** Writes to standard output (text as given, no newline added). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard output is a terminal: progress lines may be redrawn and coloured. @default false */
  readonly isTTY?: boolean;
  /** Aborted on SIGINT/SIGTERM (cli/process.ts); a deploy in flight rolls back. */
  readonly signal?: AbortSignal;
  /**
   * AWS calls: the abort signal and stopping state every request gets, and the tracker of calls in
   * flight (cli/interrupts.ts). @default none: calls are not aborted or tracked
   */
  readonly calls?: { readonly control: CallControl; readonly tracker: CallTracker };
  /** Sees every progress event of the run (the signal handler's picture of traffic). @default none */
  readonly observe?: (e: DeployEvent) => void;
}

export interface CommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly io: CliIO;
  /** Working directory for relative paths (topology files, simulation state). */
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  /** One line for `switchyard --help`. */
  readonly summary: string;
  /** Full `switchyard <name> --help` text. */
  readonly help: string;
  /** Returns the exit code (exit-codes.ts). Never calls process.exit. */
  run(args: readonly string[], ctx: CommandContext): Promise<number>;
}

/** Thrown for bad input: one message naming the problem and how to fix it; exit code Refused. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
