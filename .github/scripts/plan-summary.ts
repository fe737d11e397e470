/**
 * Turns `terraform show -json tfplan` into the Markdown summary that CI posts as a sticky pull-request
 * comment (one per environment) and that infra.yml writes to the job summary before a reviewer approves
 * the apply.
 *
 * Why Terraform and not the cdktf CLI: `cdktf diff` / `cdktf deploy` are thin wrappers that synthesize
 * `cdktf.out/stacks/<stack>/cdk.tf.json` and then run `terraform init` + `terraform plan` / `apply` in
 * that directory. The workflows do exactly that with `npm run synth` and a pinned Terraform, which keeps
 * the heavy cdktf-cli out of CI and lets us save the plan file and apply *that* file.
 *
 * Only addresses, resource types and actions are printed: the plan JSON holds attribute values, some of
 * them sensitive, and none of them ever reaches the summary.
 *
 * Usage (what the composite action .github/actions/terraform-plan runs):
 *   node -r ts-node/register/transpile-only .github/scripts/plan-summary.ts \
 *     --environment dev --plan-json plan.json --out summary.md \
 *     [--github-output "$GITHUB_OUTPUT"] [--run-url URL] [--commit SHA] [--fail-on-stateful-destroy]
 *   ... --environment dev --status failed --out summary.md [--run-url URL]   (plan itself failed)
 *
 *     [--fail-on-unsafe-traffic-change]
 *
 * Exit codes: 0 summary written; 1 bad input (one message naming the problem); 3 the plan destroys or
 * replaces a stateful resource and --fail-on-stateful-destroy was given; 4 the traffic guard
 * (./traffic-guard.ts) refuses the plan and --fail-on-unsafe-traffic-change was given (the summary is
 * still written in both cases).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkTraffic, type TrafficCheck } from './traffic-guard';

/**
 * Resource types whose destruction loses data or breaks what depends on them (encrypted data, images,
 * state). A destroy or replace of one of these is called out at the top of the summary and, in infra.yml,
 * blocks the apply unless a human dispatches the workflow with `allow-stateful-destroy`.
 */
export const STATEFUL_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'aws_db_instance',
  'aws_rds_cluster',
  'aws_rds_cluster_instance',
  'aws_elasticache_replication_group',
  'aws_elasticache_cluster',
  'aws_dynamodb_table',
  'aws_s3_bucket',
  'aws_kms_key',
  'aws_ecr_repository',
  'aws_efs_file_system',
  'aws_secretsmanager_secret',
]);

/** GitHub rejects comment bodies over 65 536 characters; stay well below. */
export const MAX_BODY_CHARS = 60_000;

export type ChangeAction =
  'create' | 'update' | 'replace' | 'delete' | 'forget' | 'import' | 'read' | 'no-op';

export interface ResourceChange {
  readonly address: string;
  readonly type: string;
  readonly mode: 'managed' | 'data';
  readonly action: ChangeAction;
  /** Terraform's `action_reason`, e.g. `replace_because_cannot_update`. */
  readonly reason?: string;
  /** True when the change also imports an existing object (Terraform >= 1.5 import blocks). */
  readonly importing: boolean;
  readonly stateful: boolean;
}

export interface PlanCounts {
  /** Terraform's "to add": creates + replaces. */
  readonly add: number;
  readonly change: number;
  /** Terraform's "to destroy": deletes + replaces. */
  readonly destroy: number;
  readonly replace: number;
  readonly import: number;
  readonly forget: number;
}

export interface PlanSummary {
  readonly terraformVersion?: string;
  readonly counts: PlanCounts;
  /** Every managed resource that changes (no-ops and data reads left out), in plan order. */
  readonly changes: readonly ResourceChange[];
  /** The subset of `changes` that deletes or replaces a stateful resource. */
  readonly statefulDestroys: readonly ResourceChange[];
  readonly hasChanges: boolean;
  /** What the traffic guard found: refusals, and rule re-creations that are harmless now. */
  readonly traffic: TrafficCheck;
}

