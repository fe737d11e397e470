/** `switchyard deploy`: blue/green deploy of an image tag (or digest) to one service. */
import { type DeployRequest, deploy } from '../../core/deploy';
import {
  COMMON_HELP,
  forceUnlockAndReason,
  optionalHoldAfter,
  optionalStrategy,
  required,
  requiredName,
} from '../args';
import { afterCommand } from '../after-release';
import { auditFromEnv, type Command } from '../context';
import { outcomeResult, planLines } from '../present';
import { killedResult, openRuntime, ownerFromEnv } from '../runtime';
import { execute, parseCommand } from './common';

export const DEPLOY_HELP = `Usage: switchyard deploy --env ENV --service SERVICE --image-tag TAG [options]

Blue/green deploy: registers a task-definition revision pinned to the tag's digest on the idle colour,
waits for its ECS deployment and healthy targets, runs the service's smoke test through the test
listener (before any production traffic), shifts ALB weights by strategy while watching target health,
the 5xx share, p99 latency, connection errors and CloudWatch alarms, and on any failed gate or
SIGINT/SIGTERM puts 100% back on the last known good colour in one write.

Options:
  --env ENV              environment (dev, staging, prod, …)
  --service SERVICE      service name as in environments/<env>.yaml
  --image-tag TAG        immutable image tag (a version or git SHA; "latest" and other moving tags
                         are refused), or a digest sha256:… to deploy exactly that image
  --strategy S           all-at-once | canary | linear (default: the service's deploy.strategy)
  --hold-after canary|none
                         hold for approval after the canary step's bake (default: the service's
                         holdAfter): exit 4 with the canary serving and the lock kept until the hold
                         expires; then \`switchyard continue\` or \`switchyard abort\`
  --dry-run              print the plan (colours, task-definition diff, weight schedule, gates) and
                         change nothing
  --force-unlock         take over a lock held by a dead deployer (needs --reason; recorded)
  --reason TEXT          why (recorded with the release; required with --force-unlock)
  --commit SHA           commit to record (default: $GITHUB_SHA)

${COMMON_HELP}

Exit codes: 0 deployed (or dry run), 1 internal error (traffic state unknown: run
            switchyard status), 2 refused (nothing changed: bad input, lock held, dead release…),
            3 rolled back (traffic is on the last known good colour), 4 held for approval.

Examples:
  switchyard deploy --env dev --service api --image-tag v1.1.0 --simulate
  switchyard deploy --env dev --service api --image-tag v1.2.0 --simulate --fault 5xx-spike
  switchyard deploy --env prod --service api --image-tag 3f2c1ab --strategy linear --dry-run`;

const OPTIONS = {
  env: { type: 'string' },
  service: { type: 'string' },
  'image-tag': { type: 'string' },
  strategy: { type: 'string' },
  'hold-after': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'force-unlock': { type: 'boolean' },
  reason: { type: 'string' },
  commit: { type: 'string' },
} as const;

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'blue/green deploy an image tag to a service, with health gates and automatic rollback',
  help: DEPLOY_HELP,
  async run(args, ctx) {
    const parsed = parseCommand(ctx, 'deploy', args, OPTIONS, DEPLOY_HELP);
    if (typeof parsed === 'number') return parsed;
    const { common, values } = parsed;
    return execute(ctx, 'deploy', common.output, async (renderer, scope) => {
      const environment = requiredName('deploy', values, 'env', 'the environment to deploy to');
      const service = requiredName('deploy', values, 'service', 'the service to deploy');
      const tag = required('deploy', values, 'image-tag', 'an immutable tag or sha256: digest');
      const strategy = optionalStrategy('deploy', values);
      const holdAfter = optionalHoldAfter('deploy', values);
      const { forceUnlock, reason } = forceUnlockAndReason('deploy', values);
      scope.target(environment, service);
      const where = `${environment}/${service}`;
      const runtime = await openRuntime(ctx, common, renderer);
      try {
        const { topology, deps } = await runtime.open(environment, service);
        scope.target(environment, service, deps);
        const pinned = /^sha256:/.test(tag);
        const owner = ownerFromEnv(ctx.env, 'deploy');
        const commitSha = (values.commit as string | undefined) ?? ctx.env.GITHUB_SHA;
        const audit = auditFromEnv(ctx.env);
        const request: DeployRequest = {
          topology,
          imageTag: tag,
          ...(pinned ? { imageDigest: tag } : {}),
          ...(strategy ? { strategy } : {}),
          ...(holdAfter ? { holdAfter } : {}),
          dryRun: values['dry-run'] === true,
          owner,
          ...(commitSha ? { commitSha } : {}),
          ...(owner.runUrl ? { runUrl: owner.runUrl } : {}),
          kind: 'deploy',
          ...(reason ? { reason } : {}),
          ...(audit ? { audit } : {}),
        };
        const guarded = await runtime.guard(
          deploy(deps, request, forceUnlock && reason ? { forceUnlock: { reason } } : {}),
        );
        if (guarded.killed) return killedResult('deploy', where, runtime);
        const outcome = guarded.value;
        await afterCommand(deps, topology, outcome); // source commit + retention marks (ops/retention.ts)
        if (outcome.status === 'dry-run')
          renderer.report(
            `Plan for ${where} (dry run — nothing will change)`,
            planLines(outcome.plan),
            outcome.plan,
          );
        const suffix = runtime.simulated ? ' [simulated]' : '';
        if (runtime.sim) {
          const w = runtime.sim.world.trafficWeights(topology);
          renderer.report(
            'Simulation',
            [
              `traffic now: blue ${w.blue}% / green ${w.green}% (virtual time ${new Date(runtime.sim.clock.now()).toISOString()})`,
            ],
            {
              weights: w,
            },
          );
        }
        return outcomeResult('deploy', where, outcome, suffix);
      } finally {
        await runtime.close();
      }
    });
  },
};
