/** Small pure helpers for reading resolved Terraform JSON. */
import type { ResourceView, RuleContext } from './types';

/** True for a literal `true` (booleans may also arrive as the strings Terraform accepts). */
export function isTrue(value: unknown): boolean {
  return value === true || value === 'true';
}

/** True for a literal `false` / absent value. */
export function isFalseOrAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === false || value === 'false';
}

/** `${...}` expression that cannot be judged at synth time. */
export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.includes('${');
}

export function asArray(value: unknown): readonly unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

export function asRecord(value: unknown): Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** First element of a nested block (Terraform JSON renders single blocks as an object or a one-item list). */
export function block(value: unknown): Readonly<Record<string, unknown>> {
  return asRecord(Array.isArray(value) ? value[0] : value);
}

/**
 * Logical id referenced by an expression such as `${aws_s3_bucket.logs.id}`, when the whole
 * value is a single reference to `type` through one of `attributes`; otherwise undefined.
 */
export function referencedLogicalId(
  value: unknown,
  type: string,
  attributes: readonly string[],
): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$/.exec(value);
  if (!match || match[1] !== type || !attributes.includes(match[3])) return undefined;
  return match[2];
}

export function resourcesOfType(context: RuleContext, ...types: readonly string[]): readonly ResourceView[] {
  return context.resources.filter((r) => types.includes(r.type));
}

/** A CIDR that matches every address (`0.0.0.0/0`, `::/0`, or any other `/0`). */
export function isWorldCidr(value: unknown): boolean {
  return typeof value === 'string' && /\/0$/.test(value.trim());
}

/** Security groups (logical ids) attached to an application load balancer in this stack. */
export function albSecurityGroupIds(context: RuleContext): ReadonlySet<string> {
  const ids = new Set<string>();
  for (const lb of resourcesOfType(context, 'aws_lb', 'aws_alb')) {
    const lbType = lb.config.load_balancer_type;
    if (lbType !== undefined && lbType !== 'application') continue;
    for (const sg of asArray(lb.config.security_groups)) {
      const id = referencedLogicalId(sg, 'aws_security_group', ['id']);
      if (id) ids.add(id);
    }
  }
  return ids;
}

/**
 * Whether some resource of `type` points at the bucket through its `bucket` argument, either by
 * reference (`${aws_s3_bucket.x.id}` / `.bucket`) or by the literal bucket name.
 */
export function bucketHasCompanion(bucket: ResourceView, context: RuleContext, type: string): ResourceView[] {
  const name = bucket.config.bucket;
  return resourcesOfType(context, type).filter((companion) => {
    const target = companion.config.bucket;
    if (referencedLogicalId(target, 'aws_s3_bucket', ['id', 'bucket']) === bucket.logicalId) return true;
    return typeof name === 'string' && !isExpression(name) && target === name;
  });
}

/** Parsed ECS `container_definitions` (a JSON string in Terraform), or an error message. */
export function parseContainerDefinitions(
  value: unknown,
): { readonly containers: readonly Readonly<Record<string, unknown>>[] } | { readonly error: string } {
  if (typeof value !== 'string') return { error: 'container_definitions is not a JSON string' };
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed)) return { error: 'container_definitions is not a JSON array' };
    return { containers: parsed.map(asRecord) };
  } catch {
    return {
      error:
        'container_definitions is not literal JSON (built with a Terraform function?); build it with JSON.stringify so guardrails can inspect it',
    };
  }
}

export function containerName(container: Readonly<Record<string, unknown>>, index: number): string {
  return typeof container.name === 'string' ? container.name : `#${index}`;
}
