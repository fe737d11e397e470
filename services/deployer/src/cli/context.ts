/**
 * What every CLI command receives. `run()` in main.ts builds it; tests pass their own `io`.
 */
import type { CallControl, CallTracker } from '../calls';
import type { DeployEvent, ReleaseAudit } from '../ports';

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

/**
 * The CI audit trail of a release, from the environment GitHub Actions sets (default variables) and the
 * workflows' approval lookup (`.github/scripts/approvers.sh` writes SWITCHYARD_APPROVERS: comma-separated
 * logins; empty = looked up, no review required). Undefined outside GitHub Actions. Values are checked:
 * anything malformed is left out rather than recorded.
 */
export function auditFromEnv(env: CommandContext['env']): ReleaseAudit | undefined {
  if (env.GITHUB_ACTIONS !== 'true') return undefined;
  const login = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/;
  const attempt = Number(env.GITHUB_RUN_ATTEMPT);
  const approvers = env.SWITCHYARD_APPROVERS;
  const approvedBy =
    approvers === undefined
      ? undefined
      : [
          ...new Set(
            approvers
              .split(',')
              .map((s) => s.trim())
              .filter((s) => login.test(s)),
          ),
        ].sort();
  const workflowRef = env.GITHUB_WORKFLOW_REF;
  const event = env.GITHUB_EVENT_NAME;
  return {
    ...(Number.isInteger(attempt) && attempt >= 1 ? { runAttempt: attempt } : {}),
    ...(env.GITHUB_TRIGGERING_ACTOR && login.test(env.GITHUB_TRIGGERING_ACTOR)
      ? { triggeringActor: env.GITHUB_TRIGGERING_ACTOR }
      : {}),
    ...(approvedBy ? { approvedBy } : {}),
    ...(workflowRef && /^[\w.-]+\/[\w.-]+\/\.github\/workflows\/[\w./-]+@[\w./-]+$/.test(workflowRef)
      ? { workflowRef }
      : {}),
    ...(event && /^[a-z_]+$/.test(event) ? { event } : {}),
  };
}
