/** Human/Markdown presentation of deploy plans and outcomes (shared by deploy, rollback, promote). */
import { type DeployOutcome, type DeployPlan, describeChanges } from '../core/deploy';
import { seconds } from '../core/metric-gates';
import { describeTraffic } from '../core/plan-traffic';
import { describeCheck, describeSmokeResult } from '../core/smoke';
import { ExitCode } from '../exit-codes';
import type { CommandResult } from './output';

const short = (image?: string) =>
  image ? image.replace(/@sha256:([0-9a-f]{12})[0-9a-f]+$/, '@sha256:$1…') : '(none)';

/** The dry-run plan: colours, task-definition diff, weight schedule, gates. */
export function planLines(plan: DeployPlan): string[] {
  const g = plan.gates;
  const schedule = plan.steps.map((s) => `${s.percent}% (bake ${s.bakeSeconds}s)`).join(' → ');
  const td = plan.taskDefinition;
  const live = td.live ?? td.base;
  const baseLines =
    td.base === live
      ? [
          `task def       new revision from ${td.base} (the live revision${td.baseSource === 'live' ? '; the topology names no base revision' : ''})`,
        ]
      : [
          `task def       new revision from base ${td.base} (${td.baseSource === 'topology' ? "Terraform's desired revision, topology baseTaskDefinitionArn" : 'requested base'})`,
          `                 live revision is ${live}: ${td.configurationChanges ? describeChanges(td.configurationChanges) : 'configuration may differ'}`,
        ];
  const a = plan.autoscaling;
  const range = (r?: { min: number; max: number }) => (r ? `${r.min}..${r.max}` : 'none');
  const scalingLines = a
    ? [
        `autoscaling    now: blue ${range(a.current.blue)}, green ${range(a.current.green)} (min..max)`,
        `                 ${plan.liveColour} (live) floor held at ${range(a.liveFloor)} for the whole deploy (no scale-in while traffic leaves it)`,
        `                 ${plan.idleColour} floor ${range(a.bakeFloor)} before it scales up (no scale-in during bakes)`,
        `                 on success: ${plan.idleColour} ${range(a.liveRange)}; ${plan.liveColour} ${range(a.idleRange)} before it is scaled to 0`,
        `                 on failure: ${plan.idleColour} ${range(a.idleRange)} before it is scaled to 0`,
      ]
    : [];
  return [
    `colours        live ${plan.liveColour} (100%) → deploy to idle ${plan.idleColour}`,
    `image          ${plan.imageTag} = ${plan.imageDigest}`,
    ...baseLines,
    `                 container ${td.container}:`,
    `                 - image ${td.imageFrom ?? '(none)'}`,
    `                 + image ${td.imageTo}`,
    `                 every other field copied unchanged from the base; ${plan.idleColour} currently runs ${td.idleCurrent}`,
    `tasks          ${plan.desiredCount} on ${plan.idleColour} (the live desired count)`,
    ...scalingLines,
    ...smokeLines(plan),
    `weights        ${plan.strategy}: ${schedule}, then final bake ${plan.finalBakeSeconds}s`,
    ...(plan.hold
      ? [
          `hold           after step ${plan.hold.afterStep + 1} (${plan.hold.percent}% on ${plan.idleColour}): exit 4 with the lock kept for ${plan.hold.timeoutSeconds}s — switchyard continue / abort (an expired hold is aborted)`,
        ]
      : []),
    `afterwards     ${plan.liveColour} kept running ${plan.terminationWaitSeconds}s, then scaled to 0 (task definitions are never deregistered)`,
    `gates          ECS deployment COMPLETED within ${g.deploymentTimeoutSeconds}s; all ${plan.idleColour} targets healthy (≥ ${plan.desiredCount}) within ${g.healthyTimeoutSeconds}s`,
    `               during bakes, every ${(g.gateCheckEveryMs / 1000).toFixed(1)}s: target health, 5xx ≤ ${(g.max5xxRatio * 100).toFixed(1)}% of ≥ ${g.min5xxSampleRequests} requests over the last ${g.fiveXxWindowSeconds / 60} whole minutes in CloudWatch (published 1–2 min late), alarms of ${plan.idleColour} + shared: ${g.alarms.length ? g.alarms.join(', ') : '(none configured)'}`,
    ...responseGateLines(plan),
    ...(g.alarmsNotGating.length
      ? [
          `               not gating (${plan.liveColour}'s own, the colour being replaced): ${g.alarmsNotGating.join(', ')}`,
        ]
      : []),
    ...(g.alarmsPreFiring.length
      ? [
          `               already in ALARM: ${g.alarmsPreFiring.join(', ')} — each fails a bake only if it goes to ALARM again after the start`,
        ]
      : []),
    ...trafficLines(plan),
    `on failure     one write: 100% back on ${plan.liveColour} within one poll interval (${g.pollIntervalSeconds}s) of the gate seeing it (after scaling ${plan.liveColour} back to ${plan.desiredCount} healthy tasks if it lost any), retried until ${plan.restore.deadlineSeconds}s, read back; ${plan.idleColour} scaled to 0 ${plan.restore.settleSeconds}s after the restore is confirmed${plan.kind === 'rollback' ? `; once traffic moved, a rollback never goes back to ${plan.liveColour} (the release it moves away from): traffic stays on ${plan.idleColour}` : ''}`,
    `duration       at least ${plan.minimumSeconds}s plus ECS start-up`,
    ...(plan.warnings ?? []).map((w, i) => `${i === 0 ? 'warning        ' : '               '}${w}`),
  ];
}

