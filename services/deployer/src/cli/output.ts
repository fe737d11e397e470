/**
 * Output renderers. One interface, three forms:
 * - text: readable progress for people (elapsed time, step, colour, weights, health counts, time left
 *   in a bake); on a terminal, progress lines redraw in place and levels/colours are coloured;
 * - github (text under `GITHUB_ACTIONS=true`): plain lines, `::group::` per phase, `::warning::`,
 *   one `::error::` annotation carrying the reason of a refusal / rollback / failure;
 * - json: one JSON object per line — every event, reports, then a final `{"type":"result",…}`.
 * Under GitHub Actions a Markdown summary is appended to `$GITHUB_STEP_SUMMARY` in every format.
 *
 * Every renderer also carries the run's observers (observers/run-observer.ts: the TrafficWeight metric,
 * notifications), builds the release timeline from the events it shows (observers/timeline.ts: a chart in
 * the job summary, `timeline` in the JSON result) and links the environment's dashboard (the `dashboard`
 * event the runtime emits) from the job summary and the JSON result.
 */
import { appendFileSync } from 'node:fs';
import { OBSERVER_REQUEST_TIMEOUT_MS, type RunObserver } from '../observers/run-observer';
import { type Timeline, TIMELINE_EVENTS, timelineFromEvents, timelineMarkdown } from '../observers/timeline';
import type { DeployEvent, EventSink } from '../ports';
import type { OutputFormat } from './args';
import type { CommandContext } from './context';

export interface CommandResult {
  /** `deploy`, `rollback`, … */
  readonly command: string;
  readonly exitCode: number;
  /** deployed | rolled-back | refused | dry-run | failed | ok */
  readonly status: string;
  /** One line for people: what happened. */
  readonly headline: string;
  /** Why (refusals, rollbacks, failures). */
  readonly reason?: string;
  /** Machine-readable result (json output). */
  readonly data?: unknown;
  /** Markdown body for the GitHub job summary (a heading is added). */
  readonly summaryMarkdown?: string;
  /** The release timeline (set by the renderer from the events; json: `timeline`). */
  readonly timeline?: Timeline;
  /** The environment's CloudWatch dashboard (set by the renderer from the `dashboard` event). */
  readonly dashboard?: { readonly name: string; readonly url: string };
  /**
   * The release a held deploy left in progress: under GitHub Actions written to `$GITHUB_OUTPUT` as
   * `release-id=<id>`, so the approval job continues exactly that release (`continue --release`).
   */
  readonly releaseId?: string;
}

export interface Renderer extends EventSink {
  /** A block for people (plan, status table); in json: `{"type":"report","title",data}`. */
  report(title: string, lines: readonly string[], data?: unknown): void;
  /** Final line(s), the error annotation and the job summary. */
  finish(result: CommandResult): void;
  /** Adds an observer of the run's events and result (cli/runtime.ts attaches them per service). */
  attach(observer: RunObserver): void;
  /**
   * Shows the result to the observers and waits (at most OBSERVER_SETTLE_MS) for their background work;
   * their failures are printed as warnings. Call once, before `finish`.
   */
  conclude(result: CommandResult): Promise<void>;
  /** A warning line of the renderer's own (not seen by observers). */
  warn(type: string, message: string): void;
}

/** Longest wait for observers (notifications, metric) at the end of a run: one request timeout + margin. */
export const OBSERVER_SETTLE_MS = OBSERVER_REQUEST_TIMEOUT_MS + 1_000;

export type RenderMode = 'text' | 'github' | 'json';

export function renderMode(format: OutputFormat, env: CommandContext['env']): RenderMode {
  if (format === 'json') return 'json';
  return env.GITHUB_ACTIONS === 'true' ? 'github' : 'text';
}

const ANSI = {
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  blue: '\x1b[34m',
  green: '\x1b[32m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `+${h}:${pad(m)}:${pad(s % 60)}` : `+${pad(m)}:${pad(s % 60)}`;
}

/** Workflow-command escaping (data part). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
/** Workflow-command escaping (property values such as title). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** Phase of a deploy event, for GitHub `::group::` blocks. */
export function phaseOf(type: string): string | undefined {
  if (/^(lock\.|live-state|image\.|plan|release\.started|preflight)/.test(type)) return 'Preflight';
  if (/^(taskdef\.|ecs\.|targets\.)/.test(type)) return 'Roll out the idle colour';
  if (/^(test-rule|weights\.|bake\.)/.test(type)) return 'Shift traffic';
  if (/^(gate\.failed|rollback\.|deploy\.rolled-back)/.test(type)) return 'Roll back';
  if (/^(release\.recorded|drain\.|old\.|deploy\.done)/.test(type)) return 'Finish';
  return undefined;
}

/**
 * Progress events in logs (not redrawn in place): the first of a series, then one per 30 s, and the
 * last of a bake — enough to follow, short enough to read.
 */
