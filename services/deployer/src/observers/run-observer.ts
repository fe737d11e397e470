/**
 * Run observers: side effects that follow a command's event stream (ports `events`) and its final
 * result without ever blocking or failing it — the TrafficWeight metric (./traffic-weight.ts) and deploy
 * notifications (./notifications.ts). They are attached to the command's renderer (cli/output.ts) when
 * the runtime opens a service (cli/runtime.ts).
 *
 * Rules every observer keeps:
 * - `emit` returns at once: work starts in the background (`Background.run`), never awaited by the core;
 * - every background task has its own bounded timeout, and `Background.settle` waits at most a bound,
 *   so a hanging endpoint costs the run at most that bound, at its end;
 * - failures become warnings (`warn`), worded without secrets (a webhook URL is never printed).
 */
import type { DeployEvent } from '../ports';

/** The end of a command, as observers see it (cli/output.ts `CommandResult` fits). */
export interface RunResult {
  readonly command: string;
  readonly status: string;
  readonly exitCode: number;
  readonly headline: string;
  readonly reason?: string;
  readonly data?: unknown;
}

export interface RunObserver {
  /** Sees every event of the run. Must return at once and never throw. */
  emit(event: DeployEvent): void;
  /** Sees the final result before it is printed. Must return at once and never throw. */
  conclude?(result: RunResult): void;
  /** Resolves once the observer's background work settled, or when `deadline` (epoch ms) passed. */
  settle?(deadline: number): Promise<void>;
}

/** Called with one line for people when background work failed (the renderer prints it as a warning). */
export type WarnFn = (type: string, message: string) => void;

/** Default bound of one background request (SNS Publish, webhook POST, PutMetricData). */
export const OBSERVER_REQUEST_TIMEOUT_MS = 5_000;

/** Pending background tasks of one observer. */
export class Background {
  private readonly pending = new Set<Promise<void>>();

  /** Starts `task` now; its rejection is reported to `onError`, never thrown. */
  run(task: () => Promise<void>, onError: (e: unknown) => void): void {
    let p: Promise<void>;
    try {
      p = task().catch(onError);
    } catch (e) {
      onError(e);
      return;
    }
    const tracked = p.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Waits for the tasks running now (and any they start), at most until `deadline`. */
  async settle(deadline: number): Promise<void> {
    while (this.pending.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => {
        timer = setTimeout(r, left);
        timer.unref?.();
      });
      await Promise.race([Promise.allSettled([...this.pending]), timeout]);
      clearTimeout(timer);
    }
  }
}

/** `fn` raced against `ms`: rejects with a timeout error (and aborts `fn`'s signal) when it takes longer. */
export async function withTimeout<T>(
  ms: number,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctl.abort(new Error(`${what} timed out after ${ms} ms`));
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([fn(ctl.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
