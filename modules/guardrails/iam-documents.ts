/**
 * Reading IAM policy documents out of resolved Terraform JSON (pure), for the SY-IAM rules. A policy is
 * a JSON string (Terraform references such as `${aws_kms_key.x.arn}` may sit inside its values). A
 * policy that is a reference as a whole (`${data.aws_iam_policy_document.x.json}`) cannot be read at
 * synth time: `parsePolicy` returns undefined and the rules say nothing about it.
 */
import { asArray, asRecord } from './config';
import type { ResourceView, RuleContext } from './types';

export interface PolicyStatementView {
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly principal: Readonly<Record<string, unknown>> | string | undefined;
  readonly condition: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export function parsePolicy(value: unknown): PolicyStatementView[] | undefined {
  if (typeof value !== 'string' || /^\$\{[^}]*\}$/.test(value.trim())) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(value);
  } catch {
    return undefined;
  }
  return asArray(asRecord(doc).Statement).map((raw) => {
    const st = asRecord(raw);
    const strings = (v: unknown) => asArray(v).filter((x): x is string => typeof x === 'string');
    const principal = st.Principal;
    return {
      ...(typeof st.Sid === 'string' ? { sid: st.Sid } : {}),
      effect: String(st.Effect),
      actions: strings(st.Action),
      notActions: strings(st.NotAction),
      resources: strings(st.Resource),
      principal: typeof principal === 'string' ? principal : principal ? asRecord(principal) : undefined,
      condition: asRecord(st.Condition) as Record<string, Record<string, unknown>>,
    };
  });
}

/** True when an action pattern covers `service:Action` (IAM action matching is case-insensitive). */
export function actionCovers(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(action);
}

/**
 * True when an `aws_iam_policy` is used as a permissions boundary by some role of the stack (a boundary
 * `Allow *` grants nothing by itself: it caps what the role's own policies grant).
 */
export function isBoundaryPolicy(resource: ResourceView, context: RuleContext): boolean {
  const name = resource.config.name;
  const ref = `\${aws_iam_policy.${resource.logicalId}.arn}`;
  return context.resources.some((r) => {
    if (r.type !== 'aws_iam_role') return false;
    const boundary = r.config.permissions_boundary;
    return (
      boundary === ref ||
      (typeof boundary === 'string' && typeof name === 'string' && boundary.endsWith(`:policy/${name}`))
    );
  });
}

/** The identity-policy documents of a resource (inline role policy, or a managed policy that is not a boundary). */
export function identityPolicyOf(
  resource: ResourceView,
  context: RuleContext,
): PolicyStatementView[] | undefined {
  if (resource.type === 'aws_iam_policy' && isBoundaryPolicy(resource, context)) return undefined;
  return parsePolicy(resource.config.policy);
}
