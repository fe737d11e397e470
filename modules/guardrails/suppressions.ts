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
 * Whether `suppression.resource` covers the construct at `path` (`<stack>/<...>`): the same path
 * or an ancestor, written with or without the stack prefix. No resource: the whole stack.
 */
export function suppressionCovers(suppression: Suppression, stackName: string, path: string): boolean {
  if (suppression.resource === undefined) return true;
  const wanted = suppression.resource.replace(/^\/+|\/+$/g, '');
  const candidates = [wanted, `${stackName}/${wanted}`];
  return candidates.some((c) => path === c || path.startsWith(`${c}/`));
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