/** Thrown for input that is not a Terraform JSON plan; the message names the field and the fix. */
export class PlanInputError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Maps Terraform's action list (`["delete","create"]`, `["update"]`, …) to one action. */
export function classifyActions(actions: readonly string[], where: string): ChangeAction {
  const has = (a: string): boolean => actions.includes(a);
  if (actions.length === 0) throw new PlanInputError(`${where}: change.actions is empty`);
  const known = ['no-op', 'create', 'read', 'update', 'delete', 'forget'];
  const unknown = actions.filter((a) => !known.includes(a));
  if (unknown.length > 0) {
    throw new PlanInputError(
      `${where}: unknown action(s) ${unknown.join(', ')} — is this plan from a newer Terraform than 1.14?`,
    );
  }
  if (has('delete') && has('create')) return 'replace';
  if (has('delete')) return 'delete';
  if (has('forget')) return 'forget';
  if (has('create')) return 'create';
  if (has('update')) return 'update';
  if (has('read')) return 'read';
  return 'no-op';
}

/** Validates the shape of `terraform show -json` output and summarises it. */
export function summarisePlan(plan: unknown): PlanSummary {
  if (!isRecord(plan))
    throw new PlanInputError('plan: expected a JSON object from `terraform show -json tfplan`');
  if (typeof plan['format_version'] !== 'string') {
    throw new PlanInputError(
      'plan.format_version: missing — this is not `terraform show -json <planfile>` output',
    );
  }
  if (plan['errored'] === true) {
    throw new PlanInputError('plan.errored: Terraform reports the plan errored; fix the plan errors first');
  }
  const raw = plan['resource_changes'] ?? [];
  if (!Array.isArray(raw)) throw new PlanInputError('plan.resource_changes: expected an array');

  const changes: ResourceChange[] = [];
  raw.forEach((entry: unknown, i: number) => {
    const where = `plan.resource_changes[${i}]`;
    if (!isRecord(entry)) throw new PlanInputError(`${where}: expected an object`);
    const { address, type, mode, change } = entry;
    if (typeof address !== 'string' || address === '') throw new PlanInputError(`${where}.address: missing`);
    if (typeof type !== 'string' || type === '') throw new PlanInputError(`${where}.type: missing`);
    if (mode !== 'managed' && mode !== 'data') {
      throw new PlanInputError(`${where}.mode: expected "managed" or "data" (got ${JSON.stringify(mode)})`);
    }
    if (!isRecord(change) || !Array.isArray(change['actions'])) {
      throw new PlanInputError(`${where}.change.actions: expected an array of strings`);
    }
    const actions = change['actions'].map(String);
    let action = classifyActions(actions, `${where} (${address})`);
    const importing = isRecord(change['importing']);
    if (mode === 'data' || action === 'read') return;
    if (action === 'no-op') {
      if (!importing) return;
      action = 'import';
    }
    const reason = typeof entry['action_reason'] === 'string' ? entry['action_reason'] : undefined;
    changes.push({
      address,
      type,
      mode,
      action,
      reason,
      importing,
      stateful: STATEFUL_RESOURCE_TYPES.has(type),
    });
  });

  const count = (a: ChangeAction): number => changes.filter((c) => c.action === a).length;
  const replace = count('replace');
  const counts: PlanCounts = {
    add: count('create') + replace,
    change: count('update'),
    destroy: count('delete') + replace,
    replace,
    import: changes.filter((c) => c.importing).length,
    forget: count('forget'),
  };
  const statefulDestroys = changes.filter(
    (c) => c.stateful && (c.action === 'delete' || c.action === 'replace'),
  );
  const terraformVersion =
    typeof plan['terraform_version'] === 'string' ? plan['terraform_version'] : undefined;
  const traffic = checkTraffic(plan);
  return { terraformVersion, counts, changes, statefulDestroys, hasChanges: changes.length > 0, traffic };
}

/** The hidden first line that lets the PR-comment step find and update this environment's comment. */
export function planMarker(environment: string): string {
  return `<!-- switchyard-plan:${environment} -->`;
}

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

const ICON: Record<ChangeAction, string> = {
  create: '🟢 create',
  update: '🟡 update',
  replace: '🔴 replace',
  delete: '🔴 delete',
  forget: '⚪ forget',
  import: '🔵 import',
  read: 'read',
  'no-op': 'no-op',
};

/** Makes a resource address safe inside a Markdown table cell and inline code. */
function cell(address: string): string {
  return `\`${address.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

export interface RenderOptions {
  readonly environment: string;
  readonly runUrl?: string;
  readonly commit?: string;
  /** @default MAX_BODY_CHARS */
  readonly maxChars?: number;
}

function footer(opts: RenderOptions, terraformVersion?: string): string {
  const parts: string[] = [];
  if (opts.commit) parts.push(`commit \`${opts.commit.slice(0, 12)}\``);
  if (terraformVersion) parts.push(`Terraform ${terraformVersion}`);
  if (opts.runUrl) parts.push(`[workflow run](${opts.runUrl})`);
  return parts.length > 0 ? `\n<sub>${parts.join(' · ')}</sub>\n` : '';
}

