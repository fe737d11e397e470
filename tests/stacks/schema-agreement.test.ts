/**
 * The environment schema and the modules agree: a document the schema (and its cross-field rules)
 * accepts always builds the runtime — a bad value gets the schema's one-line message, never a stack
 * trace from a module constructor. Property-based over the service fields with module-side limits,
 * plus a table of boundary values.
 */
import fc from 'fast-check';
import { parseEnvironment } from '../../environments/loader';
import { FARGATE_MEMORY, LOG_RETENTION_DAYS } from '../../environments/schema';
import { MAX_SERVICE_NAME_LENGTH, SCALING_TARGET_MAX, SCALING_TARGET_MIN } from '../../modules/ecs/limits';
import { buildRuntime } from '../../stacks/runtime';
import { ctx, validDoc } from '../environments/fixtures';
import { FAKE_VPC, newStack } from '../helpers/stack';

type Tier = 'dev' | 'staging' | 'prod';

function docWith(tier: Tier, service: Record<string, unknown>): Record<string, unknown> {
  const doc = validDoc(tier);
  const [first] = doc.services as Record<string, unknown>[];
  return { ...doc, services: [{ ...first, ...service }] };
}

/** Problems of the document, or the module error when the schema accepted it but the build threw. */
function outcome(tier: Tier, service: Record<string, unknown>): { problems: string[]; buildError?: string } {
  const { config, problems } = parseEnvironment(docWith(tier, service), ctx(tier));
  if (!config) return { problems };
  try {
    buildRuntime(newStack(tier).stack, config, FAKE_VPC);
    return { problems: [] };
  } catch (e) {
    return { problems: [], buildError: (e as Error).message };
  }
}

const cpuMemory = fc.constantFrom(
  ...Object.entries(FARGATE_MEMORY).flatMap(([cpu, mems]) => mems.map((memory) => [Number(cpu), memory])),
);

/** Services near the limits: mostly schema-valid (so the property is not vacuous), some just outside. */
const service = fc
  .record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,26}[a-z0-9]$/),
    containerPort: fc.integer({ min: 1, max: 65535 }),
    size: cpuMemory,
    scaling: fc.tuple(
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 1000 }),
    ),
    logRetentionDays: fc.constantFrom(...LOG_RETENTION_DAYS),
    deregistrationDelaySeconds: fc.integer({ min: 0, max: 3600 }),
    intervalSeconds: fc.integer({ min: 5, max: 300 }),
    timeoutSeconds: fc.integer({ min: 2, max: 120 }),
    healthyThreshold: fc.integer({ min: 2, max: 10 }),
    unhealthyThreshold: fc.integer({ min: 2, max: 10 }),
    cpuTarget: fc.integer({ min: SCALING_TARGET_MIN - 2, max: SCALING_TARGET_MAX + 5 }),
    memoryTarget: fc.integer({ min: SCALING_TARGET_MIN - 2, max: SCALING_TARGET_MAX + 5 }),
    priority: fc.integer({ min: 1, max: 50000 }),
  })
  .map((g) => {
    const [a, b, c] = [...g.scaling].sort((x, y) => x - y);
    return {
      name: g.name,
      containerPort: g.containerPort,
      cpu: g.size[0],
      memory: g.size[1],
      desiredCount: b,
      logRetentionDays: g.logRetentionDays,
      deregistrationDelaySeconds: g.deregistrationDelaySeconds,
      healthCheck: {
        intervalSeconds: g.intervalSeconds,
        timeoutSeconds: Math.min(g.timeoutSeconds, g.intervalSeconds - 1),
        healthyThreshold: g.healthyThreshold,
        unhealthyThreshold: g.unhealthyThreshold,
      },
      autoscaling: { min: a, max: Math.max(1, c), cpuTarget: g.cpuTarget, memoryTarget: g.memoryTarget },
      routing: { priority: g.priority },
    };
  });

test('every schema-valid service builds the runtime (no module error behind the schema)', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.constantFrom<Tier>('dev', 'staging', 'prod'), service, (tier, svc) => {
      const result = outcome(tier, svc);
      if (result.problems.length === 0) accepted++;
      expect(result.buildError).toBeUndefined();
    }),
    { numRuns: 50, seed: 20261123 },
  );
  // The property must not pass vacuously.
  expect(accepted).toBeGreaterThan(15);
});

describe('boundary values the schema accepts build; one past them is a schema message', () => {
  const longest = `a${'b'.repeat(MAX_SERVICE_NAME_LENGTH - 1)}`;
  it.each<[string, Record<string, unknown>]>([
    ['cpuTarget at the minimum', { autoscaling: { cpuTarget: SCALING_TARGET_MIN } }],
    ['cpuTarget at the maximum', { autoscaling: { cpuTarget: SCALING_TARGET_MAX } }],
    ['memoryTarget at the maximum', { autoscaling: { memoryTarget: SCALING_TARGET_MAX } }],
    ['the longest service name', { name: longest }],
    ['the largest task', { cpu: 16384, memory: 122880 }],
    ['zero deregistration delay', { deregistrationDelaySeconds: 0 }],
  ])('%s builds', (_case, svc) => {
    expect(outcome('prod', svc)).toEqual({ problems: [] });
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'cpuTarget above the maximum',
      { autoscaling: { cpuTarget: SCALING_TARGET_MAX + 1 } },
      `services[0].autoscaling.cpuTarget: must be between ${SCALING_TARGET_MIN} and ${SCALING_TARGET_MAX} (got ${SCALING_TARGET_MAX + 1})`,
    ],
    [
      'memoryTarget above the maximum',
      { autoscaling: { memoryTarget: 95 } },
      `services[0].autoscaling.memoryTarget: must be between ${SCALING_TARGET_MIN} and ${SCALING_TARGET_MAX} (got 95)`,
    ],
    [
      'a service name one character too long',
      { name: `${longest}c` },
      `services[0].name: must be at most ${MAX_SERVICE_NAME_LENGTH} characters (it is part of target group and role names) (got "${longest}c")`,
    ],
  ])('%s is refused by the schema with one message', (_case, svc, message) => {
    expect(outcome('prod', svc)).toEqual({ problems: [`environments/prod.yaml: ${message}`] });
  });
});
