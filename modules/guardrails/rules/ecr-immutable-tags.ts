import type { GuardrailRule } from '../types';

export const ecrImmutableTags: GuardrailRule = {
  id: 'SY-ECR-1',
  severity: 'error',
  title: 'ECR repositories have immutable tags',
  explanation:
    'Promotion and rollback name images by tag; with mutable tags a push can silently change what `v1.2.3` ' +
    'means between staging and prod, and the release history no longer describes what ran. Set ' +
    '`imageTagMutability: "IMMUTABLE"` (the deployer still pins digests, this keeps tags honest for humans and ' +
    'audits).',
  appliesTo: ['aws_ecr_repository'],
  check: (resource) => {
    const mutability = resource.config.image_tag_mutability;
    return mutability === 'IMMUTABLE'
      ? []
      : [`image_tag_mutability is ${JSON.stringify(mutability ?? 'MUTABLE (default)')}: must be "IMMUTABLE"`];
  },
};
