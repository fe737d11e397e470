/**
 * Types shared by the guardrail engine and the rules. Rules only see plain data (the resolved
 * Terraform JSON of a resource), never constructs, so each rule stays a pure function.
 */

/** `error` fails synth; `warning` is printed but does not fail. */
export type Severity = 'error' | 'warning';

/** Environment tier; tier-dependent rules (deletion protection, Multi-AZ) only bite in `prod`. */
export type Tier = 'dev' | 'staging' | 'prod';

/**
 * One Terraform resource as it will be synthesized: `config` is the resource body from
 * `TerraformResource.toTerraform()` with tokens resolved, so references read like
 * `${aws_kms_key.db_key.arn}` and keys are snake_case exactly as in `cdk.tf.json`
 * (including `lifecycle`, `depends_on` and any `addOverride` escape hatches).
 */
export interface ResourceView {
  /** Terraform type, e.g. `aws_db_instance`. */
  readonly type: string;
  /** Terraform logical id (the key under the type in `cdk.tf.json`). */
  readonly logicalId: string;
  /** Construct path including the stack, e.g. `dev/rds/instance`. */
  readonly path: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** What a rule may know beyond the resource itself. */
export interface RuleContext {
  readonly tier: Tier;
  /** Every resource of the stack whose type some rule needs (see `contextTypes`). */
  readonly resources: readonly ResourceView[];
}

export interface GuardrailRule {
  /** Stable id, `SY-<AREA>-<N>`; suppressions refer to it. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what is checked. */
  readonly title: string;
  /** One paragraph: why it matters and how to fix it. */
  readonly explanation: string;
  /** Terraform resource types the rule is evaluated on. */
  readonly appliesTo: readonly string[];
  /** Other resource types the rule reads from the context (e.g. the ALB that owns a security group). */
  readonly contextTypes?: readonly string[];
  /** Pure: returns one message per violation, empty when the resource passes. */
  check(resource: ResourceView, context: RuleContext): readonly string[];
}

/** A suppression, from YAML (`guardrails.suppressions`) or from code (`suppress()`). */
export interface Suppression {
  readonly ruleId: string;
  /**
   * Construct path the suppression applies to: the full path, the path without the stack prefix,
   * or a tail (`ecs/alb`), matched on whole segments; it covers that construct and everything
   * below it. Omitted: every resource of the stack.
   */
  readonly resource?: string;
  /** Why this is acceptable; at least 10 characters. */
  readonly reason: string;
}

export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** Construct path including the stack name. */
  readonly path: string;
  readonly resourceType: string;
  readonly message: string;
}

export interface SuppressedFinding extends Finding {
  readonly reason: string;
  /** `options` for YAML/options suppressions, `code` for `suppress()`. */
  readonly source: 'options' | 'code';
}

export interface GuardrailReport {
  readonly stack: string;
  readonly tier: Tier;
  readonly errors: readonly Finding[];
  readonly warnings: readonly Finding[];
  readonly suppressed: readonly SuppressedFinding[];
  /** Option suppressions that matched nothing (stale or mistyped paths). */
  readonly unusedSuppressions: readonly Suppression[];
}
