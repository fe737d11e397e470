/**
 * Faults the simulation can inject. Each is realistic in shape (what AWS would report), not a
 * shortcut into the core: the core only sees them through the ports.
 */

export const FAULT_NAMES = [
  'task-crash',
  'unhealthy-targets',
  '5xx-spike',
  'slow',
  'connection-errors',
  'alarm',
  'incident',
  'throttle',
  'interrupt',
  'kill',
  'outage',
  'smoke-fail',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

export const FAULT_HELP: Record<FaultName, string> = {
  'task-crash':
    "the new revision's tasks exit a few seconds after starting; ECS circuit breaker fails the deployment",
  'unhealthy-targets': "the new revision's targets never pass the load balancer health check",
  '5xx-spike': 'the new colour answers 30% of requests with 5xx once it receives traffic (after @SECONDS)',
  slow: "5% of the new colour's requests take 4 s once it receives traffic (after @SECONDS): its p99 response time rises",
  'connection-errors':
    "5% of the load balancer's connections to the new colour's targets fail once it receives traffic (after @SECONDS); the load balancer answers them with 502",
  alarm:
    "the new colour's first own CloudWatch alarm goes to ALARM once it receives traffic (after @SECONDS)",
  incident:
    "the live release is bad: the live colour's first own alarm and the first shared alarm are in ALARM from the start (they return to OK 3 min after it stops getting traffic)",
  throttle: 'about 30% of API calls fail with a throttling error (never more than 3 in a row per API)',
  interrupt:
    'SIGINT reaches the deployer at @SECONDS after the start (default: just after the first weight shift)',
  kill: 'the deployer process dies (no cleanup) at @SECONDS after the start (default: just after the first weight shift)',
  'smoke-fail':
    'the new revision fails its smoke test: the test listener answers 500 from it and the smoke command exits 1 (topologies with a smokeTest)',
  outage:
    'every AWS call (ECS, ELB, CloudWatch, DynamoDB…) fails with a network error (EHOSTUNREACH) for 30 s, from @SECONDS after the start (default: the moment the deployer starts restoring traffic)',
};

export interface Fault {
  readonly name: FaultName;
  /**
   * Seconds. For 5xx-spike/alarm: delay after the new colour first gets traffic. For interrupt/kill:
   * virtual seconds after the simulation starts.
   * @default 0 for 5xx-spike/alarm; interrupt/kill default to "after the first traffic shift write".
   */
  readonly afterSeconds?: number;
  /** For throttle: probability per call. @default 0.3 */
  readonly rate?: number;
  /** For 5xx-spike: error share of the new colour (@default 0.3); for slow / connection-errors: share of requests / connections affected (@default 0.05). */
  readonly errorRatio?: number;
  /** For outage: how long the network stays down. @default 30 */
  readonly durationSeconds?: number;
}

/** Parses `NAME` or `NAME@SECONDS` (CLI `--fault`). Throws with the list of valid names. */
export function parseFault(spec: string): Fault {
  const [name, at] = spec.split('@');
  if (!(FAULT_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown fault "${name}"; valid faults: ${FAULT_NAMES.join(', ')}`);
  }
  if (at === undefined) return { name: name as FaultName };
  const seconds = Number(at.replace(/s$/, ''));
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`fault "${spec}": the part after @ must be a number of seconds, e.g. ${name}@30`);
  }
  return { name: name as FaultName, afterSeconds: seconds };
}
