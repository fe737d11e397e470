/** Test helpers: build a throwaway stack and evaluate the pack on it. */
import { TerraformStack, Testing } from 'cdktf';
import {
  evaluateGuardrails,
  type Finding,
  type GuardrailReport,
  type GuardrailsOptions,
  type Tier,
} from '../../../modules/guardrails';

export function stackWith(build: (stack: TerraformStack) => void, name = 'dev'): TerraformStack {
  const app = Testing.app();
  const stack = new TerraformStack(app, name);
  build(stack);
  return stack;
}

export function evaluate(
  build: (stack: TerraformStack) => void,
  tier: Tier = 'dev',
  options: Partial<GuardrailsOptions> = {},
): GuardrailReport {
  return evaluateGuardrails(stackWith(build, tier), { tier, ...options });
}

export function all(report: GuardrailReport): Finding[] {
  return [...report.errors, ...report.warnings];
}

/** Findings of one rule, as `<path>: <message>` strings for readable assertions. */
export function findingsOf(report: GuardrailReport, ruleId: string): string[] {
  return all(report)
    .filter((f) => f.ruleId === ruleId)
    .map((f) => `${f.path}: ${f.message}`);
}
