/**
 * The rules the workflows must follow (issue 6, item 6), each a pure function from the loaded files to
 * a list of violations ("file: job: what is wrong"). An empty list means the rule holds. rules.test.ts
 * runs every rule on the real files and on mutated copies that must fail.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  actionName,
  allJobs,
  asRecord,
  expandedSteps,
  type Job,
  jobsOf,
  type LoadedFile,
  type Repo,
  ROOT,
  stepsOf,
  triggers,
  type Yaml,
} from './repo';
import { ROLE_WORKFLOWS } from '../../../stacks/bootstrap/github';

/**
 * Third-party actions and the commits they are pinned to. Every SHA here was cross-checked in several
 * independent public repositories that pin it with the same version comment (see the report / README).
 * Bumping an action means changing the workflow AND this table, on purpose.
 */
export const VERIFIED_PINS: Readonly<Record<string, { readonly sha: string; readonly version: string }>> = {
  'actions/checkout': { sha: 'de0fac2e4500dabe0009e67214ff5f5447ce83dd', version: 'v6.0.2' },
  'actions/setup-node': { sha: '6044e13b5dc448c55e2357c09f80417699197238', version: 'v6.2.0' },
  'aws-actions/configure-aws-credentials': {
    sha: 'ec61189d14ec14c8efccab744f656cffd0e33f37',
    version: 'v6.1.0',
  },
  'hashicorp/setup-terraform': { sha: '5e8dbf3c6d9deaf4193ca7a8fb23f2ac83bb6c85', version: 'v4.0.0' },
  'actions/upload-artifact': { sha: 'b7c566a772e6b6bfb58ed0dc250532a479d7789f', version: 'v6.0.0' },
  'actions/download-artifact': { sha: '37930b1c2abaa49bbe596cd826c3c89aef350131', version: 'v7.0.0' },
  'actions/github-script': { sha: 'ed597411d8f924073f98dfc5c65a23a2325f34cd', version: 'v8.0.0' },
  // build.yml (issue 11). Each SHA is the tag's commit in a snapshot of the action's own repository and is
  // pinned with the same version in several unrelated public repositories.
  'docker/setup-buildx-action': { sha: '37fe631027851001ddb9b187196cc803df7f5f0e', version: 'v4.3.0' },
  'docker/build-push-action': { sha: '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a', version: 'v7.3.0' },
  'actions/attest': { sha: '1e69f48acb82d1966a394da916b4c1698aa569d6', version: 'v4.2.2' },
};

const OIDC_ACTION = 'aws-actions/configure-aws-credentials';
const COMMENT_ACTION = 'actions/github-script';
/** Signs with Sigstore (OIDC token) and stores the attestation (attestations: write). */
const ATTEST_ACTION = 'actions/attest';

function files(repo: Repo): LoadedFile[] {
  return [...repo.workflows.values(), ...repo.actions.values()];
}

function where(job: Job): string {
  return `${job.workflow.path}: job ${job.id}`;
}

function usesOf(steps: readonly Yaml[]): string[] {
  return steps.map((s) => s['uses']).filter((u): u is string => typeof u === 'string');
}

/** Is this job a caller of a reusable workflow (`jobs.<id>.uses`)? */
function isCaller(job: Job): boolean {
  return typeof job.def['uses'] === 'string';
}

function calleeOf(repo: Repo, job: Job): LoadedFile | undefined {
  const uses = job.def['uses'];
  if (typeof uses !== 'string' || !uses.startsWith('./.github/workflows/')) return undefined;
  return repo.workflows.get(uses.replace('./.github/workflows/', ''));
}

