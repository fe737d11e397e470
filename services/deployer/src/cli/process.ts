/**
 * The `switchyard` process: what bin/switchyard.js runs in-process. Wires the real process to `run()`:
 *   - SIGINT/SIGTERM → cli/interrupts.ts (stop, restore with a fresh signal, truthful messages);
 *   - standard output/error closed by the reader (`switchyard status … | head -1`): Node reports EPIPE as
 *     an 'error' event on the stream (it ignores SIGPIPE), which would crash the process with a stack
 *     trace. The stream is marked closed and later output is dropped; the command carries on — a deploy
 *     whose reader went away still finishes or puts traffic back — and its exit code is unchanged.
 */
import { Interrupts, targetFromArgv } from './interrupts';
import { run } from './main';

interface Writable {
  write(s: string): unknown;
  on(event: 'error', fn: (e: NodeJS.ErrnoException) => void): unknown;
  readonly isTTY?: boolean;
}

/** A writer that stops writing (silently) once the reader closed the pipe. */
export function pipeSafe(stream: Writable): (s: string) => void {
  let closed = false;
  stream.on('error', (e) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
      closed = true;
      return;
    }
    throw e;
  });
  return (s) => {
    if (closed) return;
    try {
      stream.write(s);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') closed = true;
      else throw e;
    }
  };
}

/** Runs the CLI as this process: argv, env, signals, exit code. */
export async function runProcess(proc: NodeJS.Process = process): Promise<void> {
  const argv = proc.argv.slice(2);
  const stdout = pipeSafe(proc.stdout);
  const stderr = pipeSafe(proc.stderr);
  const interrupts = new Interrupts({ target: targetFromArgv(argv) });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    proc.on(sig, () => {
      const { message, exitNow } = interrupts.onSignal(sig);
      stderr(message);
      if (exitNow !== undefined) proc.exit(exitNow);
    });
  }
  try {
    proc.exitCode = await run(argv, proc.env, {
      stdout,
      stderr,
      isTTY: proc.stdout.isTTY === true,
      signal: interrupts.signal,
      calls: { control: interrupts.control, tracker: interrupts.tracker },
      observe: interrupts.observe,
    });
  } catch (err) {
    stderr(`switchyard: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    proc.exitCode = 1;
  }
}
