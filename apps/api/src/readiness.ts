/**
 * Readiness: the service can do its job — it reaches PostgreSQL and the cache with the credentials the
 * platform gave it (IAM user, TLS). Each check has its own time budget; concurrent callers share one run
 * (single flight), so a burst of probes never multiplies connections.
 */
import { errorFields } from './log';

export interface Check {
  readonly name: string;
  run(): Promise<void>;
}

export interface CheckResult {
  readonly ok: boolean;
  readonly ms: number;
  /** Class and scrubbed message of the failure (never credentials). */
  readonly error?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export type Readiness = () => Promise<ReadinessReport>;

async function timed(check: Check, timeoutMs: number, now: () => number): Promise<CheckResult> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, ms: now() - started };
  } catch (err) {
    const e = errorFields(err);
    return { ok: false, ms: now() - started, error: `${e.code ?? e.name}: ${e.message}` };
  } finally {
    clearTimeout(timer);
  }
}

export function createReadiness(
  checks: readonly Check[],
  timeoutMs: number,
  now: () => number = Date.now,
): Readiness {
  let inFlight: Promise<ReadinessReport> | undefined;
  const runAll = async (): Promise<ReadinessReport> => {
    const results = await Promise.all(
      checks.map(async (c) => [c.name, await timed(c, timeoutMs, now)] as const),
    );
    return { ready: results.every(([, r]) => r.ok), checks: Object.fromEntries(results) };
  };
  return () => {
    inFlight ??= runAll().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
}