/** The smoke test part of a plan (none: no line). */
function smokeLines(plan: DeployPlan): string[] {
  const s = plan.smokeTest;
  if (!s) return [];
  return [
    `smoke test     before any production traffic, through the test listener ${s.url}${s.host ? ` (Host ${s.host})` : ''}, ${s.settleSeconds}s after it points at ${plan.idleColour}:`,
    ...s.checks.map((c) => `                 ${describeCheck(c)}`),
    ...(s.command
      ? [
          `                 then: ${s.command.join(' ')} (SWITCHYARD_TEST_URL, SWITCHYARD_COLOUR in its environment; ${s.commandTimeoutSeconds}s)`,
        ]
      : []),
    `                 on failure: no production traffic moved; ${plan.idleColour} scaled back to 0; exit 3`,
  ];
}

/** The p99 / connection-error gates and the traffic they (and the 5xx gate) will see. */
function responseGateLines(plan: DeployPlan): string[] {
  const r = plan.responseGates;
  const out: string[] = [];
  if (r) {
    const p99 =
      r.maxP99LatencySeconds > 0
        ? `p99 response time ≤ max(${seconds(r.maxP99LatencySeconds)}, ${plan.liveColour}'s p99 before the first shift × ${r.p99BaselineFactor})${r.p99LimitNowSeconds !== undefined ? ` — ${seconds(r.p99LimitNowSeconds)} with its p99 now` : ''} (judged from ${r.minLatencySampleRequests} requests)`
        : 'p99 latency gate off (maxP99LatencySeconds 0)';
    const conn =
      r.maxConnectionErrorRatio < 1
        ? `target connection errors ≤ ${(r.maxConnectionErrorRatio * 100).toFixed(1)}% of attempts`
        : 'connection-error gate off';
    out.push(
      `               ${p99}; ${conn} — same window; ELB-generated 502/504 are per load balancer only (shared alarm)`,
    );
  }
  return out;
}

/** The live colour's traffic before the deploy, as the plan read it. */
function trafficLines(plan: DeployPlan): string[] {
  const t = plan.traffic;
  return t
    ? [
        `traffic        ${describeTraffic(t)}${t.quiet ? ' — TOO QUIET for the 5xx gate (see the warning)' : ''}`,
      ]
    : [];
}

/** The summary row of a quiet (or unknown-traffic) service, or undefined. */
function trafficRow(plan: DeployPlan): [string, string | undefined] {
  const t = plan.traffic;
  if (!t) return ['Traffic', undefined];
  if (t.perMinute === undefined)
    return ['Traffic', `⚠️ unknown before the deploy: whether the 5xx gate could judge it is unknown`];
  if (t.quiet)
    return [
      'Traffic',
      `⚠️ too quiet to judge: ${describeTraffic(t)}; the 5xx gate needs ≥ ${Math.ceil(t.neededPerMinute)}/min — gated by target health and alarms only`,
    ];
  return ['Traffic', undefined];
}

