/**
 * Terraform addresses a resource had under an earlier construct id, for `moved` blocks. The one place that
 * reaches into cdktf's private naming (cdktf is archived at 0.21, so it no longer changes); a test pins it
 * to the logical id cdktf gives a resource at that path.
 */
import { TerraformStack } from 'cdktf';
import { makeUniqueId } from 'cdktf/lib/private/unique';
import type { Construct } from 'constructs';

/** `<type>.<logical id>` of a resource that was (or would be) created as `new X(scope, id)`. */
export function resourceAddressAt(scope: Construct, type: string, id: string): string {
  const stack = TerraformStack.of(scope);
  const scopes = scope.node.scopes;
  const components = [...scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id), id];
  return `${type}.${makeUniqueId(components)}`;
}
