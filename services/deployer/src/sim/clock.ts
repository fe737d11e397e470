/**
 * Virtual clock for the simulation, tests and benchmarks: a discrete-event scheduler.
 *
 * `sleep(ms)` registers a timer at `now + ms`. Once every pending promise chain has settled (the next
 * macrotask), the clock jumps to the earliest timer and resolves it — so a 30-minute deploy runs in
 * milliseconds, concurrent sleepers (the deploy loop and the lock heartbeat) interleave in virtual
 * time exactly as they would in real time, and runs are deterministic (ties resolve in registration
 * order).
 */
import type { Clock } from '../ports';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private pumping = false;
  /** Virtual time the paced clock already waited (real time) to reach. */
  private waitedFor: number | undefined;

  /**
   * @param startMs virtual epoch milliseconds to start at. @default 2026-01-01T00:00:00Z
   * @param pace virtual milliseconds per real millisecond: the clock jumps no faster than that, so a
   *   real signal or a person can act mid-run (rehearsals, signal tests). @default unpaced (as fast as
   *   the event loop)
   */
  constructor(
    startMs = Date.UTC(2026, 0, 1),
    private readonly pace?: number,
  ) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** Resolves after `ms` of virtual time, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const onAbort = () => {
        timer.cancelled = true;
        resolve();
      };
      const timer = this.add(this.t + Math.max(0, ms), () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs `fn` when virtual time reaches `atMs` (absolute). Used to inject faults and interrupts. */
  at(atMs: number, fn: () => void): void {
    this.add(Math.max(atMs, this.t), fn);
  }

  /** Number of timers not yet fired (for tests). */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }

  private add(at: number, fire: () => void): Timer {
    const timer: Timer = { at, seq: this.seq++, fire, cancelled: false };
    this.timers.push(timer);
    this.pump();
    return timer;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    setImmediate(() => this.step());
  }

  private step(): void {
    this.pumping = false;
    this.timers = this.timers.filter((x) => !x.cancelled);
    if (this.timers.length === 0) return;
    let next = this.timers[0];
    for (const x of this.timers) if (x.at < next.at || (x.at === next.at && x.seq < next.seq)) next = x;
    if (this.pace !== undefined && next.at > this.t && this.waitedFor === undefined) {
      // paced: let real time pass first (timers added meanwhile are picked up when it has)
      this.waitedFor = next.at;
      this.pumping = true;
      setTimeout(() => this.step(), (next.at - this.t) / this.pace);
      return;
    }
    this.waitedFor = undefined;
    this.timers.splice(this.timers.indexOf(next), 1);
    if (next.at > this.t) this.t = next.at;
    next.fire();
    if (this.timers.length > 0) this.pump();
  }
}

/** Seeded PRNG (mulberry32): deterministic jitter, latencies and fault schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