function table(rows: [string, string | undefined][]): string {
  return `| | |\n|---|---|\n${rows
    .filter((r): r is [string, string] => r[1] !== undefined)
    .map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`)
    .join('\n')}\n`;
}

/** What happened to the failed colour, for the headline (`, green scaled to 0` or why it was not). */
function rolledBackTail(o: Extract<DeployOutcome, { status: 'rolled-back' }>): string {
  if (o.failedColourScaledDown) return `, ${o.failedColour} scaled to 0`;
  if (o.restoredColour === o.failedColour)
    return `; ${o.plan.liveColour} (the release rolled back from) left running with 0%`;
  return `; ${o.failedColour} left running (see the warnings)`;
}

export function exitCodeOf(outcome: DeployOutcome): number {
  switch (outcome.status) {
    case 'deployed':
    case 'dry-run':
    case 'up-to-date':
      return ExitCode.Ok;
    case 'refused':
      return ExitCode.Refused;
    case 'rolled-back':
      return ExitCode.RolledBack;
    case 'held':
      return ExitCode.Held;
  }
}

/** The CommandResult (headline, reason, JSON data, job summary) of a deploy-like outcome. */
export function outcomeResult(
  command: string,
  where: string,
  outcome: DeployOutcome,
  suffix = '',
): CommandResult {
  const exitCode = exitCodeOf(outcome);
  switch (outcome.status) {
    case 'deployed': {
      const p = outcome.plan;
      return {
        command,
        exitCode,
        status: 'deployed',
        headline: `deployed ${p.imageTag} to ${where} on ${p.idleColour} (release ${outcome.release.id})${suffix}`,
        data: outcome,
        summaryMarkdown: table([
          ['Service', where],
          ['Image', `\`${p.imageTag}\` = \`${short(p.image)}\``],
          ['Colours', `${p.liveColour} → **${p.idleColour}**`],
          ['Strategy', `${p.strategy}: ${p.steps.map((s) => `${s.percent}%`).join(' → ')}`],
          trafficRow(p),
          [
            'Task definition',
            outcome.release.taskDefinitionArn ? `\`${outcome.release.taskDefinitionArn}\`` : undefined,
          ],
          ['Release', `\`${outcome.release.id}\``],
          [
            'Old colour',
            outcome.oldColourScaledDown
              ? `${p.liveColour} scaled to 0`
              : `${p.liveColour} left running (interrupted during the termination wait)`,
          ],
        ]),
      };
    }
    case 'rolled-back': {
      const p = outcome.plan;
      return {
        command,
        exitCode,
        status: 'rolled-back',
        headline: `rolled back ${p.imageTag} on ${where}: 100% on ${outcome.restoredColour}${outcome.gate === 'smoke' ? ' (smoke test failed: no production traffic moved)' : ''}${rolledBackTail(outcome)}${suffix}`,
        reason: outcome.reason,
        data: outcome,
        summaryMarkdown: table([
          ['Service', where],
          ['Image', `\`${p.imageTag}\` = \`${short(p.image)}\``],
          ['Failed gate', outcome.gate],
          [
            'Smoke test',
            outcome.release.smokeTest ? describeSmokeResult(outcome.release.smokeTest) : undefined,
          ],
          trafficRow(p),
          ['Reason', outcome.reason],
          [
            'Traffic',
            outcome.restoredColour === p.liveColour
              ? `100% on ${outcome.restoredColour} (last known good)`
              : `100% on ${outcome.restoredColour} (the rollback target; never back on ${p.liveColour}, the release rolled back from)`,
          ],
          ['Failed colour', rolledBackTail(outcome).replace(/^, /, '') || undefined],
          ['Release', `\`${outcome.release.id}\` (recorded as rolled back)`],
        ]),
      };
    }
    case 'refused':
      return {
        command,
        exitCode,
        status: 'refused',
        headline: `refused (${outcome.code}); nothing was changed${suffix}`,
        reason: outcome.reason,
        data: outcome,
        summaryMarkdown: table([
          ['Service', where],
          ['Refused', outcome.code],
          ['Reason', outcome.reason],
          ['Changes', 'none'],
        ]),
      };
    case 'up-to-date':
      return {
        command,
        exitCode,
        status: 'up-to-date',
        headline: `nothing to do: ${where} already serves ${outcome.imageTag} (${short(`x@${outcome.imageDigest}`).slice(2)}) on ${outcome.liveColour}, ${outcome.healthyTargets}/${outcome.desiredCount} healthy${suffix}`,
        data: outcome,
        summaryMarkdown: table([
          ['Service', where],
          ['Image', `\`${outcome.imageTag}\` = \`${outcome.imageDigest}\``],
          ['Result', `already live on ${outcome.liveColour} and healthy: nothing to do`],
          ['Changes', 'none'],
        ]),
      };
    case 'held': {
      const p = outcome.plan;
      const [env, service] = where.split('/');
      const args = `--env ${env} --service ${service}`;
      const until = new Date(outcome.until).toISOString().replace('.000Z', 'Z');
      return {
        command,
        exitCode,
        status: 'held',
        releaseId: outcome.release.id,
        headline: `held ${p.imageTag} on ${where} for approval: ${outcome.weights[p.idleColour]}% on ${p.idleColour} (release ${outcome.release.id}) until ${until}${suffix}`,
        reason: `continue with \`switchyard continue ${args} --release ${outcome.release.id}\`, or restore with \`switchyard abort ${args} --reason "…"\`; an expired hold is aborted`,
        data: outcome,
        summaryMarkdown: table([
          ['Service', where],
          ['Image', `\`${p.imageTag}\` = \`${short(p.image)}\``],
          [
            'Traffic',
            `${outcome.weights[p.idleColour]}% on ${p.idleColour} (canary), ${outcome.weights[p.liveColour]}% on ${p.liveColour}`,
          ],
          ['Held until', `${until} (then aborted: traffic back on ${p.liveColour})`],
          ['Next', `\`switchyard continue ${args}\` or \`switchyard abort ${args} --reason "…"\``],
          ['Release', `\`${outcome.release.id}\` (in progress, step held)`],
        ]),
      };
    }
    case 'dry-run':
      return {
        command,
        exitCode,
        status: 'dry-run',
        headline: `dry run: nothing was changed${suffix}`,
        data: outcome,
        summaryMarkdown: `\`\`\`\n${planLines(outcome.plan).join('\n')}\n\`\`\`\n`,
      };
  }
}
