/** Suppressions: validated at the boundary, matched by rule id and construct path. */
import type { IConstruct } from 'constructs';
import type { Suppression } from './types';

/** Metadata type under which `suppress()` records a suppression on a construct node. */
export const SUPPRESSION_METADATA = 'switchyard:guardrails:suppress';

export const MIN_REASON_LENGTH = 10;

/** Problems with one suppression (empty when valid). `where` names it in the message. */
export function suppressionProblems(
  suppression: Partial<Suppression>,
  knownRuleIds: ReadonlySet<string>,
  where: string,
): string[] {
  const problems: string[] = [];
  const ruleId = suppression.ruleId;
  if (typeof ruleId !== 'string' || !knownRuleIds.has(ruleId)) {
    problems.push(
      `${where}: unknown guardrail rule id ${JSON.stringify(ruleId)} (known: ${[...knownRuleIds].join(', ')})`,
    );
  }
  const reason = typeof suppression.reason === 'string' ? suppression.reason.trim() : '';
  if (reason.length < MIN_REASON_LENGTH) {
    problems.push(
      `${where}: suppression of ${String(ruleId)} needs a written reason of at least ${MIN_REASON_LENGTH} characters (got ${JSON.stringify(suppression.reason ?? null)})`,
    );
  }
  if (
    suppression.resource !== undefined &&
    (typeof suppression.resource !== 'string' || suppression.resource === '')
  ) {
    problems.push(
      `${where}: suppression resource must be a non-empty construct path (got ${JSON.stringify(suppression.resource)})`,
    );
  }
  return problems;
}

/**
 * Whether `suppression.resource` covers the construct at `path` (`<stack>/<...>`): its segments must
 * appear as a contiguous run of whole path segments, so the full path, the path without the stack
 * prefix, a tail such as `ecs/alb`, or an ancestor (covering everything below it) all match, while
 * `repos/ap` does not match `repos/api`. No resource: every resource of the stack.
 */
export function suppressionCovers(suppression: Suppression, path: string): boolean {
  if (suppression.resource === undefined) return true;
  const wanted = suppression.resource.split('/').filter((s) => s !== '');
  const segments = path.split('/');
  if (wanted.length === 0) return false;
  for (let start = 0; start + wanted.length <= segments.length; start++) {
    if (wanted.every((w, i) => segments[start + i] === w)) return true;
  }
  return false;
}

/** Code suppressions recorded on `construct` and its ancestors (innermost first). */
export function codeSuppressionsFor(construct: IConstruct): Suppression[] {
  const found: Suppression[] = [];
  for (const scope of [...construct.node.scopes].reverse()) {
    for (const entry of scope.node.metadata) {
      if (entry.type === SUPPRESSION_METADATA) found.push(entry.data as Suppression);
    }
  }
  return found;
}