export function progressThrottle(): (e: DeployEvent) => boolean {
  const last = new Map<string, number>();
  return (e) => {
    if (!e.type.endsWith('.progress')) {
      last.clear();
      return true;
    }
    const prev = last.get(e.type);
    const final = e.data?.remainingMs === 0;
    if (prev !== undefined && e.at - prev < 30_000 && !final) return false;
    last.set(e.type, e.at);
    return true;
  };
}

/** Events whose message the final result repeats (not printed twice in text/github). */
const REPEATED_BY_RESULT = new Set(['refused', 'lock.held', 'deploy.rolled-back']);

/** Under GitHub Actions: the job summary, and the step outputs a later job needs. */
function appendGithub(ctx: CommandContext, result: CommandResult): void {
  appendSummary(ctx, result);
  appendOutputs(ctx, result);
}

/**
 * `release-id=<id>` into `$GITHUB_OUTPUT` (GitHub: "Steps can create outputs by writing to the
 * GITHUB_OUTPUT file", docs "Workflow commands for GitHub Actions", Setting an output parameter). The id
 * is the store's own (letters, digits, `-`, `:`, `.`), checked anyway: a newline would forge an output.
 */
function appendOutputs(ctx: CommandContext, result: CommandResult): void {
  const file = ctx.env.GITHUB_OUTPUT;
  if (ctx.env.GITHUB_ACTIONS !== 'true' || !file || result.releaseId === undefined) return;
  if (!/^[\w.:-]+$/.test(result.releaseId)) return;
  try {
    appendFileSync(file, `release-id=${result.releaseId}\n`);
  } catch (e) {
    ctx.io.stderr(`warning: could not append to GITHUB_OUTPUT (${file}): ${(e as Error).message}\n`);
  }
}

function appendSummary(ctx: CommandContext, result: CommandResult): void {
  const file = ctx.env.GITHUB_STEP_SUMMARY;
  if (ctx.env.GITHUB_ACTIONS !== 'true' || !file) return;
  const icon =
    {
      deployed: '✅',
      ok: '✅',
      'dry-run': '📝',
      'rolled-back': '↩️',
      held: '⏸️',
      refused: '⛔',
      failed: '❌',
    }[result.status] ?? 'ℹ️';
  const base = result.summaryMarkdown ?? (result.reason ? `**Reason:** ${result.reason}\n` : '');
  const dashboard = result.dashboard
    ? `\n**Dashboard:** [${result.dashboard.name}](${result.dashboard.url})\n`
    : '';
  const timeline = result.timeline
    ? `\n<details open><summary>Release timeline</summary>\n\n${timelineMarkdown(result.timeline)}\n</details>\n`
    : '';
  const body = `${base}${dashboard}${timeline}`;
  try {
    appendFileSync(file, `### ${icon} switchyard ${result.command}: ${result.headline}\n\n${body}\n`);
  } catch (e) {
    ctx.io.stderr(`warning: could not append to GITHUB_STEP_SUMMARY (${file}): ${(e as Error).message}\n`);
  }
}

export function createRenderer(
  format: OutputFormat,
  ctx: CommandContext,
  settleMs: number = OBSERVER_SETTLE_MS,
): Renderer {
  const mode = renderMode(format, ctx.env);
  const base =
    mode === 'json' ? jsonRenderer(ctx) : mode === 'github' ? githubRenderer(ctx) : textRenderer(ctx);
  return withObservers(base, settleMs);
}

type BaseRenderer = Pick<Renderer, 'emit' | 'report' | 'finish'>;

/** Adds observers, the timeline and the dashboard link to a renderer. */
function withObservers(base: BaseRenderer, settleMs: number): Renderer {
  const observers: RunObserver[] = [];
  const kept: DeployEvent[] = [];
  let first: DeployEvent | undefined;
  let dashboard: { name: string; url: string } | undefined;
  let lastAt = 0;
  const warn = (type: string, message: string) => {
    const e: DeployEvent = { at: lastAt, level: 'warn', type, message };
    base.emit(e);
  };
  return {
    emit(e) {
      first ??= e;
      lastAt = Math.max(lastAt, e.at);
      if (TIMELINE_EVENTS.has(e.type)) kept.push(e);
      if (e.type === 'dashboard' && typeof e.data?.url === 'string' && typeof e.data?.name === 'string')
        dashboard = { name: e.data.name, url: e.data.url };
      base.emit(e);
      for (const o of observers) {
        try {
          o.emit(e);
        } catch {
          // an observer never breaks the run
        }
      }
    },
    report: (title, lines, data) => base.report(title, lines, data),
    attach(o) {
      observers.push(o);
    },
    warn,
    async conclude(result) {
      for (const o of observers) {
        try {
          o.conclude?.(result);
        } catch {
          // an observer never breaks the run
        }
      }
      const deadline = Date.now() + settleMs;
      let timer: NodeJS.Timeout | undefined;
      // bounded even if an observer ignored its deadline: the run ends at most settleMs after its result
      await Promise.race([
        Promise.all(observers.map((o) => o.settle?.(deadline).catch(() => undefined))),
        new Promise<void>((r) => {
          timer = setTimeout(r, settleMs);
          timer.unref?.();
        }),
      ]);
      clearTimeout(timer);
    },
    finish(result) {
      const timeline = first ? timelineFromEvents(kept[0] === first ? kept : [first, ...kept]) : undefined;
      base.finish({
        ...result,
        ...(timeline ? { timeline } : {}),
        ...(dashboard ? { dashboard } : {}),
      });
    },
  };
}

