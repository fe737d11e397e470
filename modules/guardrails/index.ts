/**
 * Guardrails: a cdk-nag style rule pack for the Switchyard stacks.
 *
 *   applyGuardrails(stack, { tier: env.tier, suppressions: env.guardrails?.suppressions });
 *   suppress(construct, 'SY-LOG-1', 'why this is acceptable here');
 *   evaluateGuardrails(stack, { tier }) // findings without synth, for tests
 */
import type { IConstruct } from 'constructs';
import { GuardrailError } from './engine';
import { RULES } from './rules';
import { SUPPRESSION_METADATA, suppressionProblems } from './suppressions';

export { applyGuardrails, GuardrailsAspect, type GuardrailsAspectOptions } from './aspect';
export {
  assertNoGuardrailErrors,
  evaluateGuardrails,
  formatFinding,
  formatReport,
  GuardrailError,
  type GuardrailsOptions,
  resourceView,
} from './engine';
export { RULES } from './rules';
export { MODERN_TLS_POLICIES } from './rules/alb-tls-policy';
export { MIN_REASON_LENGTH, SUPPRESSION_METADATA } from './suppressions';
export type {
  Finding,
  GuardrailReport,
  GuardrailRule,
  ResourceView,
  RuleContext,
  Severity,
  SuppressedFinding,
  Suppression,
  Tier,
} from './types';

/**
 * Suppresses `ruleId` on `construct` and everything below it, with a written reason (>= 10
 * characters). Throws at once for an unknown rule id or a missing/short reason.
 */
export function suppress(construct: IConstruct, ruleId: string, reason: string): void {
  const problems = suppressionProblems(
    { ruleId, reason },
    new Set(RULES.map((r) => r.id)),
    `suppress(${construct.node.path})`,
  );
  if (problems.length > 0) throw new GuardrailError(problems.join('\n'), problems);
  construct.node.addMetadata(SUPPRESSION_METADATA, { ruleId, reason: reason.trim() }, { stackTrace: false });
}
