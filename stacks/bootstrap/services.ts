/**
 * The AWS services an environment stack manages, derived from its Terraform resource types (pure).
 * The plan role may read the configuration of exactly these services and the apply role manage them;
 * tests/iam/services.test.ts fails when an environment stack gains a resource type this table does
 * not know, so a new module cannot land without its CI roles being able to plan and apply it.
 */

/** Terraform resource/data type prefix → IAM service prefix. Longest prefix wins. */
export const TERRAFORM_TYPE_SERVICES: Readonly<Record<string, string>> = {
  aws_vpc: 'ec2',
  aws_availability_zones: 'ec2',
  aws_subnet: 'ec2',
  aws_route: 'ec2',
  aws_internet_gateway: 'ec2',
  aws_nat_gateway: 'ec2',
  aws_eip: 'ec2',
  aws_security_group: 'ec2',
  aws_default_security_group: 'ec2',
  aws_flow_log: 'ec2',
  aws_ecs_: 'ecs',
  aws_lb: 'elasticloadbalancing',
  aws_db_: 'rds',
  aws_rds_: 'rds',
  aws_elasticache_: 'elasticache',
  aws_cloudwatch_log_: 'logs',
  aws_cloudwatch_metric_alarm: 'cloudwatch',
  aws_cloudwatch_composite_alarm: 'cloudwatch',
  aws_cloudwatch_dashboard: 'cloudwatch',
  aws_kms_: 'kms',
  aws_iam_: 'iam',
  aws_dynamodb_: 'dynamodb',
  aws_ssm_: 'ssm',
  aws_sns_: 'sns',
  aws_appautoscaling_: 'application-autoscaling',
  aws_s3_: 's3',
  aws_secretsmanager_: 'secretsmanager',
};

/** IAM service of a Terraform type (`aws_lb_listener_rule` → `elasticloadbalancing`), or undefined. */
export function serviceOfTerraformType(type: string): string | undefined {
  let best: string | undefined;
  for (const prefix of Object.keys(TERRAFORM_TYPE_SERVICES)) {
    if (type.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best ? TERRAFORM_TYPE_SERVICES[best] : undefined;
}

/** Every service of the table, sorted (what the CI roles are built for). */
export function environmentServices(): string[] {
  return [...new Set(Object.values(TERRAFORM_TYPE_SERVICES))].sort();
}

/**
 * Types of the environment stacks that the wholesale service grants above deliberately do not cover, and
 * how their plan reads are granted instead. ECR is not an environment service: its repositories are
 * shared by every environment (in the shared-services account), so no environment role gets `ecr:*` or
 * `ecr:Describe*` — only the three reads of modules/initial-image on its own repositories.
 */
export const SEPARATELY_GRANTED_TYPES: Readonly<Record<string, string>> = {
  terraform_data: 'Terraform builtin resource: no AWS call',
  aws_ecr_images: 'ecr:ListImages on the environment repositories (policies.ts RegistryReads)',
  aws_ecr_image:
    'ecr:DescribeImages and ecr:DescribeRepositories on the environment repositories (policies.ts RegistryReads)',
};
