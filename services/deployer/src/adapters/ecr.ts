/**
 * RegistryPort on @aws-sdk/client-ecr, with DescribeImages (needs `ecr:DescribeImages`). For a
 * multi-architecture image the digest is the image index's digest, which is what a task definition
 * should pin.
 */
import { DescribeImagesCommand, type ECRClient, type ImageIdentifier } from '@aws-sdk/client-ecr';
import type { RegistryPort } from '../ports';
import { errorName, toPortError } from './errors';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export class AwsRegistryAdapter implements RegistryPort {
  constructor(private readonly client: ECRClient) {}

  private async describe(repositoryName: string, imageId: ImageIdentifier, what: string) {
    try {
      const out = await this.client.send(new DescribeImagesCommand({ repositoryName, imageIds: [imageId] }));
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
}
