/** Helpers to emit progress events (`DeployEvent`) with the clock's time. */
import type { Clock, DeployEvent, EventLevel, EventSink } from '../ports';

export class Emitter {
  constructor(
    private readonly sink: EventSink,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  emit(level: EventLevel, type: string, message: string, data?: Record<string, unknown>): void {
    const event: DeployEvent = data
      ? { at: this.clock.now(), level, type, message, data }
      : { at: this.clock.now(), level, type, message };
    this.sink.emit(event);
  }
  info(type: string, message: string, data?: Record<string, unknown>): void {
    this.emit('info', type, message, data);
  }
  warn(type: string, message: string, data?: Record<string, unknown>): void {
    this.emit('warn', type, message, data);
  }
  error(type: string, message: string, data?: Record<string, unknown>): void {
    this.emit('error', type, message, data);
  }
}

/** An EventSink that keeps every event (tests, benchmarks, building summaries). */
export class CollectingSink implements EventSink {
  readonly events: DeployEvent[] = [];
  constructor(private readonly next?: EventSink) {}
  emit(event: DeployEvent): void {
    this.events.push(event);
    this.next?.emit(event);
  }
  ofType(type: string): DeployEvent[] {
    return this.events.filter((e) => e.type === type);
  }
}

export const nullSink: EventSink = { emit: () => {} };
