/** `switchyard status`: colours, weights, lock, last releases and warnings (incl. a killed deployer) per service. */
import { readdirSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ExitCode } from '../../exit-codes';
import {
  DEFAULT_STATUS_RELEASES,
  formatStatusText,
  type ServiceStatus,
  type StatusReport,
  serviceStatus,
} from '../../ops/status';
import { COMMON_HELP, type CommonFlags, requiredName } from '../args';
import { type Command, UsageError } from '../context';
import type { CommandResult } from '../output';
import { EXAMPLES_DIR, openRuntime, type Runtime, readTopologyFile, type ServiceHandle } from '../runtime';
import { execute, parseCommand } from './common';

export const STATUS_HELP = `Usage: switchyard status --env ENV [--service SERVICE] [--releases N] [options]

Read-only. Per service: the live colour and weights; for each colour its ECS service, task
definition, image digest (and the release tag), running/desired tasks, healthy targets and its
latest ECS service events; the alarms (OK / in ALARM); the
deployment lock (holder, CI run, lease left or EXPIRED); the last known good colour; the last N
releases (newest first, with outcome, step and reason); and warnings:
  killed-deployer    a release is in-progress but nobody holds its lock: its deployer died.
                     Shown: the step it died at, the weights it intended, the last known good
                     colour, and the command that recovers (switchyard rollback … --reason "…")
  weights-drift      traffic is not where the last release left it (rule edited by hand)
  revision-drift     a colour runs another task definition than the last release recorded
  split-weights      traffic is split between blue and green (an interrupted deploy)
  stale-lock         an expired lock remains (the next operation takes it over)
  live-unhealthy     the live colour has fewer healthy targets than desired
  alarm-firing       an alarm is in ALARM; says whether the next deploy would be refused
                     (a shared or next-colour alarm) or the live release is the incident
                     (its own alarm: roll back, or deploy a fix)
  alarm-missing      the topology names an alarm CloudWatch does not have (deploys refused)

Without --service: every service of the environment — from SSM (parameters under
/switchyard/<env>/services/), the one in --topology FILE, or with --simulate the simulated services
of that environment (else the bundled examples).

Options:
  --env ENV              environment
  --service SERVICE      one service (default: all of the environment)
  --releases N           releases to list per service (default ${DEFAULT_STATUS_RELEASES})

${COMMON_HELP}

Exit codes: 0 status shown (warnings do not change it), 1 the live state of no service could be
            read, 2 bad input (unknown env/service).

Examples:
  switchyard status --env prod
  switchyard status --env prod --service api --output json
  switchyard status --env dev --simulate`;

const OPTIONS = {
  env: { type: 'string' },
  service: { type: 'string' },
  releases: { type: 'string' },
} as const;

/** Services of `environment` to show: explicit, from --topology, from the simulation, from SSM. */
export async function servicesOf(
  runtime: Runtime,
  common: CommonFlags,
  environment: string,
  service: string | undefined,
  cwd: string,
): Promise<ServiceHandle[]> {
  if (service || common.topology) {
    const name =
      service ??
      topologyService(
        isAbsolute(common.topology!) ? common.topology! : resolve(cwd, common.topology!),
        environment,
      );
    const h = await runtime.open(environment, name);
    return [h];
  }
  if (runtime.sim) {
    let names = runtime.sim.topologies.filter((t) => t.environment === environment).map((t) => t.service);
    if (names.length === 0) {
      names = readdirSync(EXAMPLES_DIR)
        .map((f) => new RegExp(`^topology\\.${environment}\\.([^.]+)\\.json$`).exec(f)?.[1])
        .filter((x): x is string => x !== undefined);
    }
    if (names.length === 0) {
      throw new UsageError(
        `switchyard status: no simulated service in environment "${environment}" and no example topology for it; pass --service and --topology FILE`,
      );
    }
    const out = [];
    for (const n of [...new Set(names)].sort()) out.push(await runtime.open(environment, n));
    return out;
  }
  const names = runtime.listServices ? await runtime.listServices(environment) : [];
  if (names.length === 0) {
    throw new UsageError(
      `switchyard status: no service is published under /switchyard/${environment}/services/ — unknown environment "${environment}" or not applied yet (check --env and --region), or pass --service with --topology FILE`,
    );
  }
  const out = [];
  for (const n of names) out.push(await runtime.open(environment, n));
  return out;
}