function checkEnvironment(environment: string): void {
  if (!ENVIRONMENT_NAME.test(environment)) {
    throw new PlanInputError(
      `--environment: must be a lower-case environment name like dev (got ${JSON.stringify(environment)})`,
    );
  }
}

/** Markdown for one environment: marker, loud stateful-destroy callout, counts, change table. */
export function renderSummary(summary: PlanSummary, opts: RenderOptions): string {
  checkEnvironment(opts.environment);
  const maxChars = opts.maxChars ?? MAX_BODY_CHARS;
  const { counts } = summary;
  const head: string[] = [planMarker(opts.environment), `### Terraform plan — \`${opts.environment}\``, ''];

  if (summary.statefulDestroys.length > 0) {
    const n = summary.statefulDestroys.length;
    head.push(
      '> [!CAUTION]',
      `> **This plan destroys or replaces ${n} stateful resource${n === 1 ? '' : 's'}. Data in ${n === 1 ? 'it' : 'them'} is lost unless it is backed up.**`,
      '>',
      ...summary.statefulDestroys.map(
        (c) => `> - **${c.action.toUpperCase()}** ${cell(c.address)}${c.reason ? ` (${c.reason})` : ''}`,
      ),
      '>',
      '> infra.yml refuses to apply this unless it is dispatched by hand with `allow-stateful-destroy`.',
      '',
    );
  }

  const { refusals, allowedResets } = summary.traffic;
  if (refusals.length > 0) {
    head.push(
      '> [!CAUTION]',
      '> **The traffic guard refuses this plan: applied now, it would send production traffic to a colour with no tasks, or fail half-way.**',
      '>',
      ...refusals.map((r) => `> - ${cell(r.address)}: ${r.reason.replace(/\n/g, ' ')}`),
      '>',
      '> infra.yml does not apply it; there is no override — do what the line says, then plan again.',
      '',
    );
  }
  if (allowedResets.length > 0) {
    head.push(
      '> [!NOTE]',
      ...allowedResets.map(
        (r) =>
          `> - ${cell(r.address)}: the production rule of ${r.service} is re-created with 100 % on ${r.liveColour}, the colour serving now. The apply job checks the weights again right before applying.`,
      ),
      '',
    );
  }

  if (!summary.hasChanges) {
    head.push('✅ **No changes.** The infrastructure matches the configuration.');
    return `${head.join('\n')}\n${footer(opts, summary.terraformVersion)}`;
  }

  const extra: string[] = [];
  if (counts.replace > 0) extra.push(`${counts.replace} of them replaced`);
  if (counts.import > 0) extra.push(`${counts.import} to import`);
  if (counts.forget > 0) extra.push(`${counts.forget} to forget`);
  head.push(
    `**Plan: ${counts.add} to add, ${counts.change} to change, ${counts.destroy} to destroy.**${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`,
    '',
    `<details${summary.statefulDestroys.length > 0 ? ' open' : ''}><summary>${summary.changes.length} resource change${summary.changes.length === 1 ? '' : 's'}</summary>`,
    '',
    '| Action | Resource |',
    '| --- | --- |',
  );

  const tail = `\n</details>\n${footer(opts, summary.terraformVersion)}`;
  let body = head.join('\n');
  let shown = 0;
  for (const c of summary.changes) {
    const row = `\n| ${ICON[c.action]}${c.importing && c.action !== 'import' ? ' + import' : ''} | ${cell(c.address)} |`;
    const reserve = 200; // room for the "… more" line and the tail
    if (body.length + row.length + tail.length + reserve > maxChars) break;
    body += row;
    shown += 1;
  }
  if (shown < summary.changes.length) {
    body += `\n\n… ${summary.changes.length - shown} more change(s) not shown (comment size limit); the full plan is in the workflow run log.`;
  }
  return body + tail;
}

