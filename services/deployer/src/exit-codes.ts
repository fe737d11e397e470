/**
 * Process exit codes of `switchyard`. Stable: workflows and scripts branch on them.
 */
export const ExitCode = {
  /** Deployed / rolled back on request / promoted / status printed. */
  Ok: 0,
  /**
   * Internal error: an unexpected failure inside the tool or from AWS, a restoring write that failed, a
   * lost deployment lock, or a killed process. The traffic state is UNKNOWN (weights may be split): run
   * `switchyard status` before anything else.
   */
  InternalError: 1,
  /** Refused before changing anything: bad input, unknown env/service, mutable tag, lock held, nothing to do. */
  Refused: 2,
  /** A deploy failed a health gate (or was interrupted) and traffic was put back on the last known good colour. */
  RolledBack: 3,
  /**
   * Held for approval (`--hold-after canary` or the service's `holdAfter`): the canary serves, the lock is
   * kept until the hold expires; `switchyard continue` finishes the deploy, `switchyard abort` restores.
   */
  Held: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * What every exit-1 result says after its own reason, naming the environment and service acted on
 * (`where` = "env/service"; placeholders only when the command never got that far).
 */
export function internalErrorAdvice(where?: string): string {
  const [environment, service] = where?.split('/') ?? [];
  const args = `--env ${environment || 'ENV'} --service ${service || 'SERVICE'}`;
  return `Exit 1 (internal error): the traffic state is unknown (weights may be split); run \`switchyard status ${args}\` before anything else, then \`switchyard rollback ${args} --reason "…"\` if it shows a dead release or split weights.`;
}
