/**
 * Pre-traffic smoke test (topology `smokeTest`): after the new colour is healthy and the test listener
 * points at it, and BEFORE any production weight moves, built-in HTTP checks go through the test
 * listener (topology `testListenerUrl`) and then, if configured, a command runs with the listener's URL
 * in its environment. Any failure is a `smoke` gate failure: the deploy ends with no production traffic
 * moved and the new colour scaled back (core/failure.ts).
 *
 * The test listener rule was just changed: // AWS: "Rule updates do not take effect immediately, so
 * requests could be routed using the previous rule configuration for a short time after you update a
 * rule." (ELB docs, "Edit a listener rule") — the checks start RESTORE_SETTLE_MS after that write, so they
 * reach the new colour and not the one the test rule pointed at before.
 */
import type { Colour, ServiceTopology, SmokeCheck } from '../../../topology';
import { type Clock, PortError, type SmokePort, type SmokeTestResult } from '../ports';
import type { Emitter } from './events';
import { RESTORE_SETTLE_MS } from './settings';

/** A smoke check with its defaults applied. */
export type PlannedCheck = Required<Omit<SmokeCheck, 'bodyMatch'>> & Pick<SmokeCheck, 'bodyMatch'>;

/** What the smoke test of a deploy will do (DeployPlan.smokeTest). */
export interface PlanSmokeTest {
  /** The test listener (`http(s)://<ALB DNS name>:<port>`). */
  readonly url: string;
  /** Host header and TLS server name. */
  readonly host?: string;
  readonly checks: readonly PlannedCheck[];
  readonly command?: readonly string[];
  readonly commandTimeoutSeconds: number;
  /** Wait between pointing the test listener at the new colour and the first check. */
  readonly settleSeconds: number;
}

export const SMOKE_DEFAULTS = {
  method: 'GET',
  expectStatus: 200,
  count: 3,
  timeoutSeconds: 5,
  commandTimeoutSeconds: 300,
} as const;

/** Longest tail of a command's output that is kept (and recorded with the release). */
export const OUTPUT_TAIL_BYTES = 4000;

/**
 * The smoke test a deploy of `t` runs, or undefined without one; `{ problem }` when it cannot run (no
 * test listener URL published). Pure.
 */
export function planSmokeTest(t: ServiceTopology): PlanSmokeTest | { problem: string } | undefined {
  const s = t.smokeTest;
  if (!s) return undefined;
  if (!t.testListenerUrl) {
    return {
      problem: `${t.environment}/${t.service} has a smokeTest, but its topology does not say where the test listener answers (testListenerUrl): re-apply the environment so modules/ecs publishes it (or add it to the --topology file)`,
    };
  }
  return {
    url: t.testListenerUrl,
    ...(s.host ? { host: s.host } : {}),
    checks: (s.http ?? []).map((c) => ({
      path: c.path,
      method: c.method ?? SMOKE_DEFAULTS.method,
      expectStatus: c.expectStatus ?? SMOKE_DEFAULTS.expectStatus,
      count: c.count ?? SMOKE_DEFAULTS.count,
      timeoutSeconds: c.timeoutSeconds ?? SMOKE_DEFAULTS.timeoutSeconds,
      ...(c.bodyMatch ? { bodyMatch: c.bodyMatch } : {}),
    })),
    ...(s.command ? { command: s.command } : {}),
    commandTimeoutSeconds: s.commandTimeoutSeconds ?? SMOKE_DEFAULTS.commandTimeoutSeconds,
    settleSeconds: RESTORE_SETTLE_MS / 1000,
  };
}

/** Longest a smoke test can take (worst-case budget): settle + every request at its timeout + the command. */
export function smokeWorstCaseSeconds(s: PlanSmokeTest): number {
  return (
    s.settleSeconds +
    s.checks.reduce((sum, c) => sum + c.count * c.timeoutSeconds, 0) +
    (s.command ? s.commandTimeoutSeconds : 0)
  );
}

/** One line per check, for plans and messages: `3× GET /health → 200, body /ok/`. */
export function describeCheck(c: PlannedCheck): string {
  return `${c.count}× ${c.method} ${c.path} → ${c.expectStatus}${c.bodyMatch ? `, body /${c.bodyMatch}/` : ''} (${c.timeoutSeconds}s timeout)`;
}

/** One line for people: `passed: GET /ready ok` / `failed: GET /ready answered 500, …; command exit 1`. */
export function describeSmokeResult(r: SmokeTestResult): string {
  const checks = r.checks.map((c) => `${c.request} ${c.passed ? 'ok' : (c.detail ?? 'failed')}`);
  const command = r.command
    ? [`command ${r.command.timedOut ? 'timed out' : `exit ${r.command.exitCode ?? 'none'}`}`]
    : [];
  return `${r.passed ? 'passed' : 'failed'}: ${[...checks, ...command].join('; ')}`;
}

