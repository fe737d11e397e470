import type { GuardrailRule } from '../types';

/**
 * Tag pattern of the deployer's retention marks (`sy-live-<env>-<svc>`, `sy-prev-<env>-<svc>`): the only
 * tags that may move (ECR `IMMUTABLE_WITH_EXCLUSION` with a WILDCARD filter).
 */
export const RETENTION_MARK_PATTERN = 'sy-*';

export const ecrImmutableTags: GuardrailRule = {
  id: 'SY-ECR-1',
  severity: 'error',
  title: 'ECR repositories have immutable tags (only the retention marks may move)',
  explanation:
    'Promotion and rollback name images by tag; with mutable tags a push can silently change what `v1.2.3` ' +
    'means between staging and prod, and the release history no longer describes what ran. Set ' +
    '`imageTagMutability: "IMMUTABLE"`, or `IMMUTABLE_WITH_EXCLUSION` whose only exclusion is the deployer\'s ' +
    `retention marks (\`${RETENTION_MARK_PATTERN}\`), which it re-points as releases go live.`,
  appliesTo: ['aws_ecr_repository'],
  check: (resource) => {
    const mutability = resource.config.image_tag_mutability;
    if (mutability === 'IMMUTABLE') return [];
    if (mutability === 'IMMUTABLE_WITH_EXCLUSION') {
      const raw = resource.config.image_tag_mutability_exclusion_filter;
      const filters = Array.isArray(raw) ? (raw as Record<string, unknown>[]) : [];
      const other = filters.filter(
        (f) => f.filter_type !== 'WILDCARD' || f.filter !== RETENTION_MARK_PATTERN,
      );
      if (filters.length > 0 && other.length === 0) return [];
      return [
        `image_tag_mutability_exclusion_filter must be exactly the retention marks (WILDCARD "${RETENTION_MARK_PATTERN}") (got ${JSON.stringify(raw ?? [])})`,
      ];
    }
    return [
      `image_tag_mutability is ${JSON.stringify(mutability ?? 'MUTABLE (default)')}: must be "IMMUTABLE"`,
    ];
  },
};
