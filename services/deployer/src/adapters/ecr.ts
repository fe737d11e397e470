/**
 * RegistryPort on @aws-sdk/client-ecr.
 *
 * - resolveTag / hasDigest / describeImage: DescribeImages (`ecr:DescribeImages`). For a multi-architecture
 *   image the digest is the image index's digest, which is what a task definition should pin.
 * - tagImage (the `sy-*` retention marks): BatchGetImage reads the image's manifest and its media type,
 *   then PutImage puts that exact manifest again with the tag — "you can use the --image-tag option of
 *   the put-image command to retag an existing image … without pulling or pushing the image" (ECR User
 *   Guide, "Retagging an image"). PutImage "creates or updates the image manifest and tags associated
 *   with an image" (ECR API, PutImage); the repository lets only `sy-*` tags move
 *   (IMMUTABLE_WITH_EXCLUSION). The manifest must be byte for byte the one the digest names: the request
 *   carries `imageDigest`, which ECR checks (ImageDigestDoesNotMatchException: "The specified image
 *   digest does not match the digest that Amazon ECR calculated for the image"), and this adapter checks
 *   the SHA-256 itself before sending, so no other manifest is ever put. `acceptedMediaTypes` lists the
 *   index types too: without them ECR may answer a manifest list / OCI index with a single-platform
 *   manifest (which would not hash to the digest). PutImage of a tag already on that image answers
 *   ImageAlreadyExistsException ("The specified image has already been pushed, and there were no changes
 *   to the manifest or image tag after the last push"): the mark is already where it should be.
 *
 * The repositories live in the shared-services account: every request names `registryId` (the account
 * of the topology's repository URI); the client is in the repository's region (cli/runtime.ts).
 */
import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  type ECRClient,
  type ImageIdentifier,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { type ImageDetails, PortError, type RegistryPort, type TagResult } from '../ports';
import { errorName, toPortError } from './errors';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Manifest media types BatchGetImage may answer with as stored (single images and indexes). */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
] as const;

export interface RegistryLocation {
  /** Account holding the repositories (the registry id). @default the caller's account */
  readonly registryId?: string;
  /** Region of the repositories. @default the client's region */
  readonly region?: string;
}

/**
 * Account and region of an ECR repository URI (`<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<name>`),
 * or undefined when it is not one.
 */
export function registryOf(repositoryUri: string): Required<RegistryLocation> | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(repositoryUri);
  return m ? { registryId: m[1]!, region: m[2]! } : undefined;
}

/** `sha256:<hex>` of a manifest as ECR computes an image digest (SHA-256 of the manifest bytes). */
export function manifestDigest(manifest: string): string {
  return `sha256:${createHash('sha256').update(manifest, 'utf8').digest('hex')}`;
}

export class AwsRegistryAdapter implements RegistryPort {
  private readonly registry: { registryId?: string };

  constructor(
    private readonly client: ECRClient,
    location: RegistryLocation = {},
  ) {
    this.registry = location.registryId ? { registryId: location.registryId } : {};
  }

  private async describe(repositoryName: string, imageId: ImageIdentifier, what: string) {
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({ ...this.registry, repositoryName, imageIds: [imageId] }),
      );
      return out.imageDetails?.[0];
    } catch (err) {
      // The repository exists but holds no such image: an answer, not a failure.
      if (errorName(err) === 'ImageNotFoundException') return undefined;
      throw toPortError(err, what);
    }
  }

  async resolveTag(repositoryName: string, tag: string): Promise<string | undefined> {
    const detail = await this.describe(
      repositoryName,
      { imageTag: tag },
      `ECR DescribeImages ${repositoryName}:${tag}`,
    );
    return detail?.imageDigest;
  }

  async hasDigest(repositoryName: string, digest: string): Promise<boolean> {
    if (!DIGEST.test(digest)) return false;
    const detail = await this.describe(
      repositoryName,
      { imageDigest: digest },
      `ECR DescribeImages ${repositoryName}@${digest}`,
    );
    return detail?.imageDigest === digest;
  }

  async describeImage(repositoryName: string, digest: string): Promise<ImageDetails | undefined> {
    if (!DIGEST.test(digest)) return undefined;
    const detail = await this.describe(
      repositoryName,
      { imageDigest: digest },
      `ECR DescribeImages ${repositoryName}@${digest}`,
    );
    if (detail?.imageDigest !== digest) return undefined;
    return {
      digest,
      tags: [...(detail.imageTags ?? [])].sort(),
      ...(detail.imagePushedAt ? { pushedAt: detail.imagePushedAt.getTime() } : {}),
    };
  }

  async tagImage(repositoryName: string, digest: string, tag: string): Promise<TagResult> {
    if (!DIGEST.test(digest)) throw new PortError('invalid', `not an image digest: ${digest}`);
    const where = `${repositoryName}@${digest}`;
    let image;
    try {
      const out = await this.client.send(
        new BatchGetImageCommand({
          ...this.registry,
          repositoryName,
          imageIds: [{ imageDigest: digest }],
          acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
        }),
      );
      image = out.images?.find((i) => i.imageId?.imageDigest === digest) ?? out.images?.[0];
      if (!image?.imageManifest) {
        const f = out.failures?.[0];
        throw new PortError(
          'not-found',
          `ECR BatchGetImage ${where}: no manifest${f ? ` (${f.failureCode}: ${f.failureReason})` : ''}`,
        );
      }
    } catch (err) {
      throw err instanceof PortError ? err : toPortError(err, `ECR BatchGetImage ${where}`);
    }
    const manifest = image.imageManifest!;
    if (manifestDigest(manifest) !== digest) {
      throw new PortError(
        'invalid',
        `ECR BatchGetImage ${where} answered a manifest (${image.imageManifestMediaType ?? 'no media type'}) that does not hash to ${digest}; not re-tagging with another manifest`,
      );
    }
    try {
      await this.client.send(
        new PutImageCommand({
          ...this.registry,
          repositoryName,
          imageManifest: manifest,
          ...(image.imageManifestMediaType ? { imageManifestMediaType: image.imageManifestMediaType } : {}),
          imageDigest: digest,
          imageTag: tag,
        }),
      );
      return 'tagged';
    } catch (err) {
      if (errorName(err) === 'ImageAlreadyExistsException') return 'unchanged';
      throw toPortError(err, `ECR PutImage ${repositoryName}:${tag} → ${digest}`);
    }
  }
}