export interface SmokeDeps {
  readonly smoke: SmokePort;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
}

/** Runs the smoke test against `colour` (the test listener must point at it). Never throws for a failed check. */
export async function runSmokeTest(
  deps: SmokeDeps,
  plan: PlanSmokeTest,
  a: {
    readonly t: ServiceTopology;
    readonly colour: Colour;
    readonly image: string;
    readonly emitter: Emitter;
  },
): Promise<SmokeTestResult> {
  const { clock } = deps;
  const { emitter, colour } = a;
  const start = clock.now();
  const checks: SmokeTestResult['checks'][number][] = [];
  let reason: string | undefined;
  for (const c of plan.checks) {
    const request = `${c.method} ${c.path}`;
    let attempts = 0;
    let detail: string | undefined;
    const re = c.bodyMatch ? new RegExp(c.bodyMatch) : undefined;
    while (attempts < c.count && detail === undefined) {
      attempts++;
      try {
        const res = await deps.smoke.http({
          url: `${plan.url}${c.path}`,
          method: c.method,
          ...(plan.host ? { host: plan.host } : {}),
          timeoutMs: c.timeoutSeconds * 1000,
          ...(deps.signal ? { signal: deps.signal } : {}),
        });
        if (res.status !== c.expectStatus) detail = `answered ${res.status}, expected ${c.expectStatus}`;
        else if (re && !re.test(res.body))
          detail = `answered ${res.status}, but the body does not match /${c.bodyMatch}/: ${JSON.stringify(res.body.slice(0, 160))}`;
      } catch (e) {
        // no answer at all: most often this host is not allowed through the test listener's security group
        const unreachable = e instanceof PortError && e.kind === 'unavailable';
        detail = `failed: ${(e as Error).message}${unreachable ? ` — can this host reach the test listener? It admits the VPC's NAT addresses and alb.testListener.allowedCidrs only` : ''}`;
      }
    }
    const passed = detail === undefined;
    checks.push({ request, passed, attempts, ...(detail ? { detail } : {}) });
    if (passed) {
      emitter.info('smoke.check', `smoke ${request} via the test listener: ${attempts}/${c.count} passed`, {
        colour,
        request,
        attempts,
      });
    } else {
      reason = `${request} (attempt ${attempts} of ${c.count}) ${detail}`;
      emitter.error('smoke.check', `smoke ${reason}`, { colour, request, attempts, detail });
      break;
    }
  }
  let command: SmokeTestResult['command'];
  if (reason === undefined && plan.command) {
    const env: Record<string, string> = {
      SWITCHYARD_TEST_URL: plan.url,
      SWITCHYARD_TEST_HOST: plan.host ?? new URL(plan.url).host,
      SWITCHYARD_COLOUR: colour,
      SWITCHYARD_ENVIRONMENT: a.t.environment,
      SWITCHYARD_SERVICE: a.t.service,
      SWITCHYARD_IMAGE: a.image,
    };
    emitter.info(
      'smoke.command',
      `smoke command: ${plan.command.join(' ')} (SWITCHYARD_TEST_URL=${plan.url})`,
      {
        argv: plan.command,
      },
    );
    const res = await deps.smoke.run({
      argv: plan.command,
      env,
      timeoutMs: plan.commandTimeoutSeconds * 1000,
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    command = {
      argv: plan.command,
      exitCode: res.exitCode,
      timedOut: res.timedOut,
      outputTail: res.outputTail,
    };
    if (res.exitCode !== 0 || res.timedOut) {
      reason = res.timedOut
        ? `command ${plan.command.join(' ')} did not finish within ${plan.commandTimeoutSeconds}s`
        : res.error
          ? `command ${plan.command.join(' ')} could not run: ${res.error}`
          : `command ${plan.command.join(' ')} exited ${res.exitCode ?? 'by a signal'}`;
      emitter.error('smoke.command', `smoke ${reason}; output tail:\n${res.outputTail}`, {
        exitCode: res.exitCode,
        timedOut: res.timedOut,
      });
    } else emitter.info('smoke.command', `smoke command passed`, { exitCode: 0 });
  }
  return {
    passed: reason === undefined,
    at: start,
    durationMs: clock.now() - start,
    url: plan.url,
    colour,
    checks,
    ...(command ? { command } : {}),
    ...(reason ? { reason } : {}),
  };
}
