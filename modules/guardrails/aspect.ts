/**
 * The cdk-nag style entry point: an Aspect that evaluates every resource it visits, annotates
 * findings on the construct, and makes synth fail when an error is left unsuppressed.
 */
import { Annotations, Aspects, type IAspect, TerraformStack } from 'cdktf';
import type { IConstruct } from 'constructs';
import {
  formatFinding,
  formatReport,
  GuardrailError,
  type GuardrailsOptions,
  StackEvaluation,
  validateOptions,
} from './engine';
import type { GuardrailReport } from './types';

export interface GuardrailsAspectOptions extends GuardrailsOptions {
  /**
   * Where the per-stack report (summary, warnings, suppressions used) is written when the stack is
   * validated during synth; `false` for silence.
   * @default one line at a time to stderr
   */
  readonly report?: ((line: string) => void) | false;
}

/**
 * `Aspects.of(stack).add(new GuardrailsAspect({ tier, suppressions }))`.
 *
 * Errors fail `app.synth()` twice over: a validation on the stack (run by cdktf after all aspects)
 * throws a GuardrailError whose `lines` are every error as `<stack>/<construct path>: SY-XXX-N:
 * <message>`; and each finding is also an error annotation on its construct, which cdktf refuses
 * even with `skipValidation` (and the cdktf CLI prints).
 */
export class GuardrailsAspect implements IAspect {
  private readonly evaluations = new Map<TerraformStack, StackEvaluation>();
  private readonly annotated = new Set<string>();
  private readonly lastReports = new Map<string, GuardrailReport>();

  constructor(private readonly options: GuardrailsAspectOptions) {
    validateOptions(options);
  }

  visit(node: IConstruct): void {
    if (TerraformStack.isStack(node)) {
      this.evaluationFor(node);
      return;
    }
    if (!isInStack(node)) return;
    const evaluation = this.evaluationFor(TerraformStack.of(node));
    if (!evaluation.applies(node)) return;
    for (const finding of evaluation.evaluate(node)) {
      const key = `${finding.path}\u0000${finding.ruleId}\u0000${finding.message}`;
      if (this.annotated.has(key)) continue;
      this.annotated.add(key);
      const text = `${finding.ruleId}: ${finding.message}`;
      if (finding.severity === 'error') Annotations.of(node).addError(text);
      else Annotations.of(node).addWarning(text);
    }
  }

  /** The report of the last validation of the named stack (after synth). */
  reportFor(stackName: string): GuardrailReport | undefined {
    return this.lastReports.get(stackName);
  }

  private evaluationFor(stack: TerraformStack): StackEvaluation {
    let evaluation = this.evaluations.get(stack);
    if (evaluation === undefined) {
      const created = new StackEvaluation(stack, this.options);
      evaluation = created;
      this.evaluations.set(stack, created);
      stack.node.addValidation({
        validate: () => {
          const report = created.report();
          this.lastReports.set(report.stack, report);
          const sink = this.options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
          if (sink !== false) for (const line of formatReport(report)) sink(line);
          if (report.errors.length > 0) {
            const lines = report.errors.map(formatFinding);
            throw new GuardrailError(
              `Guardrails refused stack ${report.stack}: ${lines.length} error(s)\n  ${lines.join('\n  ')}`,
              lines,
            );
          }
          return [];
        },
      });
    }
    return evaluation;
  }
}

function isInStack(node: IConstruct): boolean {
  return node.node.scopes.some((s) => TerraformStack.isStack(s));
}

/** `applyGuardrails(stack, { tier, suppressions })`: adds the aspect to the stack and returns it. */
export function applyGuardrails(stack: TerraformStack, options: GuardrailsAspectOptions): GuardrailsAspect {
  const aspect = new GuardrailsAspect(options);
  Aspects.of(stack).add(aspect);
  return aspect;
}