function jsonRenderer(ctx: CommandContext): BaseRenderer {
  const line = (o: unknown) => ctx.io.stdout(`${JSON.stringify(o)}\n`);
  return {
    emit: (e: DeployEvent) =>
      line({
        at: new Date(e.at).toISOString(),
        level: e.level,
        type: e.type,
        message: e.message,
        ...(e.data ? { data: e.data } : {}),
      }),
    report: (title, _lines, data) => line({ type: 'report', title, data }),
    finish: (r) => {
      line({
        type: 'result',
        command: r.command,
        status: r.status,
        exitCode: r.exitCode,
        message: r.headline,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.data !== undefined ? { data: r.data } : {}),
        ...(r.timeline ? { timeline: r.timeline } : {}),
        ...(r.dashboard ? { dashboard: r.dashboard } : {}),
      });
      appendGithub(ctx, r);
    },
  };
}

function textRenderer(ctx: CommandContext): BaseRenderer {
  const tty = ctx.io.isTTY === true;
  const c = (code: keyof typeof ANSI, s: string) => (tty ? `${ANSI[code]}${s}${ANSI.reset}` : s);
  const paint = (s: string) =>
    tty ? s.replace(/\bblue\b/g, c('blue', 'blue')).replace(/\bgreen\b/g, c('green', 'green')) : s;
  let start: number | undefined;
  let progressOpen = false;
  const out = (s: string) => ctx.io.stdout(s);
  const closeProgress = () => {
    if (progressOpen) out('\n');
    progressOpen = false;
  };
  const show = progressThrottle();
  return {
    emit: (e) => {
      if (REPEATED_BY_RESULT.has(e.type)) return;
      if (!tty && !show(e)) return;
      start ??= e.at;
      const level =
        e.level === 'error' ? c('red', 'ERROR ') : e.level === 'warn' ? c('yellow', 'WARN  ') : '';
      const text = `${c('dim', elapsed(e.at - start).padEnd(9))}${level}${paint(e.message)}`;
      if (tty && e.type.endsWith('.progress')) {
        out(`\r\x1b[K${text}`);
        progressOpen = true;
        return;
      }
      closeProgress();
      out(`${text}\n`);
    },
    report: (title, lines) => {
      closeProgress();
      out(`${c('bold', title)}\n${lines.map((l) => `  ${paint(l)}\n`).join('')}`);
    },
    finish: (r) => {
      closeProgress();
      const mark =
        r.exitCode === 0
          ? c('green', '✔')
          : r.status === 'rolled-back'
            ? c('yellow', '↩')
            : r.status === 'held'
              ? c('yellow', '⏸')
              : c('red', '✖');
      out(`${mark} ${paint(r.headline)}\n`);
      if (r.reason && r.exitCode !== 0)
        (r.status === 'rolled-back' ? out : ctx.io.stderr)(`  reason: ${r.reason}\n`);
      appendGithub(ctx, r);
    },
  };
}

function githubRenderer(ctx: CommandContext): BaseRenderer {
  let start: number | undefined;
  let group: string | undefined;
  const out = (s: string) => ctx.io.stdout(`${s}\n`);
  const openGroup = (name: string) => {
    if (group === name) return;
    if (group) out('::endgroup::');
    out(`::group::${name}`);
    group = name;
  };
  const closeGroup = () => {
    if (group) out('::endgroup::');
    group = undefined;
  };
  const show = progressThrottle();
  return {
    emit: (e) => {
      if (REPEATED_BY_RESULT.has(e.type)) return;
      if (!show(e)) return;
      start ??= e.at;
      const phase = phaseOf(e.type);
      if (phase) openGroup(phase);
      const text = `${elapsed(e.at - start)} ${e.message}`;
      if (e.level === 'warn') out(`::warning::${escapeData(e.message)}`);
      else out(e.level === 'error' ? `${elapsed(e.at - start)} ERROR ${e.message}` : text);
    },
    report: (title, lines) => {
      closeGroup();
      out(title);
      for (const l of lines) out(`  ${l}`);
    },
    finish: (r) => {
      closeGroup();
      if (r.exitCode !== 0) {
        const title = `switchyard ${r.command} ${r.status === 'rolled-back' ? 'rolled back' : r.status} (exit ${r.exitCode})`;
        out(
          `::error title=${escapeProperty(title)}::${escapeData(r.reason ? `${r.headline}: ${r.reason}` : r.headline)}`,
        );
      }
      out(r.headline);
      appendGithub(ctx, r);
    },
  };
}
