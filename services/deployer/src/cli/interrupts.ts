/**
 * SIGINT / SIGTERM while a command runs, and what the process says about them.
 *
 * GitHub Actions cancels (and times out) a step by sending SIGINT to the step's process, SIGTERM 7.5 s
 * later if it is still running, and killing it 2.5 s after that (actions/runner ProcessInvoker.cs
 * `CancelAndKillProcessTree`: `_sigintTimeout = 7500 ms`, `_sigtermTimeout = 2500 ms`; docs "Workflow
 * cancellation reference"). So:
 *   - the FIRST signal stops the run: the run's signal aborts (the core stops at its next step and puts
 *     traffic back if it moved), calls in flight are cancelled (their abort signal fires), and calls made
 *     from then on — the restoring write — get a FRESH signal and short per-request timeouts;
 *   - the SECOND signal (GitHub's SIGTERM) does not interrupt the restore; it prints what is true now:
 *     where traffic was last written, whether the restore was written and read back, which AWS calls are
 *     in flight;
 *   - the THIRD signal exits at once (exit 1, traffic state as printed).
 * Everything said is built from what the run observed (its events and its AWS calls), never assumed.
 */
import { type CallControl, CallTracker } from '../calls';
import type { DeployEvent } from '../ports';

export interface InterruptTarget {
  readonly environment?: string;
  readonly service?: string;
}

interface Weights {
  readonly blue: number;
  readonly green: number;
}

/** What the run has observably done to traffic, from its events. */
export class RunPicture {
  /** Last weights this run wrote (a shift, or the restoring write). */
  lastWritten?: Weights;
  /** Colour the restoring write put 100% on. */
  restoredTo?: string;
  restoreUnconfirmed = false;
  restoreFailed = false;
  noTrafficMoved = false;
  rollingBack = false;
  finished = false;
  lastRetry?: { readonly api: string; readonly attempt: number };

  observe(e: DeployEvent): void {
    const d = e.data ?? {};
    switch (e.type) {
      case 'weights.set':
        if (typeof d.blue === 'number' && typeof d.green === 'number')
          this.lastWritten = { blue: d.blue, green: d.green };
        break;
      case 'rollback.restored':
        if (typeof d.blue === 'number' && typeof d.green === 'number')
          this.lastWritten = { blue: d.blue, green: d.green };
        this.restoredTo = typeof d.colour === 'string' ? d.colour : undefined;
        break;
      case 'rollback.unverified':
        this.restoreUnconfirmed = true;
        break;
      case 'rollback.failed':
        this.restoreFailed = true;
        break;
      case 'rollback.no-traffic-moved':
        this.noTrafficMoved = true;
        break;
      case 'gate.failed':
        this.rollingBack = true;
        break;
      case 'deploy.rolled-back':
      case 'release.recorded':
      case 'lock.released':
        this.finished = true;
        break;
      case 'api.retry':
        if (typeof d.api === 'string') this.lastRetry = { api: d.api, attempt: Number(d.attempt ?? 0) + 1 };
        break;
    }
  }

  /** True when traffic may not be whole on one colour as far as this run knows. */
  mayBeSplit(): boolean {
    if (this.restoreFailed) return true;
    if (this.restoredTo) return this.restoreUnconfirmed;
    const w = this.lastWritten;
    return w !== undefined && w.blue !== 100 && w.green !== 100;
  }

  /** One sentence on traffic, true to what was observed. */
  traffic(): string {
    const w = this.lastWritten ? `blue ${this.lastWritten.blue}% / green ${this.lastWritten.green}%` : '';
    if (this.restoreFailed)
      return `the restoring write FAILED; traffic may be split (last written: ${w || 'unknown'})`;
    if (this.restoredTo)
      return `traffic is back on ${this.restoredTo} (100%, written${this.restoreUnconfirmed ? ', NOT confirmed by the read-back' : ' and read back'})`;
    if (this.lastWritten)
      return `this run moved traffic (last written: ${w}); the restoring write has not succeeded yet${this.lastRetry ? ` (${this.lastRetry.api}, attempt ${this.lastRetry.attempt})` : ''}`;
    if (this.noTrafficMoved) return 'traffic never moved in this run; nothing to put back';
    return 'this run has written no traffic weights';
  }
}

const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Counts signals, owns the run's abort signal and the signal of calls in flight. */
export class Interrupts {
  readonly tracker: CallTracker;
  readonly picture = new RunPicture();
  private readonly run = new AbortController();
  private calls = new AbortController();
  private count = 0;
  private target: InterruptTarget;

  constructor(opts: { target?: InterruptTarget; now?: () => number; tracker?: CallTracker } = {}) {
    this.target = opts.target ?? {};
    this.tracker = opts.tracker ?? new CallTracker(opts.now);
  }

  /** Aborted by the first signal: the command stops (and restores traffic if it moved). */
  get signal(): AbortSignal {
    return this.run.signal;
  }

  /** The signal and timeouts of AWS calls (adapters/clients.ts). */
  readonly control: CallControl = {
    signal: () => this.calls.signal,
    stopping: () => this.count > 0,
  };

  observe = (e: DeployEvent): void => this.picture.observe(e);

  /** Handles one signal: what to print, and the exit code when the process must exit now. */
  onSignal(name: string): { message: string; exitNow?: number } {
    this.count += 1;
    const p = this.picture;
    const status = this.statusCommand();
    if (this.count === 1) {
      const cancelled = this.tracker.describeInFlight();
      this.run.abort(new Error(name));
      // cancel what is in flight, then give the calls that follow (the restore) a fresh signal
      this.calls.abort(new Error(name));
      this.calls = new AbortController();
      return {
        message: `\nswitchyard: ${name} received — stopping${cancelled.length ? `; cancelled AWS calls in flight: ${cancelled.join(', ')}` : ''}. ${sentence(p.traffic())}. If this run moved traffic, one write puts it back on the last known good colour before exiting; a second signal does not interrupt that\n`,
      };
    }
    const inFlight = this.tracker.describeInFlight();
    const doing = inFlight.length ? `waiting for ${inFlight.join(', ')}` : 'no AWS call in flight';
    if (this.count === 2) {
      const consequence = p.mayBeSplit()
        ? `traffic may stay split: run \`${status}\`, then \`switchyard rollback\``
        : `traffic stays as written; the deployment lock expires by itself and \`${status}\` shows what was left`;
      return {
        message: `switchyard: ${name} received again — still stopping: ${p.traffic()}; ${doing}. Send it once more to exit immediately (${consequence})\n`,
      };
    }
    return {
      message: `switchyard: ${name} received a third time — exiting now: ${p.traffic()}; ${doing}. Run \`${status}\` before anything else\n`,
      exitNow: 1,
    };
  }

  private statusCommand(): string {
    const { environment, service } = this.target;
    return `switchyard status --env ${environment ?? 'ENV'}${service ? ` --service ${service}` : ''}`;
  }
}

/** The environment and service named on a command line (`--env`/`--to`, `--service`), for messages. */
export function targetFromArgv(argv: readonly string[]): InterruptTarget {
  const value = (flag: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === flag) return argv[i + 1];
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    }
    return undefined;
  };
  const environment = value('--env') ?? value('--to');
  const service = value('--service');
  return { ...(environment ? { environment } : {}), ...(service ? { service } : {}) };
}
