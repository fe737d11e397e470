/**
 * The ECR lifecycle policy the bootstrap stack writes never expires an image carrying a retention mark
 * (issue 11 item 5): the synthesized policy JSON is evaluated on a repository of 100 images with the
 * deployer's marks (ops/retention.ts `retentionTags`) on old ones, by a small evaluator of the rules as
 * the ECR User Guide states them ("How lifecycle policies work" / "Lifecycle policy properties"):
 *
 * - rules are applied by `rulePriority`, lowest first;
 * - `tagged` + `tagPatternList`: "if you specify multiple tags, only images with all specified tags are
 *   selected"; `*` matches any characters; `any`: every image;
 * - `imageCountMoreThan` N: the selected images, newest push first, beyond the first N are expired;
 * - "An image that matches the tagging requirements of a higher priority rule cannot be expired by a
 *   rule with a lower priority"; "Rules can never mark images that are marked by higher priority rules,
 *   but can still identify them as if they haven't been expired"; "An image is expired by exactly one or
 *   zero rules".
 */
import { Testing } from 'cdktf';
import { loadConfiguration } from '../../environments/loader';
import { retentionTags } from '../../services/deployer/src/ops/retention';
import { BootstrapStack } from '../../stacks/bootstrap-stack';
import { type LifecycleRule, lifecyclePolicy, REPOSITORY_MUTABILITY } from '../../stacks/bootstrap/ecr';

interface Image {
  readonly digest: string;
  readonly pushedAt: number;
  readonly tags: readonly string[];
}

/** ECR's tag wildcard: `*` is any run of characters, the rest literal. */
function wildcard(pattern: string, tag: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(tag);
}

function selects(rule: LifecycleRule, image: Image): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'any') return true;
  if (s.tagStatus === 'untagged') return image.tags.length === 0;
  return (s.tagPatternList ?? []).every((p) => image.tags.some((t) => wildcard(p, t)));
}

/** Digests the policy expires (see the file comment for the rules modelled). */
function expired(policy: { rules: readonly LifecycleRule[] }, images: readonly Image[]): Set<string> {
  const out = new Set<string>();
  const shielded = new Set<string>();
  for (const rule of [...policy.rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
    const selected = images.filter((i) => selects(rule, i)).sort((a, b) => b.pushedAt - a.pushedAt);
    for (const i of selected.slice(rule.selection.countNumber)) {
      if (!shielded.has(i.digest) && !out.has(i.digest)) out.add(i.digest);
    }
    if (rule.selection.tagStatus !== 'any') for (const i of selected) shielded.add(i.digest);
  }
  return out;
}

const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const sha = (n: number) => n.toString(16).padStart(40, 'a');

/** 100 images, one push a day; the deployer's marks on old ones (prod lags behind dev). */
function repository(): Image[] {
  const prod = retentionTags('prod', 'api');
  const dev = retentionTags('dev', 'api');
  const marks: Record<number, string[]> = { 2: [prod.prev], 9: [prod.live], 97: [dev.prev], 99: [dev.live] };
  return Array.from({ length: 100 }, (_, n) => ({
    digest: digest(n),
    pushedAt: Date.UTC(2026, 0, 1) + n * 86_400_000,
    tags: [sha(n), ...(marks[n] ?? [])],
  }));
}

const markedDigests = (images: readonly Image[]) =>
  images.filter((i) => i.tags.some((t) => t.startsWith('sy-'))).map((i) => i.digest);

test('the synthesized policy keeps every marked digest and the newest 30; the rest expire', () => {
  const config = loadConfiguration();
  const doc = JSON.parse(
    Testing.synth(new BootstrapStack(Testing.app(), { project: config.project, environments: config.all })),
  ) as { resource: Record<string, Record<string, { policy: string }>> };
  const [synthesized] = Object.values(doc.resource.aws_ecr_lifecycle_policy!);
  const policy = JSON.parse(synthesized!.policy) as { rules: LifecycleRule[] };
  const images = repository();
  const gone = expired(policy, images);
  for (const d of markedDigests(images)) expect(gone.has(d)).toBe(false);
  // the newest 30 (marked ones among them count, as ECR identifies them too) stay; everything else goes
  const kept = images.filter((i) => !gone.has(i.digest)).map((i) => i.digest);
  expect(kept).toEqual([digest(2), digest(9), ...Array.from({ length: 30 }, (_, k) => digest(70 + k))]);
});

test('the mutation: without rule 1 the marked old images would expire (the shield is what keeps them)', () => {
  const images = repository();
  const unshielded = { rules: lifecyclePolicy(30).rules.filter((r) => r.rulePriority !== 1) };
  const gone = expired(unshielded, images);
  expect([digest(2), digest(9)].every((d) => gone.has(d))).toBe(true);
});

test("the deployer's mark names are exactly what the lifecycle rule and the mutability exclusion match", () => {
  const [rule1] = lifecyclePolicy(30).rules;
  const pattern = REPOSITORY_MUTABILITY.exclusionFilters[0].filter;
  for (const tag of Object.values(retentionTags('staging', 'api'))) {
    expect(wildcard(rule1!.selection.tagPatternList![0]!, tag)).toBe(true);
    expect(wildcard(pattern, tag)).toBe(true);
  }
  // a commit SHA tag (what build.yml pushes) is neither shielded nor movable
  expect(wildcard(pattern, sha(1))).toBe(false);
  // ECR tags are at most 128 characters: the longest environment and service names fit
  expect(retentionTags('a'.repeat(40), 'b'.repeat(24)).live.length).toBeLessThanOrEqual(128);
});
