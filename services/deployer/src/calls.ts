/**
 * How the CLI steers and watches the AWS calls of this process (shared by cli/ and adapters/). Kept free of
 * AWS SDK imports: the CLI's process wiring (cli/interrupts.ts, loaded at every start) must not load the SDK
 * clients for `--help` or `--simulate`. adapters/clients.ts uses these and re-exports them.
 */

/** How the CLI steers calls: the signal of calls starting now, and whether the run is stopping. */
export interface CallControl {
  /** Passed to every request; aborting it cancels the calls in flight. */
  signal(): AbortSignal | undefined;
  /** True once SIGINT/SIGTERM arrived: requests get the stopping request timeout (adapters/clients.ts STOPPING_REQUEST_TIMEOUT_MS). */
  stopping(): boolean;
}

/** What the AWS calls of this process are doing (CLI signal messages, "never reached AWS" refusals). */
export class CallTracker {
  private seq = 0;
  private readonly inFlight = new Map<number, { readonly what: string; readonly since: number }>();
  /** HTTP responses received from any endpoint (an error answer counts: the endpoint was reached). */
  answered = 0;
  /** Calls that completed successfully. */
  succeeded = 0;

  constructor(private readonly now: () => number = Date.now) {}

  begin(what: string): number {
    const id = ++this.seq;
    this.inFlight.set(id, { what, since: this.now() });
    return id;
  }
  end(id: number, ok: boolean): void {
    this.inFlight.delete(id);
    if (ok) this.succeeded++;
  }
  /** "elbv2 ModifyRule (4.2 s)" per call in flight, oldest first. */
  describeInFlight(): string[] {
    const now = this.now();
    return [...this.inFlight.values()].map((c) => `${c.what} (${((now - c.since) / 1000).toFixed(1)} s)`);
  }
}