/** Every `uses:` of a third-party action is `owner/repo[/path]@<40 hex>  # vX.Y.Z`, the verified pin. */
export function pinnedActions(repo: Repo): string[] {
  const problems: string[] = [];
  const usesLine = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(?:#\s*(.*))?$/;
  let scanned = 0;
  for (const file of files(repo)) {
    file.text.split('\n').forEach((line, i) => {
      const m = usesLine.exec(line);
      if (!m) return;
      const ref = m[2]!;
      const comment = (m[3] ?? '').trim();
      const at = `${file.path}:${i + 1}`;
      if (ref.startsWith('./')) return;
      scanned += 1;
      if (ref.startsWith('docker://')) {
        if (!/@sha256:[0-9a-f]{64}$/.test(ref))
          problems.push(`${at}: docker action ${ref} is not pinned to a digest`);
        return;
      }
      const pin = /^([\w.-]+\/[\w.-]+)(\/[^@]+)?@([^@]+)$/.exec(ref);
      if (!pin) {
        problems.push(`${at}: ${ref} has no @ref`);
        return;
      }
      const [, name, , sha] = pin as unknown as [string, string, string | undefined, string];
      if (!/^[0-9a-f]{40}$/.test(sha)) {
        problems.push(`${at}: ${ref} is not pinned to a full 40-character commit SHA`);
        return;
      }
      const version = /^(v\d+\.\d+\.\d+)\b/.exec(comment)?.[1];
      if (!version) problems.push(`${at}: ${ref} has no version comment like "# v1.2.3"`);
      const verified = VERIFIED_PINS[name];
      if (!verified) {
        problems.push(`${at}: ${name} is not in VERIFIED_PINS; verify its SHA and add it`);
      } else if (verified.sha !== sha) {
        problems.push(`${at}: ${name}@${sha} is not the verified pin ${verified.sha} (${verified.version})`);
      } else if (version && verified.version !== version) {
        problems.push(
          `${at}: ${name} version comment ${version} does not match the pinned ${verified.version}`,
        );
      }
    });
  }
  // The line scan must see every uses: the YAML parser sees (no flow-style or multi-line tricks).
  let parsed = 0;
  for (const job of allJobs(repo))
    parsed += usesOf(stepsOf(job.def)).filter((u) => !u.startsWith('./')).length;
  for (const action of repo.actions.values()) {
    parsed += usesOf(stepsOf(asRecord(action.doc['runs']) ?? {})).filter((u) => !u.startsWith('./')).length;
  }
  if (scanned !== parsed) {
    problems.push(
      `YAML has ${parsed} third-party uses but ${scanned} "uses: owner/repo@sha # vX.Y.Z" lines were checked`,
    );
  }
  return problems;
}

const PERMISSION_SCOPES = new Set([
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'id-token',
  'issues',
  'discussions',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
  'models',
]);

function permissionsOf(def: Yaml, at: string, problems: string[]): Record<string, string> | undefined {
  const raw = def['permissions'];
  if (raw === undefined) {
    problems.push(`${at}: no permissions: block (declare the least it needs, e.g. contents: read)`);
    return undefined;
  }
  if (typeof raw === 'string') {
    problems.push(`${at}: permissions: ${raw} is not least privilege; list the scopes`);
    return undefined;
  }
  const perms = asRecord(raw);
  if (!perms) {
    problems.push(`${at}: permissions must be a mapping`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [scope, level] of Object.entries(perms)) {
    if (!PERMISSION_SCOPES.has(scope)) problems.push(`${at}: unknown permission scope ${scope}`);
    out[scope] = String(level);
  }
  return out;
}

/** Write scopes a job actually needs, derived from what it does. */
function neededWrites(repo: Repo, job: Job): Set<string> {
  const needed = new Set<string>();
  const callee = calleeOf(repo, job);
  if (callee) {
    for (const inner of jobsOf(callee)) for (const w of neededWrites(repo, inner)) needed.add(w);
    return needed;
  }
  const uses = usesOf(expandedSteps(repo, stepsOf(job.def))).map(actionName);
  if (uses.includes(OIDC_ACTION)) needed.add('id-token');
  if (uses.includes(COMMENT_ACTION)) needed.add('pull-requests');
  if (uses.includes(ATTEST_ACTION)) {
    needed.add('id-token');
    needed.add('attestations');
  }
  return needed;
}

/**
 * Workflow-level `permissions: {}` (or read-only contents); every job declares its permissions; the only
 * write scopes are id-token (jobs that use configure-aws-credentials) and pull-requests (the job that
 * posts the plan comment with github-script); a caller of a reusable workflow grants at least what the
 * called jobs declare (GitHub refuses to start it otherwise) and no write they do not need.
 */
export function leastPrivilege(repo: Repo): string[] {
  const problems: string[] = [];
  for (const wf of repo.workflows.values()) {
    const top = wf.doc['permissions'];
    const topRec = asRecord(top);
    const okTop =
      topRec !== undefined &&
      Object.entries(topRec).every(([scope, level]) => scope === 'contents' && level === 'read');
    if (!okTop) problems.push(`${wf.path}: workflow-level permissions must be {} (or contents: read)`);
  }
  for (const job of allJobs(repo)) {
    const perms = permissionsOf(job.def, where(job), problems);
    if (!perms) continue;
    const needed = neededWrites(repo, job);
    for (const [scope, level] of Object.entries(perms)) {
      if (level === 'write' && !needed.has(scope)) {
        problems.push(`${where(job)}: ${scope}: write is not needed by anything this job does`);
      }
    }
    for (const scope of needed) {
      if (perms[scope] !== 'write') problems.push(`${where(job)}: needs ${scope}: write for what it does`);
    }
    const callee = calleeOf(repo, job);
    if (callee) {
      for (const inner of jobsOf(callee)) {
        const innerPerms = asRecord(inner.def['permissions']) ?? {};
        for (const [scope, level] of Object.entries(innerPerms)) {
          const granted = perms[scope];
          const rank = (l: string | undefined): number => (l === 'write' ? 2 : l === 'read' ? 1 : 0);
          if (rank(granted) < rank(String(level))) {
            problems.push(
              `${where(job)}: grants ${scope}: ${granted ?? 'none'} but ${callee.path} job ${inner.id} needs ${level}`,
            );
          }
        }
      }
    }
  }
  return problems;
}

/** `id-token: write` exactly where OIDC credentials are requested (both directions). */
export function idTokenOnlyWithOidc(repo: Repo): string[] {
  const problems: string[] = [];
  for (const job of allJobs(repo)) {
    if (isCaller(job)) continue; // checked through the called workflow by leastPrivilege
    const perms = asRecord(job.def['permissions']) ?? {};
    const usesOidc = usesOf(expandedSteps(repo, stepsOf(job.def)))
      .map(actionName)
      .includes(OIDC_ACTION);
    const directOidc = usesOf(stepsOf(job.def)).map(actionName).includes(OIDC_ACTION);
    if (perms['id-token'] === 'write' && !usesOidc) {
      problems.push(`${where(job)}: id-token: write without ${OIDC_ACTION}`);
    }
    if (usesOidc && perms['id-token'] !== 'write') {
      problems.push(`${where(job)}: uses ${OIDC_ACTION} without id-token: write`);
    }
    if (usesOidc && !directOidc) {
      problems.push(`${where(job)}: ${OIDC_ACTION} is hidden in a composite action; keep it in the job`);
    }
  }
  return problems;
}

/** The three release workflows, the input naming the environment, and the command their job runs. */
export const RELEASE_WORKFLOWS: ReadonlyArray<{
  file: string;
  envInput: string;
  command: string;
  /** Concurrency group family: deploy and promote queue together, rollback never behind them. */
  group: 'deploy' | 'rollback';
}> = [
  { file: 'deploy.yml', envInput: 'environment', command: 'deploy', group: 'deploy' },
  { file: 'promote.yml', envInput: 'to', command: 'promote', group: 'deploy' },
  { file: 'rollback.yml', envInput: 'environment', command: 'rollback', group: 'rollback' },
];

/** A GitHub expression as written in YAML: expr('inputs.to') is the text `${{ inputs.to }}`. */
export function expr(inner: string): string {
  return `\${{ ${inner} }}`;
}

/** `terraform apply` directly or through run-terraform.sh (which forwards the cancel signal to it). */
const APPLY_RE = /(?:\bterraform|run-terraform\.sh"?) apply\b/;

export function releaseConcurrencyGroup(envInput: string, family: 'deploy' | 'rollback' = 'deploy'): string {
  return `switchyard-${family}-${expr(`inputs.${envInput}`)}-${expr('inputs.service')}`;
}

function runsSwitchyard(job: Job): boolean {
  return stepsOf(job.def).some(
    (s) => typeof s['run'] === 'string' && (s['run'] as string).includes('run-switchyard.sh'),
  );
}

/**
 * deploy and promote of the same environment + service share one concurrency group
 * `switchyard-deploy-<env>-<service>` that never cancels; rollback has its own,
 * `switchyard-rollback-<env>-<service>`, so it never waits behind a pending deploy/promote (one waiting for
 * prod approval holds its group) and a later deploy/promote dispatch cannot cancel a pending rollback
 * (GitHub keeps one pending job per group and cancels the older: docs "Control the concurrency of
 * workflows and jobs"). infra applies one group per environment that never cancels; only ci may cancel
 * superseded runs, and then only because its plans take no lock.
 */
export function concurrencyGroups(repo: Repo): string[] {
  const problems: string[] = [];
  const groupsOf = { deploy: new Set<string>(), rollback: new Set<string>() };
  for (const { file, envInput, group } of RELEASE_WORKFLOWS) {
    const wf = repo.workflows.get(file);
    if (!wf) {
      problems.push(`.github/workflows/${file}: missing`);
      continue;
    }
    const runners = jobsOf(wf).filter(runsSwitchyard);
    if (runners.length === 0) problems.push(`${wf.path}: no job runs run-switchyard.sh`);
    for (const job of runners) {
      const c = asRecord(job.def['concurrency']);
      // The full-shift job (`switchyard continue` after a hold) waits for approval: such a job holds its
      // group until answered (up to 30 days), so a shared group would let a stale approval block every
      // later run's full-shift. It has no group, or one per run; the deployer's lock serializes runs.
      const continues = stepsOf(job.def).some((x) =>
        /run-switchyard\.sh continue\b/.test(String(x['run'] ?? '').replace(/\s+/g, ' ')),
      );
      if (continues) {
        if (c && !String(c['group']).includes(expr('github.run_id')))
          problems.push(
            `${where(job)}: concurrency group ${String(c['group'])}: a job waiting for approval holds its group, so a stale approval would block later runs; use no group, or one keyed by ${expr('github.run_id')}`,
          );
        continue;
      }
      const expected = releaseConcurrencyGroup(envInput, group);
      if (c) groupsOf[group].add(String(c['group']).replace(/\$\{\{ inputs\.(environment|to) \}\}/, '<env>'));
      if (!c) {
        problems.push(`${where(job)}: no job-level concurrency (expected group ${expected})`);
        continue;
      }
      if (c['group'] !== expected)
        problems.push(`${where(job)}: concurrency group ${String(c['group'])}, expected ${expected}`);
      if (c['cancel-in-progress'] !== false) problems.push(`${where(job)}: cancel-in-progress must be false`);
    }
    if (wf.doc['concurrency'] !== undefined) {
      problems.push(
        `${wf.path}: workflow-level concurrency would also queue/cancel validation; use the job-level group`,
      );
    }
  }
  for (const g of groupsOf.rollback) {
    if (groupsOf.deploy.has(g))
      problems.push(`rollback shares concurrency group ${g} with deploy/promote: it would wait behind them`);
  }
  const infra = repo.workflows.get('infra.yml');
  if (!infra) problems.push('.github/workflows/infra.yml: missing');
  for (const job of infra ? jobsOf(infra) : []) {
    const c = asRecord(job.def['concurrency']);
    const env = asRecord(job.def['with'])?.['environment'];
    if (!c || c['group'] !== `switchyard-infra-${String(env)}` || c['cancel-in-progress'] !== false) {
      problems.push(
        `${where(job)}: needs concurrency { group: switchyard-infra-${String(env)}, cancel-in-progress: false }`,
      );
    }
  }
  for (const wf of repo.workflows.values()) {
    const levels: Array<[string, unknown]> = [[wf.path, wf.doc['concurrency']]];
    for (const job of jobsOf(wf)) levels.push([where(job), job.def['concurrency']]);
    for (const [at, raw] of levels) {
      const cancel = asRecord(raw)?.['cancel-in-progress'];
      if (cancel === undefined || cancel === false) continue;
      if (wf.path !== '.github/workflows/ci.yml') {
        problems.push(`${at}: cancel-in-progress may only be set in ci.yml`);
        continue;
      }
      // ci may cancel superseded PR runs only if its plans never hold the state lock.
      for (const job of jobsOf(wf)) {
        for (const step of stepsOf(job.def)) {
          if (
            step['uses'] === './.github/actions/terraform-plan' &&
            asRecord(step['with'])?.['lock'] !== 'false'
          ) {
            problems.push(`${where(job)}: a cancellable workflow must plan with lock: "false"`);
          }
        }
      }
    }
  }
  return problems;
}

type InputSpec = Readonly<Record<string, boolean>>; // input name → required?

export const REQUIRED_INPUTS: ReadonlyArray<{ file: string; trigger: string; inputs: InputSpec }> = [
  {
    file: 'deploy.yml',
    trigger: 'workflow_call',
    inputs: { service: true, environment: true, 'image-tag': true },
  },
  {
    file: 'deploy.yml',
    trigger: 'workflow_dispatch',
    inputs: { service: true, environment: true, 'image-tag': true },
  },
  {
    file: 'promote.yml',
    trigger: 'workflow_dispatch',
    inputs: { service: true, from: true, to: true, tag: false },
  },
  {
    file: 'rollback.yml',
    trigger: 'workflow_dispatch',
    inputs: { environment: true, service: true, reason: true, 'target-release': false },
  },
];

/** The inputs of deploy/promote/rollback exist with the right required flag. */
export function requiredInputs(repo: Repo): string[] {
  const problems: string[] = [];
  for (const { file, trigger, inputs } of REQUIRED_INPUTS) {
    const wf = repo.workflows.get(file);
    const declared = wf ? asRecord(asRecord(triggers(wf)[trigger])?.['inputs']) : undefined;
    if (!wf || !declared) {
      problems.push(`.github/workflows/${file}: no ${trigger} inputs`);
      continue;
    }
    for (const [name, required] of Object.entries(inputs)) {
      const input = asRecord(declared[name]);
      if (!input) problems.push(`${wf.path}: ${trigger} input ${name} missing`);
      else if ((input['required'] === true) !== required) {
        problems.push(`${wf.path}: ${trigger} input ${name} must have required: ${required}`);
      }
    }
  }
  return problems;
}

/** Caller `with:` matches the called workflow's `workflow_call` inputs (actionlint cannot read it). */
export function reusableCalls(repo: Repo): string[] {
  const problems: string[] = [];
  for (const job of allJobs(repo).filter(isCaller)) {
    const callee = calleeOf(repo, job);
    if (!callee) {
      problems.push(
        `${where(job)}: calls ${String(job.def['uses'])}, which is not a workflow of this repository`,
      );
      continue;
    }
    const inputs = asRecord(asRecord(triggers(callee)['workflow_call'])?.['inputs']) ?? {};
    const given = asRecord(job.def['with']) ?? {};
    for (const key of Object.keys(given)) {
      if (!(key in inputs))
        problems.push(`${where(job)}: passes ${key}, which ${callee.path} does not declare`);
    }
    for (const [key, spec] of Object.entries(inputs)) {
      if (asRecord(spec)?.['required'] === true && !(key in given)) {
        problems.push(`${where(job)}: does not pass required input ${key} of ${callee.path}`);
      }
    }
    // GitHub: a secret the called workflow declares — even an Environment secret that the called job's
    // `environment:` would resolve — reads as "" unless the caller passes it, by name or with
    // `secrets: inherit`; the run does not fail ("Reuse workflows": Using inputs and secrets in a reusable
    // workflow). Passing by name keeps the caller's other secrets out of the called workflow.
    const declared = asRecord(asRecord(triggers(callee)['workflow_call'])?.['secrets']) ?? {};
    const passed = job.def['secrets'];
    if (passed === 'inherit') continue;
    const byName = asRecord(passed) ?? {};
    for (const key of Object.keys(byName)) {
      if (!(key in declared))
        problems.push(`${where(job)}: passes secret ${key}, which ${callee.path} does not declare`);
    }
    for (const key of Object.keys(declared)) {
      if (!(key in byName))
        problems.push(
          `${where(job)}: does not pass secret ${key} of ${callee.path} (it would read as ""): add secrets: { ${key}: \${{ secrets.${key} }} }`,
        );
    }
  }
  return problems;
}

function environmentName(def: Yaml): string | undefined {
  const env = def['environment'];
  if (typeof env === 'string') return env;
  const name = asRecord(env)?.['name'];
  return typeof name === 'string' ? name : undefined;
}

function runText(steps: readonly Yaml[]): string {
  return steps.map((s) => (typeof s['run'] === 'string' ? s['run'] : '')).join('\n');
}

/**
 * Environment bindings: infra applies dev → staging → prod, each apply job bound to its environment and
 * applying the downloaded saved plan (never re-planning), the plan job bound to none; promote is bound
 * to the TARGET environment; deploy and rollback to their environment; plan-role jobs to none; every
 * job assuming the deploy role is bound to an environment.
 */
export function environmentBindings(repo: Repo): string[] {
  const problems: string[] = [];
  const infra = repo.workflows.get('infra.yml');
  const order = ['dev', 'staging', 'prod'];
  const callerJobs = infra ? jobsOf(infra) : [];
  order.forEach((env, i) => {
    const job = callerJobs.find((j) => asRecord(j.def['with'])?.['environment'] === env);
    if (!job) {
      problems.push(`.github/workflows/infra.yml: no job applies ${env}`);
      return;
    }
    const needs = job.def['needs'];
    const needList = Array.isArray(needs) ? needs : needs === undefined ? [] : [needs];
    if (i > 0) {
      const previous = callerJobs.find((j) => asRecord(j.def['with'])?.['environment'] === order[i - 1]);
      if (!previous || !needList.includes(previous.id)) {
        problems.push(`${where(job)}: ${env} must need the ${order[i - 1]} job (apply in order)`);
      }
    }
    const callee = calleeOf(repo, job);
    if (!callee) {
      problems.push(`${where(job)}: does not call a local reusable workflow`);
      return;
    }
    const inner = jobsOf(callee);
    const appliers = inner.filter((j) => APPLY_RE.test(runText(stepsOf(j.def))));
    const planners = inner.filter((j) =>
      stepsOf(j.def).some((s) => s['uses'] === './.github/actions/terraform-plan'),
    );
    if (appliers.length !== 1 || planners.length !== 1) {
      problems.push(`${callee.path}: expected exactly one plan job and one apply job`);
      return;
    }
    const apply = appliers[0]!;
    const plan = planners[0]!;
    const bound = environmentName(apply.def)?.replace(expr('inputs.environment'), env);
    if (bound !== env)
      problems.push(
        `${where(apply)}: apply of ${env} is bound to ${bound ?? 'no environment'}, expected ${env}`,
      );
    if (environmentName(plan.def) !== undefined) {
      problems.push(
        `${where(plan)}: the plan job must not be bound to an environment (reviewers approve the apply)`,
      );
    }
    const applyNeeds = apply.def['needs'];
    if (!(applyNeeds === plan.id || (Array.isArray(applyNeeds) && applyNeeds.includes(plan.id)))) {
      problems.push(`${where(apply)}: must need ${plan.id} (it applies that job's plan)`);
    }
    const applySteps = stepsOf(apply.def);
    const text = runText(applySteps);
    if (/terraform plan\b/.test(text))
      problems.push(`${where(apply)}: re-plans instead of applying the saved plan`);
    if (!new RegExp(`${APPLY_RE.source}[^\\n]*\\btfplan\\b`).test(text))
      problems.push(`${where(apply)}: does not apply the saved tfplan`);
    if (!usesOf(applySteps).some((u) => actionName(u) === 'actions/download-artifact')) {
      problems.push(`${where(apply)}: does not download the plan artifact`);
    }
    if (!/sha256sum --check/.test(text)) problems.push(`${where(apply)}: does not verify the plan checksum`);
  });

  const expectedBinding: Record<string, string> = {
    'deploy.yml': expr('inputs.environment'),
    'promote.yml': expr('inputs.to'),
    'rollback.yml': expr('inputs.environment'),
    'hold-expiry.yml': `${expr('matrix.environment')}-hold-expiry`,
  };
  for (const [file, expected] of Object.entries(expectedBinding)) {
    const wf = repo.workflows.get(file);
    for (const job of wf ? jobsOf(wf).filter(runsSwitchyard) : []) {
      const bound = environmentName(job.def);
      if (bound !== expected)
        problems.push(`${where(job)}: bound to ${bound ?? 'no environment'}, expected ${expected}`);
    }
  }

  // Each role is assumed only from the workflows its trust pins (job_workflow_ref, stacks/bootstrap/github.ts)
  // and with the binding its `sub` needs: apply/release inside the GitHub Environment, plan and build
  // outside any (pull_request / ref:refs/heads/main), status either (main, or the promotion target).
  const roleRules: {
    pattern: RegExp;
    name: string;
    files?: readonly string[];
    bound: 'yes' | 'no' | 'any';
  }[] = [
    { pattern: /APPLY_ROLE/, name: 'apply', files: ROLE_WORKFLOWS.apply, bound: 'yes' },
    {
      pattern: /RELEASE_ROLE/,
      name: 'release',
      files: [...ROLE_WORKFLOWS.release, ...ROLE_WORKFLOWS.holdExpiry],
      bound: 'yes',
    },
    { pattern: /STATUS_ROLE|status-role/, name: 'status', files: ROLE_WORKFLOWS.status, bound: 'any' },
    { pattern: /BUILD_ROLE/, name: 'build', files: ROLE_WORKFLOWS.build, bound: 'no' },
    { pattern: /plan-role|PLAN_ROLE/, name: 'plan', bound: 'no' },
  ];
  for (const job of allJobs(repo)) {
    for (const step of stepsOf(job.def)) {
      if (typeof step['uses'] !== 'string' || actionName(step['uses']) !== OIDC_ACTION) continue;
      const role = String(asRecord(step['with'])?.['role-to-assume'] ?? '');
      const bound = environmentName(job.def);
      const rule = roleRules.find((r) => r.pattern.test(role));
      if (!rule) {
        problems.push(`${where(job)}: unexpected role ${role}`);
        continue;
      }
      if (rule.bound === 'yes' && bound === undefined) {
        problems.push(`${where(job)}: assumes the ${rule.name} role without an environment binding`);
      }
      if (rule.bound === 'no' && bound !== undefined) {
        problems.push(
          `${where(job)}: assumes the ${rule.name} role inside environment ${bound} (its trust is pull requests / main only)`,
        );
      }
      if (rule.files && !(rule.files as readonly string[]).includes(path.basename(job.workflow.path))) {
        problems.push(
          `${where(job)}: assumes the ${rule.name} role, whose trust pins ${rule.files.join(', ')} (job_workflow_ref)`,
        );
      }
    }
  }
  return problems;
}

/**
 * A Cancel or timeout reaches the long-running command: GitHub signals only the step's entry process
 * (SIGINT, SIGTERM 7.5 s later, then kills the tree; docs "Workflow cancellation reference"), and a shell
 * waiting for a foreground child does not pass the signal on. So every step that runs switchyard or
 * terraform apply must `exec` the forwarding script as its last command (run-switchyard.sh /
 * run-terraform.sh forward the signal to node / terraform), and run-switchyard.sh starts node directly.
 * tests/workflows/signals.test.ts proves it on the exact command lines.
 */
export function signalsReachCommands(repo: Repo): string[] {
  const problems: string[] = [];
  for (const job of allJobs(repo)) {
    for (const step of stepsOf(job.def)) {
      const run = step['run'];
      if (typeof run !== 'string') continue;
      const name = String(step['name'] ?? 'a step');
      const lines = run.replace(/\n\s+/g, ' ').trim().split('\n');
      for (const [script, what] of [
        ['run-switchyard.sh', 'switchyard'],
        ['run-terraform.sh', 'terraform'],
      ] as const) {
        if (!run.includes(script)) continue;
        const last = lines[lines.length - 1]!.trim();
        if (!new RegExp(`^exec bash \\S*${script.replace('.', '\\.')}`).test(last))
          problems.push(
            `${where(job)}: step "${name}" must end with \`exec bash …/${script} …\` so a Cancel reaches ${what}`,
          );
      }
      if (/(^|[;&|\s])terraform apply\b/m.test(run))
        problems.push(
          `${where(job)}: step "${name}" runs terraform apply directly; a Cancel would not reach it (use exec bash .github/scripts/run-terraform.sh apply …)`,
        );
    }
  }
  const script = readFileSync(path.join(ROOT, '.github/scripts/run-switchyard.sh'), 'utf8');
  if (/\bnpx\b|\bnpm (exec|run)\b/.test(script.replace(/^#.*$/gm, '')))
    problems.push(
      '.github/scripts/run-switchyard.sh: starts the CLI through npx/npm, which does not forward signals',
    );
  if (!/forward_signals all node /.test(script))
    problems.push('.github/scripts/run-switchyard.sh: must start node directly through forward_signals');
  return problems;
}

/** OIDC default session (aws-actions/configure-aws-credentials: "1 hour for OIDC"). */
const DEFAULT_ROLE_SESSION_SECONDS = 3600;
/** `max_session_duration` of every CI role (bootstrap). */
export const MAX_ROLE_SESSION_SECONDS = 7200;

/**
 * Credentials outlive the job: every configure-aws-credentials step requests a session at least as long
 * as its job's timeout (so every step, whatever its own timeout) and no longer than the roles allow.
 * AssumeRoleWithWebIdentity: DurationSeconds above the role's maximum session duration fails.
 */
export function roleSessions(repo: Repo): string[] {
  const problems: string[] = [];
  const isCredentials = (step: Yaml) =>
    typeof step['uses'] === 'string' && actionName(step['uses']) === OIDC_ACTION;
  for (const job of allJobs(repo)) {
    const timeout = Number(job.def['timeout-minutes'] ?? 0) * 60;
    const steps = stepsOf(job.def);
    steps.forEach((step, i) => {
      if (!isCredentials(step)) return;
      const raw = asRecord(step['with'])?.['role-duration-seconds'];
      const duration = raw === undefined ? DEFAULT_ROLE_SESSION_SECONDS : Number(raw);
      // A later credentials step replaces this session: it must only outlast the steps before that one,
      // when each of them has its own timeout; otherwise (and for the last session) the job's timeout.
      const next = steps.findIndex((s, j) => j > i && isCredentials(s));
      const between = next < 0 ? [] : steps.slice(i + 1, next);
      const bounded = next >= 0 && between.every((s) => typeof s['timeout-minutes'] === 'number');
      const needed = bounded
        ? between.reduce((sum, s) => sum + Number(s['timeout-minutes']) * 60, 0)
        : timeout;
      const what = bounded
        ? `its steps' timeouts (${needed}s, until the next credentials step)`
        : `the job's timeout ${timeout}s`;
      if (!(duration >= needed))
        problems.push(`${where(job)}: role session ${duration}s is shorter than ${what}`);
      if (!(duration <= MAX_ROLE_SESSION_SECONDS))
        problems.push(
          `${where(job)}: role session ${duration}s exceeds the roles' maximum ${MAX_ROLE_SESSION_SECONDS}s`,
        );
    });
  }
  return problems;
}

/** Every job that runs on a runner has a timeout (at most 2 hours). */
export function timeouts(repo: Repo): string[] {
  const problems: string[] = [];
  for (const job of allJobs(repo)) {
    if (isCaller(job)) continue; // timeouts live on the called workflow's jobs, which are checked too
    const t = job.def['timeout-minutes'];
    if (typeof t !== 'number' || t <= 0 || t > 120) {
      problems.push(`${where(job)}: timeout-minutes must be a number between 1 and 120 (got ${String(t)})`);
    }
  }
  return problems;
}

/** Node comes from .nvmrc with the npm cache, everywhere. */
export function nodeSetup(repo: Repo): string[] {
  const problems: string[] = [];
  let seen = 0;
  const check = (steps: readonly Yaml[], at: string): void => {
    for (const step of steps) {
      if (typeof step['uses'] !== 'string' || actionName(step['uses']) !== 'actions/setup-node') continue;
      seen += 1;
      const w = asRecord(step['with']) ?? {};
      if (w['node-version-file'] !== '.nvmrc')
        problems.push(`${at}: setup-node must use node-version-file: .nvmrc`);
      if (w['node-version'] !== undefined) problems.push(`${at}: setup-node must not hard-code node-version`);
      if (w['cache'] !== 'npm') problems.push(`${at}: setup-node must use cache: npm`);
    }
  };
  for (const job of allJobs(repo)) check(stepsOf(job.def), where(job));
  for (const action of repo.actions.values()) check(stepsOf(asRecord(action.doc['runs']) ?? {}), action.path);
  if (seen === 0) problems.push('no actions/setup-node step found');
  for (const job of allJobs(repo)) {
    const steps = stepsOf(job.def);
    const runsNpm = /\bnpm (run|test|ci)\b|\bnpx\b|run-switchyard\.sh/.test(runText(steps));
    const hasNode = usesOf(expandedSteps(repo, steps)).some((u) => actionName(u) === 'actions/setup-node');
    if (runsNpm && !hasNode) problems.push(`${where(job)}: runs npm/npx without setting up Node from .nvmrc`);
  }
  return problems;
}

/**
 * No `${{ … }}` inside `run:` scripts (values reach the shell through `env:` only, so an input such as
 * a reason or tag cannot inject commands), and every checkout drops the token (persist-credentials: false).
 */
export function scriptHygiene(repo: Repo): string[] {
  const problems: string[] = [];
  const check = (steps: readonly Yaml[], at: string): void => {
    steps.forEach((step, i) => {
      const run = step['run'];
      if (typeof run === 'string' && run.includes('${{')) {
        problems.push(
          `${at}: step ${String(step['name'] ?? i)} interpolates an expression into run:; pass it via env:`,
        );
      }
      const uses = step['uses'];
      if (typeof uses === 'string' && actionName(uses) === 'actions/checkout') {
        if (asRecord(step['with'])?.['persist-credentials'] !== false) {
          problems.push(`${at}: checkout must set persist-credentials: false`);
        }
      }
    });
  };
  for (const job of allJobs(repo)) check(stepsOf(job.def), where(job));
  for (const action of repo.actions.values()) check(stepsOf(asRecord(action.doc['runs']) ?? {}), action.path);
  return problems;
}

/** The environments the workflows know match environments/<name>.yaml. */
export function environmentCoverage(repo: Repo, defined: readonly string[]): string[] {
  const problems: string[] = [];
  const want = [...defined].sort().join(',');
  const compare = (got: readonly unknown[], at: string): void => {
    const list = got.map(String).sort().join(',');
    if (list !== want)
      problems.push(`${at}: environments [${list}] differ from environments/*.yaml [${want}]`);
  };
  const ci = repo.workflows.get('ci.yml');
  const plan = ci ? jobsOf(ci).find((j) => j.id === 'plan') : undefined;
  const include = asRecord(asRecord(plan?.def['strategy'])?.['matrix'])?.['include'];
  compare(
    Array.isArray(include) ? include.map((e) => asRecord(e)?.['environment']) : [],
    '.github/workflows/ci.yml plan matrix',
  );
  const infra = repo.workflows.get('infra.yml');
  compare(
    infra ? jobsOf(infra).map((j) => asRecord(j.def['with'])?.['environment']) : [],
    '.github/workflows/infra.yml jobs',
  );
  for (const file of ['deploy.yml', 'rollback.yml']) {
    const wf = repo.workflows.get(file);
    const input = wf
      ? asRecord(asRecord(asRecord(triggers(wf)['workflow_dispatch'])?.['inputs'])?.['environment'])
      : undefined;
    compare(
      Array.isArray(input?.['options']) ? (input['options'] as unknown[]) : [],
      `${wf?.path ?? file} environment choices`,
    );
  }
  const promote = repo.workflows.get('promote.yml');
  const pin = promote ? asRecord(asRecord(triggers(promote)['workflow_dispatch'])?.['inputs']) : undefined;
  const opts = (name: string): unknown[] => {
    const o = asRecord(pin?.[name])?.['options'];
    return Array.isArray(o) ? o : [];
  };
  compare([...new Set([...opts('from'), ...opts('to')])], '.github/workflows/promote.yml from/to choices');
  // the hold-expiry enforcer runs per environment: a new one must be listed, or its holds never expire
  const expiry = repo.workflows.get('hold-expiry.yml');
  const job = expiry ? jobsOf(expiry).find((j) => j.id === 'abort-expired') : undefined;
  const envs = asRecord(asRecord(job?.def['strategy'])?.['matrix'])?.['environment'];
  compare(Array.isArray(envs) ? envs : [], '.github/workflows/hold-expiry.yml matrix');
  return problems;
}

/**
 * hold-expiry.yml is trusted by the release roles (stacks/bootstrap/github.ts `HoldExpiry`, pinned by
 * job_workflow_ref to this file on main): it must only run on its own schedule or by hand. A
 * `workflow_call` trigger would let any workflow of the repository call hold-expiry.yml@main and present
 * that job_workflow_ref (for a called workflow "the job_workflow_ref will reference the shared workflow
 * instead the actual calling workflow", sigstore/fulcio#306; GitHub docs "OpenID Connect reference"), and
 * push / pull_request would run it on other events.
 */
export function holdExpiryTriggers(repo: Repo): string[] {
  const wf = repo.workflows.get('hold-expiry.yml');
  if (!wf) return ['.github/workflows/hold-expiry.yml: missing'];
  const extra = Object.keys(triggers(wf)).filter((t) => t !== 'schedule' && t !== 'workflow_dispatch');
  return extra.length > 0
    ? [
        `${wf.path}: triggers ${extra.join(', ')}: only schedule and workflow_dispatch (its trust statement accepts any run of this file on main, so a caller could borrow it)`,
      ]
    : [];
}

/**
 * The branch the workflows treat as main (push triggers, the infra ref guard) is the one the bootstrap
 * stack's plan role trusts: environments/project.yaml github.mainBranch.
 */
export function mainBranch(repo: Repo, branch: string): string[] {
  const problems: string[] = [];
  for (const file of ['ci.yml', 'infra.yml']) {
    const wf = repo.workflows.get(file);
    const push = wf ? asRecord(triggers(wf)['push']) : undefined;
    const branches = push?.['branches'];
    if (!Array.isArray(branches) || branches.length !== 1 || branches[0] !== branch) {
      problems.push(
        `.github/workflows/${file}: push must trigger on [${branch}] only (got ${JSON.stringify(branches)})`,
      );
    }
  }
  const infraEnv = repo.workflows.get('infra-environment.yml');
  if (!infraEnv?.text.includes(`"refs/heads/${branch}"`)) {
    problems.push(
      `.github/workflows/infra-environment.yml: the ref guard must allow refs/heads/${branch} only`,
    );
  }
  return problems;
}

export const ALL_RULES = {
  pinnedActions,
  leastPrivilege,
  idTokenOnlyWithOidc,
  concurrencyGroups,
  requiredInputs,
  reusableCalls,
  environmentBindings,
  timeouts,
  nodeSetup,
  scriptHygiene,
  signalsReachCommands,
  roleSessions,
} as const;
