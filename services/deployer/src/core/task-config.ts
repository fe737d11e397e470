/**
 * Task-definition configuration fingerprints and their diff (dry-run plan: which settings ride along when
 * a release is copied from Terraform's base revision instead of the live one). Values are hashed, never
 * kept: environment values and the like must not end up in plans, events or logs.
 */
import { createHash } from 'node:crypto';
import type { TaskDefinitionConfiguration, TaskDefinitionSummary } from '../ports';

/** JSON with object keys sorted at every level: equal configurations give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Short stable hash of a value (for equality only). */
export function fingerprint(value: unknown): string {
  return createHash('sha256')
    .update(canonicalJson(value) ?? 'undefined')
    .digest('hex')
    .slice(0, 16);
}

/**
 * Fingerprint of a task definition: each top-level field but `containerDefinitions` (hashed), and each
 * container by name with its definition minus `image` (hashed). Undefined fields are skipped.
 */
export function configurationFingerprint(
  fields: Readonly<Record<string, unknown>>,
  containers: readonly ({ readonly name?: string } & Record<string, unknown>)[],
): TaskDefinitionConfiguration {
  const f: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'containerDefinitions' || v === undefined) continue;
    f[k] = fingerprint(v);
  }
  const c: Record<string, string> = {};
  for (const { image: _image, ...rest } of containers) c[String(rest.name ?? '')] = fingerprint(rest);
  return { fields: f, containers: c };
}

export interface ConfigurationChanges {
  /** False when either side has no fingerprint: the revisions differ but the port cannot say how. */
  readonly known: boolean;
  /** Top-level fields that differ (added, removed or changed), sorted. */
  readonly fields: readonly string[];
  /** Containers that differ apart from their image: `name (changed|added|removed)`, sorted. */
  readonly containers: readonly string[];
}

/** What `base` changes compared with `live` (image of every container excluded). Pure. */
export function configurationDiff(
  base: TaskDefinitionSummary | undefined,
  live: TaskDefinitionSummary | undefined,
): ConfigurationChanges {
  const b = base?.configuration;
  const l = live?.configuration;
  if (!b || !l) return { known: false, fields: [], containers: [] };
  const keys = (x: Readonly<Record<string, string>>, y: Readonly<Record<string, string>>) =>
    [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  const fields = keys(b.fields, l.fields).filter((k) => b.fields[k] !== l.fields[k]);
  const containers = keys(b.containers, l.containers)
    .filter((k) => b.containers[k] !== l.containers[k])
    .map((k) =>
      l.containers[k] === undefined
        ? `${k} (added)`
        : b.containers[k] === undefined
          ? `${k} (removed)`
          : `${k} (changed)`,
    );
  return { known: true, fields, containers };
}
