/**
 * The evaluation engine: renders resources to their synthesized Terraform JSON, runs the rules
 * that apply, and applies suppressions. Shared by the aspect and by `evaluateGuardrails`.
 */
import { DefaultTokenResolver, StringConcat, TerraformResource, TerraformStack, Tokenization } from 'cdktf';
import type { IConstruct } from 'constructs';
import { asRecord } from './config';
import { RULES } from './rules';
import { codeSuppressionsFor, suppressionCovers, suppressionProblems } from './suppressions';
import type {
  Finding,
  GuardrailReport,
  GuardrailRule,
  ResourceView,
  RuleContext,
  SuppressedFinding,
  Suppression,
  Tier,
} from './types';

export interface GuardrailsOptions {
  /** Environment tier; prod-only rules (deletion protection, Multi-AZ) run only for `prod`. */
  readonly tier: Tier;
  /**
   * Suppressions from the environment YAML (`guardrails.suppressions`). Each needs a known rule id
   * and a reason of at least 10 characters, otherwise construction throws.
   * @default []
   */
  readonly suppressions?: readonly Suppression[];
  /**
   * The rules to run.
   * @default RULES (the whole pack)
   */
  readonly rules?: readonly GuardrailRule[];
}

const TIERS: readonly Tier[] = ['dev', 'staging', 'prod'];
const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** Thrown for invalid options/suppressions and by `assertNoGuardrailErrors`. */
export class GuardrailError extends Error {
  constructor(
    message: string,
    readonly lines: readonly string[],
  ) {
    super(message);
    this.name = 'GuardrailError';
  }
}

/** Validates options at the boundary; throws one GuardrailError listing every problem. */
export function validateOptions(options: GuardrailsOptions): void {
  const rules = options.rules ?? RULES;
  const known = new Set(rules.map((r) => r.id));
  const problems: string[] = [];
  if (!TIERS.includes(options.tier)) {
    problems.push(
      `guardrails.tier: must be one of ${TIERS.join(', ')} (got ${JSON.stringify(options.tier)})`,
    );
  }
  (options.suppressions ?? []).forEach((s, i) => {
    problems.push(...suppressionProblems(s, known, `guardrails.suppressions[${i}]`));
  });
  if (problems.length > 0) {
    throw new GuardrailError(`Invalid guardrail options:\n  ${problems.join('\n  ')}`, problems);
  }
}

/** The resolved Terraform JSON body of one resource (as in cdk.tf.json, `//` metadata removed). */
export function resourceView(resource: TerraformResource): ResourceView {
  const stack = TerraformStack.of(resource);
  const rendered = asRecord(
    Tokenization.resolve(resource.toTerraform(), { scope: stack, resolver: RESOLVER, preparing: false }),
  );
  const byType = asRecord(asRecord(rendered.resource)[resource.terraformResourceType]);
  const logicalId = Object.keys(byType)[0] ?? resource.friendlyUniqueId;
  const { '//': _metadata, ...config } = asRecord(byType[logicalId]);
  return { type: resource.terraformResourceType, logicalId, path: resource.node.path, config };
}

export function formatFinding(finding: Finding): string {
  return `${finding.path}: ${finding.ruleId}: ${finding.message}`;
}

/** Human-readable lines for a report (summary first). */
export function formatReport(report: GuardrailReport): string[] {
  const lines = [
    `guardrails ${report.stack} (tier ${report.tier}): ${report.errors.length} error(s), ` +
      `${report.warnings.length} warning(s), ${report.suppressed.length} suppressed`,
  ];
  for (const f of report.errors) lines.push(`  ERROR      ${formatFinding(f)}`);
  for (const f of report.warnings) lines.push(`  WARNING    ${formatFinding(f)}`);
  for (const f of report.suppressed) {
    lines.push(`  SUPPRESSED ${formatFinding(f)} (${f.source} suppression, reason: ${f.reason})`);
  }
  for (const s of report.unusedSuppressions) {
    lines.push(
      `  UNUSED     suppression of ${s.ruleId}${s.resource ? ` for ${s.resource}` : ''} matched nothing; remove it`,
    );
  }
  return lines;
}

/** Evaluation state for one stack; resources may be evaluated one by one (aspect) or all at once. */
export class StackEvaluation {
  private readonly rules: readonly GuardrailRule[];
  private readonly rulesByType = new Map<string, GuardrailRule[]>();
  private readonly contextTypes = new Set<string>();
  private context: RuleContext | undefined;
  private readonly results = new Map<string, { findings: Finding[]; suppressed: SuppressedFinding[] }>();
  private readonly usedSuppressions = new Set<Suppression>();

