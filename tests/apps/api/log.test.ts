import { createLogger, errorFields, scrubText } from '../../../apps/api/src/log';

const TOKEN =
  'db.example.com:5432/?Action=connect&DBUser=app&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Feu-west-1%2Frds-db%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=abcdef';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: string[] = [];
  const log = createLogger(
    level,
    (l) => lines.push(l),
    () => new Date('2026-01-01T00:00:00Z'),
    {
      service: 'api',
    },
  );
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('JSON logger', () => {
  it('writes one JSON object per line with time, level, message and fields', () => {
    const { log, parsed } = capture();
    log.info('listening', { port: 8080 });
    expect(parsed()).toEqual([
      { time: '2026-01-01T00:00:00.000Z', level: 'info', msg: 'listening', service: 'api', port: 8080 },
    ]);
  });

  it('drops lines below the level', () => {
    const { log, lines } = capture('warn');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['c', 'd']);
  });

  it('never writes secret-looking fields, nested or not', () => {
    const { log, lines } = capture();
    log.info('connecting', {
      password: 'p4ss',
      db: { user: 'app', authToken: 'tok', nested: { secretAccessKey: 'skey' } },
      headers: { Authorization: 'Bearer x', cookie: 'c=1' },
    });
    const text = lines.join('\n');
    for (const secret of ['p4ss', 'tok', 'skey', 'Bearer x', 'c=1']) expect(text).not.toContain(secret);
    expect(JSON.parse(lines[0]!).db).toEqual({
      user: 'app',
      authToken: '[redacted]',
      nested: { secretAccessKey: '[redacted]' },
    });
  });

  it('masks SigV4 presigned material (IAM auth tokens) inside messages and error texts', () => {
    expect(scrubText(`password authentication failed for ${TOKEN} now`)).toBe(
      'password authentication failed for [redacted] now',
    );
    const { log, lines } = capture();
    log.error(`failed with ${TOKEN}`, { error: new Error(`bad token ${TOKEN}`) });
    expect(lines.join('')).not.toContain('X-Amz-Signature');
    expect(lines.join('')).not.toContain('AKIDEXAMPLE');
  });

  it('reduces errors to class, code and message (no properties that could carry data)', () => {
    const err = Object.assign(new Error('password authentication failed for user "app"'), {
      code: '28P01',
      password: 'leak',
      config: { token: 'leak' },
    });
    expect(errorFields(err)).toEqual({
      name: 'Error',
      code: '28P01',
      message: 'password authentication failed for user "app"',
    });
    expect(errorFields('plain')).toEqual({ name: 'NonError', message: 'plain' });
  });
});
