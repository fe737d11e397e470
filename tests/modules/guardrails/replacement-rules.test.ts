/**
 * Guardrail rules added for issue 12 (apply and replacement safety), one describe per rule.
 */
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { evaluate, findingsOf } from './build';

describe('SY-SG-2 duplicate security-group rules', () => {
  it('fails the second rule that grants the same permission, naming the first', () => {
    const report = evaluate((s) => {
      const sg = new SecurityGroup(s, 'alb', {});
      for (const id of ['test-0', 'test-1']) {
        new VpcSecurityGroupIngressRule(s, id, {
          securityGroupId: sg.id,
          cidrIpv4: '192.0.2.0/24',
          ipProtocol: 'tcp',
          fromPort: 8443,
          toPort: 8443,
        });
      }
    });
    expect(findingsOf(report, 'SY-SG-2')).toEqual([
      'dev/test-1: grants the same permission as dev/test-0; EC2 would reject it with InvalidPermission.Duplicate',
    ]);
  });

  it('passes rules that differ in port, source, group or direction', () => {
    const report = evaluate((s) => {
      const a = new SecurityGroup(s, 'a', {});
      const b = new SecurityGroup(s, 'b', {});
      const rule = { ipProtocol: 'tcp', fromPort: 443, toPort: 443 };
      new VpcSecurityGroupIngressRule(s, 'a-1', { ...rule, securityGroupId: a.id, cidrIpv4: '192.0.2.0/24' });
      new VpcSecurityGroupIngressRule(s, 'a-2', {
        ...rule,
        securityGroupId: a.id,
        cidrIpv4: '198.51.100.0/24',
      });
      new VpcSecurityGroupIngressRule(s, 'a-3', {
        ...rule,
        fromPort: 8443,
        toPort: 8443,
        securityGroupId: a.id,
        cidrIpv4: '192.0.2.0/24',
      });
      new VpcSecurityGroupIngressRule(s, 'b-1', { ...rule, securityGroupId: b.id, cidrIpv4: '192.0.2.0/24' });
      new VpcSecurityGroupEgressRule(s, 'a-out', {
        ...rule,
        securityGroupId: a.id,
        cidrIpv4: '192.0.2.0/24',
      });
    });
    expect(findingsOf(report, 'SY-SG-2')).toEqual([]);
  });
});

describe('SY-ECS-3 ECS scalable targets leave min/max capacity to the deployer', () => {
  const target = (ignoreChanges?: string[]) =>
    evaluate((s) => {
      new AppautoscalingTarget(s, 'scaling', {
        serviceNamespace: 'ecs',
        scalableDimension: 'ecs:service:DesiredCount',
        resourceId: 'service/c/api-blue',
        minCapacity: 1,
        maxCapacity: 4,
        lifecycle: ignoreChanges ? { ignoreChanges } : undefined,
      });
    });

  it('fails a target that ignores only min_capacity (the deployer writes max too)', () => {
    expect(findingsOf(target(['min_capacity']), 'SY-ECS-3')).toEqual([
      "dev/scaling: lifecycle.ignore_changes lacks max_capacity; an apply would undo the deployer's capacity range",
    ]);
    expect(findingsOf(target(), 'SY-ECS-3')).toHaveLength(1);
  });

  it('passes min and max ignored, and non-ECS targets', () => {
    expect(findingsOf(target(['min_capacity', 'max_capacity']), 'SY-ECS-3')).toEqual([]);
    const other = evaluate((s) => {
      new AppautoscalingTarget(s, 'table', {
        serviceNamespace: 'dynamodb',
        scalableDimension: 'dynamodb:table:ReadCapacityUnits',
        resourceId: 'table/t',
        minCapacity: 1,
        maxCapacity: 4,
      });
    });
    expect(findingsOf(other, 'SY-ECS-3')).toEqual([]);
  });
});
