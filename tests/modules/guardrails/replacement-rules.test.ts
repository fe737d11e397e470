/**
 * Guardrail rules added for issue 12 (apply and replacement safety), one describe per rule.
 */
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TRAFFIC_TAGS } from '../../../modules/ecs';
import { PostgresDatabase, STORAGE_KMS_REPLACEMENT_TAG } from '../../../modules/rds';
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

describe('SY-RDS-5 storage-key changes cannot replace a database unguarded', () => {
  const db = (extra: Record<string, unknown>) =>
    evaluate((s) => {
      new DbInstance(s, 'db', {
        engine: 'postgres',
        instanceClass: 'db.t4g.micro',
        allocatedStorage: 20,
        storageEncrypted: true,
        ...extra,
      });
    });

  it('fails an instance with no guard at all', () => {
    expect(findingsOf(db({}), 'SY-RDS-5')).toEqual([
      'dev/db: has no guard against a storage-key change replacing it (no prevent_destroy, no storage-key precondition, no explicit opt-in)',
    ]);
  });

  it('fails the opt-in without a final snapshot', () => {
    const report = db({ tags: { [STORAGE_KMS_REPLACEMENT_TAG]: 'allowed' }, skipFinalSnapshot: true });
    expect(findingsOf(report, 'SY-RDS-5')).toEqual([
      'dev/db: opts into storage-key replacement but skips the final snapshot; set skip_final_snapshot = false',
    ]);
  });

  it('passes prevent_destroy, the opt-in with a final snapshot, and the module (every tier)', () => {
    expect(findingsOf(db({ lifecycle: { preventDestroy: true } }), 'SY-RDS-5')).toEqual([]);
    expect(
      findingsOf(
        db({ tags: { [STORAGE_KMS_REPLACEMENT_TAG]: 'allowed' }, skipFinalSnapshot: false }),
        'SY-RDS-5',
      ),
    ).toEqual([]);
    for (const tier of ['dev', 'staging', 'prod'] as const) {
      const report = evaluate((s) => {
        new PostgresDatabase(s, 'database', {
          environment: tier,
          vpcId: 'vpc-1',
          isolatedSubnetIds: ['a', 'b'],
          skipFinalSnapshot: tier === 'dev',
          deletionProtection: tier !== 'dev',
          multiAz: tier === 'prod',
        });
      }, tier);
      expect(findingsOf(report, 'SY-RDS-5')).toEqual([]);
    }
  });
});

describe('SY-ALB-5 weighted listener rules', () => {
  const weighted = (opts: { ignore?: string[]; cbd?: boolean; tag?: string; blueWeight?: number }) =>
    evaluate((s) => {
      const tg = (colour: string) =>
        new LbTargetGroup(s, `tg-${colour}`, {
          port: 8080,
          protocol: 'HTTP',
          targetType: 'ip',
          vpcId: 'vpc-1',
          tags: { [TRAFFIC_TAGS.colour]: colour },
        });
      const blue = tg('blue');
      const green = tg('green');
      new LbListenerRule(s, 'production', {
        listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/x/1/2',
        priority: 100,
        condition: [{ pathPattern: { values: ['/*'] } }],
        action: [
          {
            type: 'forward',
            forward: {
              targetGroup: [
                { arn: blue.arn, weight: opts.blueWeight ?? 100 },
                { arn: green.arn, weight: 100 - (opts.blueWeight ?? 100) },
              ],
            },
          },
        ],
        lifecycle: { ignoreChanges: opts.ignore ?? ['action'], createBeforeDestroy: opts.cbd },
        tags: opts.tag === undefined ? undefined : { [TRAFFIC_TAGS.initialColour]: opts.tag },
      });
    });

  it('passes the rule the ECS module builds', () => {
    expect(findingsOf(weighted({ tag: 'blue' }), 'SY-ALB-5')).toEqual([]);
  });

  it('fails a rule whose weights Terraform would reset, or that is created before destroyed', () => {
    expect(findingsOf(weighted({ tag: 'blue', ignore: [], cbd: true }), 'SY-ALB-5')).toEqual([
      'dev/production: lifecycle.ignore_changes lacks "action": every apply would reset the deployer\'s weights',
      'dev/production: create_before_destroy re-creates the rule next to itself (same priority) with reset weights',
    ]);
  });

  it('fails a rule without the colour tag, or whose tag disagrees with the declared action', () => {
    expect(findingsOf(weighted({}), 'SY-ALB-5')).toEqual([
      'dev/production: no switchyard:initial-colour tag: the plan guard cannot tell which colour a re-creation serves',
    ]);
    expect(findingsOf(weighted({ tag: 'green' }), 'SY-ALB-5')).toEqual([
      'dev/production: switchyard:initial-colour is "green" but the declared action serves "blue"',
    ]);
    expect(findingsOf(weighted({ tag: 'blue', blueWeight: 90 }), 'SY-ALB-5')).toEqual([
      'dev/production: switchyard:initial-colour is "blue" but the declared action serves 2 target groups',
    ]);
  });
});
