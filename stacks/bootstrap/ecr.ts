/**
 * ECR policies of the service repositories (pure).
 *
 * Retention marks: the deployer tags the digest live in an environment `sy-live-<env>-<service>` and the
 * last known good one `sy-prev-<env>-<service>`, moving the tags with PutImage. So the repository is
 * IMMUTABLE except for `sy-*`: ECR "IMMUTABLE_WITH_EXCLUSION — all image tags within the repository
 * will be immutable, while allowing you to define some filters for tags that can be changed", filter
 * type WILDCARD (ECR API, ImageTagMutabilityExclusionFilter: filter pattern `^[0-9a-zA-Z._*-]{1,128}$`).
 *
 * Lifecycle: rule 1 selects every `sy-*`-tagged image with a count no repository reaches, so it
 * expires nothing, and "An image that matches the tagging requirements of a rule cannot be expired by
 * a rule with a lower priority" (ECR User Guide, "How lifecycle policies work"); rule 2 keeps the newest
 * N of the rest. "A rule with a tagStatus value of any must have the highest value for rulePriority and
 * be evaluated last" (ECR lifecycle policy properties).
 */

import { RETENTION_MARK_PATTERN } from '../../modules/guardrails/rules/ecr-immutable-tags';

/** Tag pattern of the deployer's retention marks (the guardrail SY-ECR-1 allows exactly this exclusion). */
export { RETENTION_MARK_PATTERN };

/** Count no repository reaches: the rule only shields marked images, it never expires one. */
export const KEEP_MARKED_COUNT = 9999;

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly description: string;
  readonly selection: {
    readonly tagStatus: 'tagged' | 'untagged' | 'any';
    readonly tagPatternList?: readonly string[];
    readonly countType: 'imageCountMoreThan';
    readonly countNumber: number;
  };
  readonly action: { readonly type: 'expire' };
}

export function lifecyclePolicy(keepImages: number): { rules: LifecycleRule[] } {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `never expire an image carrying a retention mark (${RETENTION_MARK_PATTERN}: live or last known good somewhere)`,
        selection: {
          tagStatus: 'tagged',
          tagPatternList: [RETENTION_MARK_PATTERN],
          countType: 'imageCountMoreThan',
          countNumber: KEEP_MARKED_COUNT,
        },
        action: { type: 'expire' },
      },
      {
        rulePriority: 2,
        description: `keep the newest ${keepImages} other images`,
        selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages },
        action: { type: 'expire' },
      },
    ],
  };
}

/** Mutability settings of a service repository (Terraform names). */
export const REPOSITORY_MUTABILITY = {
  imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
  exclusionFilters: [{ filterType: 'WILDCARD', filter: RETENTION_MARK_PATTERN }],
} as const;

/** ECR actions an environment account's roles need to pull (execution roles) and resolve digests. */
export const CROSS_ACCOUNT_PULL_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:BatchGetImage',
  'ecr:DescribeImages',
  'ecr:GetDownloadUrlForLayer',
] as const;

/**
 * ECR reads of a plan (and apply): the environment's first image is the newest pushed one
 * (modules/initial-image: `aws_ecr_images` = ListImages, `aws_ecr_image` = DescribeImages +
 * DescribeRepositories). Metadata only: no layer, no manifest.
 */
export const REGISTRY_READ_ACTIONS = [
  'ecr:DescribeImages',
  'ecr:DescribeRepositories',
  'ecr:ListImages',
] as const;

/**
 * What the release role needs to move its environment's retention marks: PutImage with the image's exact
 * manifest, read with BatchGetImage (ECR User Guide, "Retagging an image").
 */
export const RETENTION_MARK_ACTIONS = ['ecr:BatchGetImage', 'ecr:PutImage'] as const;

export interface PullGrant {
  readonly accountId: string;
  /** Role name patterns of that account allowed to pull (its environments' `<project>-<env>-*`). */
  readonly rolePatterns: readonly string[];
  /** Role names that plan/apply its environments (`<project>-<env>-plan`, `-apply`). @default [] */
  readonly planRoles?: readonly string[];
  /** Role names that release its environments (`<project>-<env>-release`). @default [] */
  readonly releaseRoles?: readonly string[];
}

/**
 * Repository policy letting environment accounts pull (the task execution roles) and resolve digests
 * (the release role's DescribeImages), their plan and apply roles read the image list (the first image),
 * and their release roles move the retention marks. Each account's root is the principal, narrowed to
 * the roles by `aws:PrincipalArn` (a role ARN principal must exist when the policy is set; the roles of
 * an environment stack are created later). `GetAuthorizationToken` stays in the caller's own account
 * (ECR: the token works for "any Amazon ECR registry that your IAM principal has access to").
 *
 * Limit: ECR authorizes PutImage per repository only — the action has no condition key naming the tag
 * (Service Authorization Reference, Amazon ECR: PutImage, resource `repository`, condition keys
 * `aws:ResourceTag/…` of the repository only). So a release role allowed to mark may move ANY `sy-*`
 * tag of the repository, including another environment's marks, and may add new tags to manifests
 * already there; it cannot move or overwrite any other tag (IMMUTABLE_WITH_EXCLUSION), upload layers
 * or delete images. A wrongly moved mark only removes that image's shield from the lifecycle policy
 * until the environment's next release marks it again (README, ECR retention).
 */
export function repositoryPolicy(partition: string, grants: readonly PullGrant[]): Record<string, unknown> {
  /** One statement: these actions to the account's roles matching `roles` (none: no statement). */
  const allow = (sid: string, accountId: string, actions: readonly string[], roles: readonly string[]) =>
    roles.length === 0
      ? []
      : [
          {
            Sid: `${sid}${accountId}`,
            Effect: 'Allow',
            Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
            Action: [...actions],
            Condition: {
              ArnLike: {
                'aws:PrincipalArn': roles.map((r) => `arn:${partition}:iam::${accountId}:role/${r}`),
              },
            },
          },
        ];
  return {
    Version: '2012-10-17',
    Statement: grants.flatMap((g) => [
      ...allow('PullFrom', g.accountId, CROSS_ACCOUNT_PULL_ACTIONS, g.rolePatterns),
      ...allow('ListImagesFrom', g.accountId, REGISTRY_READ_ACTIONS, g.planRoles ?? []),
      ...allow('RetentionMarksFrom', g.accountId, RETENTION_MARK_ACTIONS, g.releaseRoles ?? []),
    ]),
  };
}
