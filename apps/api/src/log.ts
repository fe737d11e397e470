/**
 * One JSON object per line on stdout (the awslogs driver ships each line to CloudWatch Logs, where Logs
 * Insights parses JSON fields). Secrets never reach a line: values under secret-looking keys are replaced,
 * and SigV4 presigned material (IAM auth tokens are presigned URLs) is masked wherever it appears.
 */
import type { LogLevel } from './config';

export type Fields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

const ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values are never logged (matched case-insensitively anywhere in the key). */
const SECRET_KEY =
  /pass(word)?|secret|token|authorization|cookie|credential|api[-_]?key|private[-_]?key|signature/i;
/** A SigV4 presigned query (RDS / ElastiCache IAM tokens are `host/?Action=connect&…&X-Amz-Signature=…`). */
const PRESIGNED = /\S*X-Amz-(?:Signature|Credential|Security-Token)=\S*/gi;
const REDACTED = '[redacted]';

/** Masks presigned material inside free text (e.g. an error message that echoes a connection string). */
export function scrubText(text: string): string {
  return text.replace(PRESIGNED, REDACTED);
}

function scrub(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (value instanceof Error) return errorFields(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

/** What an error may contribute to a log line: its class, code and (scrubbed) message, never its fields. */
export function errorFields(err: unknown): { name: string; code?: string; message: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      ...(typeof code === 'string' ? { code } : {}),
      message: scrubText(err.message),
    };
  }
  return { name: 'NonError', message: scrubText(String(err)) };
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
  now: () => Date = () => new Date(),
  base: Fields = {},
): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Fields): void => {
    if (ORDER[lvl] < min) return;
    const body = scrub({ ...base, ...fields }, 0) as Record<string, unknown>;
    write(JSON.stringify({ time: now().toISOString(), level: lvl, msg: scrubText(msg), ...body }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
