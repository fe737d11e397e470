/**
 * A picture of the release, built from the run's events only: per step (the weights written, the bake
 * that followed), the new colour's share of traffic, the worst judged 5xx share and p99 response time
 * its gates saw during that bake. Rendered as Mermaid `xychart-beta` charts plus a table for the GitHub
 * job summary (GitHub renders ```mermaid blocks in Markdown; the table carries the exact values and the
 * steps a chart cannot show, e.g. "not judged"), and carried as `timeline` in the `--output json` result.
 *
 * Pure. Sources: `live-state` (the weights before), `bake.start` (a step and its weights), `bake.progress`
 * (the gates' observations: `judged`/`ratio`, `latencyJudged`/`p99Seconds`), `gate.failed`,
 * `weights.set` / `rollback.restored` (weights written).
 */
import type { Colour } from '../../../topology';
import type { DeployEvent } from '../ports';

export interface TimelinePoint {
  /** `before`, `step 1`, …, `final`, `restored`. */
  readonly label: string;
  /** Seconds since the run's first event. */
  readonly atSeconds: number;
  readonly blue: number;
  readonly green: number;
  /** Worst judged 5xx share of the new colour during this step (percent); absent when never judged. */
  readonly fiveXxPercent?: number;
  /** Worst judged p99 of the new colour during this step (milliseconds); absent when never judged. */
  readonly p99Ms?: number;
  /** The gate that failed during this step. */
  readonly failedGate?: string;
}

export interface Timeline {
  /** The colour the release went to (the one the bakes watched). */
  readonly colour?: Colour;
  readonly points: readonly TimelinePoint[];
}

/** Event types the timeline reads (a renderer keeps only these). */
export const TIMELINE_EVENTS: ReadonlySet<string> = new Set([
  'live-state',
  'bake.start',
  'bake.progress',
  'gate.failed',
  'weights.set',
  'rollback.restored',
]);

interface MutablePoint {
  label: string;
  atSeconds: number;
  blue: number;
  green: number;
  fiveXxPercent?: number;
  p99Ms?: number;
  failedGate?: string;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The timeline of a run, or undefined when the run wrote no weights (nothing to draw). */
export function timelineFromEvents(events: readonly DeployEvent[]): Timeline | undefined {
  const start = events[0]?.at;
  if (start === undefined) return undefined;
  const points: MutablePoint[] = [];
  let weights: { blue: number; green: number } | undefined;
  let colour: Colour | undefined;
  let writes = 0;
  const secs = (at: number) => Math.round((at - start) / 1000);
  for (const e of events) {
    const d = e.data ?? {};
    switch (e.type) {
      case 'live-state': {
        const w = d.weights as { blue?: unknown; green?: unknown } | undefined;
        const blue = num(w?.blue);
        const green = num(w?.green);
        if (blue !== undefined && green !== undefined && points.length === 0) {
          weights = { blue, green };
          points.push({ label: 'before', atSeconds: secs(e.at), ...weights });
        }
        break;
      }
      case 'weights.set':
      case 'rollback.restored': {
        const blue = num(d.blue);
        const green = num(d.green);
        if (blue === undefined || green === undefined) break;
        writes++;
        weights = { blue, green };
        if (e.type === 'rollback.restored')
          points.push({ label: 'restored', atSeconds: secs(e.at), ...weights });
        break;
      }
      case 'bake.start': {
        if (typeof d.colour === 'string') colour = d.colour as Colour;
        const w = (d.weights as { blue?: unknown; green?: unknown } | undefined) ?? weights;
        const blue = num(w?.blue);
        const green = num(w?.green);
        if (blue === undefined || green === undefined) break;
        const label =
          d.final === true
            ? 'final'
            : num(d.step) !== undefined
              ? `step ${d.step}`
              : String(d.label ?? 'bake');
        points.push({ label, atSeconds: secs(e.at), blue, green });
        break;
      }
      case 'bake.progress': {
        const p = points.at(-1);
        if (!p) break;
        const ratio = num(d.ratio);
        if (d.judged === true && ratio !== undefined)
          p.fiveXxPercent = Math.max(p.fiveXxPercent ?? 0, round(ratio * 100, 2));
        const p99 = num(d.p99Seconds);
        if (d.latencyJudged === true && p99 !== undefined)
          p.p99Ms = Math.max(p.p99Ms ?? 0, Math.round(p99 * 1000));
        break;
      }
      case 'gate.failed': {
        const p = points.at(-1);
        if (p && typeof d.gate === 'string') p.failedGate = d.gate;
        break;
      }
      default:
        break;
    }
  }
  if (writes === 0) return undefined;
  return { ...(colour ? { colour } : {}), points };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const quote = (s: string) => `"${s.replace(/"/g, "'")}"`;

/**
 * Markdown for the job summary: a traffic chart, a 5xx / p99 chart per metric that was judged at least
 * once, and the table. Values never judged are drawn as 0 on a chart (Mermaid lines cannot have gaps)
 * and shown as "not judged" in the table.
 */
export function timelineMarkdown(t: Timeline): string {
  const c = t.colour ?? 'green';
  const labels = `[${t.points.map((p) => quote(p.label)).join(', ')}]`;
  const chart = (title: string, axis: string, max: number, kind: 'bar' | 'line', values: number[]) =>
    [
      '```mermaid',
      'xychart-beta',
      `  title ${quote(title)}`,
      `  x-axis ${labels}`,
      `  y-axis ${quote(axis)} 0 --> ${max}`,
      `  ${kind} [${values.join(', ')}]`,
      '```',
    ].join('\n');
  const share = t.points.map((p) => p[c]);
  const out = [chart(`Traffic on ${c} (%)`, '%', 100, 'bar', share)];
  if (t.points.some((p) => p.fiveXxPercent !== undefined)) {
    const v = t.points.map((p) => p.fiveXxPercent ?? 0);
    out.push(chart(`5xx share of ${c} (%)`, '%', niceMax(Math.max(...v, 1)), 'line', v));
  }
  if (t.points.some((p) => p.p99Ms !== undefined)) {
    const v = t.points.map((p) => p.p99Ms ?? 0);
    out.push(chart(`p99 response time of ${c} (ms)`, 'ms', niceMax(Math.max(...v, 100)), 'line', v));
  }
  const rows = t.points.map(
    (p) =>
      `| ${p.label} | +${p.atSeconds}s | ${p.blue} / ${p.green} | ${p.fiveXxPercent !== undefined ? `${p.fiveXxPercent}%` : 'not judged'} | ${p.p99Ms !== undefined ? `${p.p99Ms} ms` : 'not judged'} | ${p.failedGate ? `**${p.failedGate} failed**` : ''} |`,
  );
  out.push(
    [
      `| step | at | blue / green (%) | 5xx of ${c} | p99 of ${c} | |`,
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
  return `${out.join('\n\n')}\n`;
}

/** A round axis maximum above `v` (1, 2, 5 × 10^n). */
function niceMax(v: number): number {
  const exp = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * exp >= v) return m * exp;
  return 10 * exp;
}
