/**
 * Upper bound of the size of a topology document once Terraform has resolved its references, so the
 * SSM parameter tier can be chosen at synth time: Standard holds 4 KB, Advanced 8 KB.
 *
 * Every unresolved token in the document is replaced by a placeholder as long as the longest value AWS
 * can return for that field (ARNs and names are bounded), then the JSON is measured in bytes.
 */
import { Token } from 'cdktf';
import { MAX_SERVICE_NAME_LENGTH } from './limits';

export const SSM_STANDARD_MAX_BYTES = 4096;
export const SSM_ADVANCED_MAX_BYTES = 8192;

/**
 * Longest resolved value per topology field (path with colours collapsed). Bounds: partition
 * `aws-us-gov` (10), region ≤ 20, account 12, ALB / target-group names ≤ 32, ELB ids 16 hex, ECS names
 * ≤ 255, task-definition family ≤ 255 plus a revision.
 */
const BOUNDS: Readonly<Record<string, number>> = {
  // the ECS service's `name` attribute is the name modules/ecs gives it: `<service>-<colour>`
  ecsServices: MAX_SERVICE_NAME_LENGTH + '-green'.length,
  targetGroupArns: 160, // arn:<p>:elasticloadbalancing:<r>:<acct>:targetgroup/<32>/<16>
  targetGroupArnSuffixes: 80, // targetgroup/<32>/<16>
  loadBalancerArnSuffix: 80, // app/<32>/<16>
  listenerArn: 200, // …:listener/app/<32>/<16>/<16>
  testListenerArn: 200,
  // AWS: "internal-name-123456789.region.elb.amazonaws.com" (ELB docs, internal load balancers): the
  // first label is a DNS label (≤ 63), so https://<≤63>.<region ≤20>.elb.amazonaws.com.cn:<port> ≤ 120
  testListenerUrl: 120,
  productionRuleArn: 220, // …:listener-rule/app/<32>/<16>/<16>/<16>
  testRuleArn: 220,
  baseTaskDefinitionArn: 340, // arn:<p>:ecs:<r>:<acct>:task-definition/<family ≤255>:<revision>
  deploymentTable: 255,
  'autoscaling.resourceIds': 600, // service/<cluster ≤255>/<service ≤255>
  'notifications.snsTopicArn': 320, // arn:<p>:sns:<r>:<acct>:<topic name ≤256>
};
/** Any other unresolved value (conservative). */
const DEFAULT_BOUND = 1024;

function boundOf(path: readonly string[]): number {
  const colourless = path.filter((p) => p !== 'blue' && p !== 'green');
  return BOUNDS[colourless.join('.')] ?? BOUNDS[colourless[0] ?? ''] ?? DEFAULT_BOUND;
}

function bounded(value: unknown, path: readonly string[]): unknown {
  if (typeof value === 'string') return Token.isUnresolved(value) ? 'x'.repeat(boundOf(path)) : value;
  if (Array.isArray(value)) return value.map((v, i) => bounded(v, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bounded(v, [...path, k])]));
  }
  return value;
}

/** Most bytes the document can take once resolved. */
export function maxResolvedBytes(document: object): number {
  return Buffer.byteLength(JSON.stringify(bounded(document, [])), 'utf8');
}

/** SSM tier that holds a document of at most `maxBytes`; undefined when no tier can. */
export function ssmTierFor(maxBytes: number): 'Standard' | 'Advanced' | undefined {
  if (maxBytes <= SSM_STANDARD_MAX_BYTES) return 'Standard';
  if (maxBytes <= SSM_ADVANCED_MAX_BYTES) return 'Advanced';
  return undefined;
}