/** Markdown for an environment whose `terraform plan` failed (no plan file to summarise). */
export function renderFailure(opts: RenderOptions): string {
  checkEnvironment(opts.environment);
  return [
    planMarker(opts.environment),
    `### Terraform plan — \`${opts.environment}\``,
    '',
    '> [!WARNING]',
    '> **`terraform plan` failed.** The error is in the plan step of the workflow run log.',
    footer(opts),
  ].join('\n');
}

export interface CliResult {
  readonly exitCode: number;
  readonly summary?: PlanSummary;
}

/** The command-line entry point, separated from process state so tests can drive it. */
export function runCli(argv: readonly string[], log: (line: string) => void = console.error): CliResult {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        environment: { type: 'string' },
        'plan-json': { type: 'string' },
        out: { type: 'string' },
        'github-output': { type: 'string' },
        'run-url': { type: 'string' },
        commit: { type: 'string' },
        status: { type: 'string', default: 'planned' },
        'fail-on-stateful-destroy': { type: 'boolean', default: false },
        'fail-on-unsafe-traffic-change': { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    log(`::error title=plan-summary::${(err as Error).message}`);
    return { exitCode: 1 };
  }
  const environment = values['environment'];
  const out = values['out'];
  const status = values['status'];
  try {
    if (typeof environment !== 'string')
      throw new PlanInputError('--environment: required (e.g. --environment dev)');
    if (typeof out !== 'string') throw new PlanInputError('--out: required (file to write the Markdown to)');
    const opts: RenderOptions = {
      environment,
      runUrl: values['run-url'] as string | undefined,
      commit: values['commit'] as string | undefined,
    };
    if (status === 'failed') {
      writeFileSync(out, renderFailure(opts));
      return { exitCode: 0 };
    }
    if (status !== 'planned') throw new PlanInputError(`--status: must be planned or failed (got ${status})`);
    const planPath = values['plan-json'];
    if (typeof planPath !== 'string')
      throw new PlanInputError('--plan-json: required (output of terraform show -json)');
    let text: string;
    try {
      text = readFileSync(planPath, 'utf8');
    } catch (err) {
      throw new PlanInputError(
        `--plan-json: cannot read ${planPath}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PlanInputError(
        `--plan-json: ${planPath} is not JSON (run terraform show -json tfplan > file)`,
      );
    }
    const summary = summarisePlan(parsed);
    writeFileSync(out, renderSummary(summary, opts));
    const ghOut = values['github-output'];
    if (typeof ghOut === 'string') {
      appendFileSync(
        ghOut,
        [
          `has-changes=${summary.hasChanges}`,
          `stateful-destroys=${summary.statefulDestroys.length}`,
          `add=${summary.counts.add}`,
          `change=${summary.counts.change}`,
          `destroy=${summary.counts.destroy}`,
          `traffic-refusals=${summary.traffic.refusals.length}`,
          // `<rule ARN>@<target group ARN>` pairs (ARNs hold no spaces or @): the apply job checks each rule
          // still forwards only to that group before applying.
          `traffic-recheck=${summary.traffic.allowedResets.map((r) => `${r.ruleArn}@${r.targetGroupArn}`).join(' ')}`,
          '',
        ].join('\n'),
      );
    }
    // Both checks are reported; the traffic guard's refusal (no override) decides the exit code first.
    let exitCode = 0;
    if (summary.statefulDestroys.length > 0) {
      const list = summary.statefulDestroys.map((c) => `${c.action} ${c.address}`).join(', ');
      if (values['fail-on-stateful-destroy'] === true) {
        log(
          `::error title=Stateful resources would be destroyed (${environment})::${list}. Not applying. If this is intended, run the infra workflow by hand with allow-stateful-destroy=true.`,
        );
        exitCode = 3;
      } else {
        log(`::warning title=Stateful resources would be destroyed (${environment})::${list}`);
      }
    }
    const { refusals } = summary.traffic;
    if (refusals.length > 0) {
      const title = `Traffic guard refuses the plan (${environment})`;
      const lines = refusals.map((r) => `${r.address}: ${r.reason}`).join(' | ');
      if (values['fail-on-unsafe-traffic-change'] === true) {
        log(`::error title=${title}::${lines}`);
        exitCode = 4;
      } else {
        log(`::warning title=${title}::${lines}`);
      }
    }
    return { exitCode, summary };
  } catch (err) {
    if (err instanceof PlanInputError) {
      log(`::error title=plan-summary::${err.message}`);
      return { exitCode: 1 };
    }
    throw err;
  }
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2)).exitCode;
}
