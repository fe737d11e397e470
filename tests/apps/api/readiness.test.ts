import { createReadiness } from '../../../apps/api/src/readiness';

const ok = (name: string) => ({ name, run: async () => undefined });

describe('readiness', () => {
  it('is ready when every check passes, with per-check timings', async () => {
    const report = await createReadiness([ok('database'), ok('cache')], 500)();
    expect(report.ready).toBe(true);
    expect(Object.keys(report.checks)).toEqual(['database', 'cache']);
    expect(report.checks['database']).toMatchObject({ ok: true });
  });

  it('names the failing check with its error code and a scrubbed message', async () => {
    const failing = {
      name: 'database',
      run: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
    };
    const report = await createReadiness([failing, ok('cache')], 500)();
    expect(report.ready).toBe(false);
    expect(report.checks['database']).toMatchObject({
      ok: false,
      error: 'ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:5432',
    });
    expect(report.checks['cache']).toMatchObject({ ok: true });
  });

  it('bounds each check by the timeout', async () => {
    const hang = { name: 'cache', run: () => new Promise<void>(() => undefined) };
    const started = Date.now();
    const report = await createReadiness([hang], 100)();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.checks['cache']).toMatchObject({ ok: false, error: 'Error: timed out after 100 ms' });
  });

  it('shares one run between concurrent callers (single flight), then runs again', async () => {
    let runs = 0;
    const slow = {
      name: 'database',
      run: async () => {
        runs += 1;
        await new Promise((r) => setTimeout(r, 30));
      },
    };
    const readiness = createReadiness([slow], 500);
    const [a, b, c] = await Promise.all([readiness(), readiness(), readiness()]);
    expect(runs).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    await readiness();
    expect(runs).toBe(2);
  });
});
