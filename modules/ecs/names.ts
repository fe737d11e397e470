import { createHash } from 'node:crypto';

/**
 * Joins name parts with `-`; when the result exceeds `max` characters (AWS limits: ALB and target
 * group names 32, IAM role names 64), keeps a prefix and appends a 6-character hash of the full name,
 * so names stay unique and stable across synths.
 */
export function boundedName(parts: readonly string[], max: number): string {
  const full = parts.join('-');
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  const head = full.slice(0, max - hash.length - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

/** Lower-case DNS-style name: starts with a letter, letters/digits/hyphens, no trailing hyphen. */
export const DNS_LABEL = /^[a-z]([a-z0-9-]*[a-z0-9])?$/;

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repository>` (ECR's registry host; China regions end in .com.cn). */
export function repositoryUriOf(s: {
  readonly repositoryAccountId: string;
  readonly repositoryRegion: string;
  readonly repositoryName: string;
}): string {
  const suffix = s.repositoryRegion.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${s.repositoryAccountId}.dkr.ecr.${s.repositoryRegion}.${suffix}/${s.repositoryName}`;
}