  constructor(
    readonly stack: TerraformStack,
    private readonly options: GuardrailsOptions,
  ) {
    this.rules = options.rules ?? RULES;
    for (const rule of this.rules) {
      for (const type of rule.appliesTo) {
        this.rulesByType.set(type, [...(this.rulesByType.get(type) ?? []), rule]);
        this.contextTypes.add(type);
      }
      for (const type of rule.contextTypes ?? []) this.contextTypes.add(type);
    }
  }

  /** Whether any rule applies to this construct. */
  applies(construct: IConstruct): construct is TerraformResource {
    return (
      TerraformResource.isTerraformResource(construct) &&
      this.rulesByType.has(construct.terraformResourceType)
    );
  }

  /** Runs the applicable rules on one resource; returns its unsuppressed findings. */
  evaluate(resource: TerraformResource): readonly Finding[] {
    const rules = this.rulesByType.get(resource.terraformResourceType) ?? [];
    const view = resourceView(resource);
    const context = this.ruleContext();
    const findings: Finding[] = [];
    const suppressed: SuppressedFinding[] = [];
    const code = codeSuppressionsFor(resource);
    for (const rule of rules) {
      for (const message of rule.check(view, context)) {
        const finding: Finding = {
          ruleId: rule.id,
          severity: rule.severity,
          path: view.path,
          resourceType: view.type,
          message,
        };
        const fromOptions = (this.options.suppressions ?? []).find(
          (s) => s.ruleId === rule.id && suppressionCovers(s, view.path),
        );
        const fromCode = code.find((s) => s.ruleId === rule.id);
        if (fromOptions) {
          this.usedSuppressions.add(fromOptions);
          suppressed.push({ ...finding, reason: fromOptions.reason.trim(), source: 'options' });
        } else if (fromCode) {
          suppressed.push({ ...finding, reason: fromCode.reason.trim(), source: 'code' });
        } else {
          findings.push(finding);
        }
      }
    }
    this.results.set(view.path, { findings, suppressed });
    return findings;
  }

  /** Evaluates every applicable resource of the stack. */
  evaluateAll(): void {
    for (const construct of this.stack.node.findAll()) {
      if (this.applies(construct) && TerraformStack.of(construct) === this.stack) this.evaluate(construct);
    }
  }

  report(): GuardrailReport {
    const all = [...this.results.values()];
    const findings = all.flatMap((r) => r.findings);
    return {
      stack: this.stack.node.id,
      tier: this.options.tier,
      errors: findings.filter((f) => f.severity === 'error'),
      warnings: findings.filter((f) => f.severity === 'warning'),
      suppressed: all.flatMap((r) => r.suppressed),
      unusedSuppressions: (this.options.suppressions ?? []).filter((s) => !this.usedSuppressions.has(s)),
    };
  }

  private ruleContext(): RuleContext {
    if (this.context === undefined) {
      const resources: ResourceView[] = [];
      for (const construct of this.stack.node.findAll()) {
        if (
          TerraformResource.isTerraformResource(construct) &&
          this.contextTypes.has(construct.terraformResourceType) &&
          TerraformStack.of(construct) === this.stack
        ) {
          resources.push(resourceView(construct));
        }
      }
      this.context = { tier: this.options.tier, resources };
    }
    return this.context;
  }
}

/**
 * The guardrail findings for one stack, without synthesizing it. Use in tests:
 * `expect(evaluateGuardrails(stack, { tier: 'prod' }).errors).toEqual([])`.
 */
export function evaluateGuardrails(stack: TerraformStack, options: GuardrailsOptions): GuardrailReport {
  validateOptions(options);
  const evaluation = new StackEvaluation(stack, options);
  evaluation.evaluateAll();
  return evaluation.report();
}

/** Throws a GuardrailError listing every error finding (`<path>: <rule>: <message>`) of the stack. */
export function assertNoGuardrailErrors(stack: TerraformStack, options: GuardrailsOptions): GuardrailReport {
  const report = evaluateGuardrails(stack, options);
  if (report.errors.length > 0) {
    const lines = report.errors.map(formatFinding);
    throw new GuardrailError(
      `Guardrails failed for stack ${report.stack}: ${lines.length} error(s)\n  ${lines.join('\n  ')}`,
      lines,
    );
  }
  return report;
}