function topologyService(path: string, environment: string): string {
  // --topology without --service: the service is the one the file describes
  const t = readTopologyFile(path);
  if (t.environment !== environment) {
    throw new UsageError(
      `--topology ${path} describes ${t.environment}/${t.service}, not environment ${environment}`,
    );
  }
  return t.service;
}

/** `neverReached`: no AWS endpoint answered at all — unreadable services are a refusal (exit 2), not exit 1. */
function statusResult(report: StatusReport, neverReached = false): CommandResult {
  const warnings = report.services.reduce((n, s) => n + s.warnings.length, 0);
  const unreadable = report.services.filter((s) => s.error !== undefined).length;
  if (neverReached && unreadable > 0 && unreadable === report.services.length) {
    return {
      command: 'status',
      exitCode: ExitCode.Refused,
      status: 'refused',
      headline: `status of ${report.environment}: no AWS endpoint answered; nothing was read`,
      reason: `${report.services.map((s) => s.error).join('; ')}. Check the network (proxy, VPN, egress), the region (--region / AWS_REGION) and any AWS_ENDPOINT_URL* variable, then run the command again`,
      data: report,
    };
  }
  const dead = report.services.filter((s) => s.dead);
  const exitCode =
    unreadable > 0 && unreadable === report.services.length ? ExitCode.InternalError : ExitCode.Ok;
  const md = report.services
    .map((s: ServiceStatus) => {
      const rows = [
        `| Service | ${s.environment}/${s.service} |`,
        `| Live | ${s.live ? (s.live.liveColour ?? s.live.status) : 'unreadable'} (blue ${s.live?.weights.blue ?? '?'}% / green ${s.live?.weights.green ?? '?'}%) |`,
        `| Lock | ${s.lock ? s.lock.description : 'free'} |`,
        `| Last release | ${s.releases[0] ? `\`${s.releases[0].id}\` ${s.releases[0].imageTag} ${s.releases[0].outcome}` : 'none'} |`,
        ...s.warnings.map((w) => `| ⚠️ ${w.code} | ${w.message.replace(/\|/g, '\\|')} |`),
      ];
      return `| | |\n|---|---|\n${rows.join('\n')}\n`;
    })
    .join('\n');
  return {
    command: 'status',
    exitCode,
    status: exitCode === 0 ? 'ok' : 'failed',
    headline:
      `status of ${report.environment}: ${report.services.length} service(s), ${warnings} warning(s)` +
      (dead.length
        ? ` — killed deployer on ${dead.map((s) => s.service).join(', ')}: run the rollback shown above`
        : ''),
    ...(exitCode !== 0 ? { reason: report.services.map((s) => s.error).join('; ') } : {}),
    data: report,
    summaryMarkdown: md,
  };
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'show colours, weights, lock, last releases and drift / killed-deployer warnings',
  help: STATUS_HELP,
  async run(args, ctx) {
    const parsed = parseCommand(ctx, 'status', args, OPTIONS, STATUS_HELP);
    if (typeof parsed === 'number') return parsed;
    const { common, values } = parsed;
    return execute(ctx, 'status', common.output, async (renderer) => {
      const environment = requiredName('status', values, 'env', 'the environment');
      const service =
        values.service === undefined ? undefined : requiredName('status', values, 'service', 'the service');
      const releasesText = values.releases as string | undefined;
      const releases = releasesText === undefined ? DEFAULT_STATUS_RELEASES : Number(releasesText);
      if (!Number.isInteger(releases) || releases < 1 || releases > 100) {
        throw new UsageError(
          `switchyard status: --releases must be an integer from 1 to 100 (got "${releasesText}")`,
        );
      }
      if (common.faults.length > 0) {
        throw new UsageError('switchyard status: --fault has no effect on status (it only reads)');
      }
      const runtime = await openRuntime(ctx, common, renderer);
      try {
        const handles = await servicesOf(runtime, common, environment, service, ctx.cwd);
        const services = [];
        for (const h of handles) services.push(await serviceStatus(h.deps, h.topology, { releases }));
        const report: StatusReport = {
          environment,
          generatedAt: handles[0]?.deps.clock.now() ?? Date.now(),
          services,
        };
        for (const s of services) {
          const text = formatStatusText({ ...report, services: [s] })
            .trimEnd()
            .split('\n');
          renderer.report(
            text[0] + (runtime.simulated ? ' [simulated]' : ''),
            text.slice(1).map((l) => l.replace(/^ {2}/, '')),
            s,
          );
        }
        return statusResult(report, runtime.reachedAws?.() === false);
      } finally {
        await runtime.close();
      }
    });
  },
};
