/**
 * Process exit codes of `switchyard`. Stable: workflows and scripts branch on them.
 */
export const ExitCode = {
  /** Deployed / rolled back on request / promoted / status printed. */
  Ok: 0,
  /** Unexpected failure inside the tool or from AWS; traffic was left on the last known good colour if a deploy was under way. */
  InternalError: 1,
  /** Refused before changing anything: bad input, unknown env/service, mutable tag, lock held, nothing to do. */
  Refused: 2,
  /** A deploy failed a health gate (or was interrupted) and traffic was put back on the last known good colour. */
  RolledBack: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
