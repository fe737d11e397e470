import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  ImageAlreadyExistsException,
  ImageNotFoundException,
  ImageTagAlreadyExistsException,
  PutImageCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsRegistryAdapter, manifestDigest, registryOf } from '../../../services/deployer/src/adapters/ecr';

const client = new ECRClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
});
const ecr = mockClient(client);
const adapter = new AwsRegistryAdapter(client);
const DIGEST = 'sha256:2222222222222222222222222222222222222222222222222222222222222222';

beforeEach(() => ecr.reset());

it('resolves a tag to its digest with DescribeImages', async () => {
  ecr.on(DescribeImagesCommand).resolves({
    imageDetails: [
      { repositoryName: 'switchyard/api', imageDigest: DIGEST, imageTags: ['v1.4.2', 'git-4f2a9c1'] },
    ],
  });
  await expect(adapter.resolveTag('switchyard/api', 'v1.4.2')).resolves.toBe(DIGEST);
  expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({
    repositoryName: 'switchyard/api',
    imageIds: [{ imageTag: 'v1.4.2' }],
  });
});

it('returns undefined for a tag that does not exist', async () => {
  ecr.on(DescribeImagesCommand).rejects(
    new ImageNotFoundException({
      message: "The image with imageId {imageTag:'nope'} does not exist",
      $metadata: {},
    }),
  );
  await expect(adapter.resolveTag('switchyard/api', 'nope')).resolves.toBeUndefined();
});

it('fails with not-found when the repository does not exist', async () => {
  ecr
    .on(DescribeImagesCommand)
    .rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));
  const err = await adapter.resolveTag('switchyard/nope', 'v1').catch((e) => e);
  expect(err.kind).toBe('not-found');
  expect(err.message).toContain('switchyard/nope:v1');
});

it('hasDigest asks by digest', async () => {
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
  await expect(adapter.hasDigest('switchyard/api', DIGEST)).resolves.toBe(true);
  expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({
    repositoryName: 'switchyard/api',
    imageIds: [{ imageDigest: DIGEST }],
  });
});

it('hasDigest is false when the image is not there, or the digest is malformed (without calling AWS)', async () => {
  ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'not found', $metadata: {} }));
  await expect(adapter.hasDigest('switchyard/api', DIGEST)).resolves.toBe(false);
  ecr.reset();
  await expect(adapter.hasDigest('switchyard/api', 'sha256:abc')).resolves.toBe(false);
  expect(ecr.calls()).toHaveLength(0);
});

// ---- the shared-services registry, the retention marks (PutImage) and the image's tags -----------------

describe('a registry in another account (the shared-services one)', () => {
  const shared = new AwsRegistryAdapter(client, { registryId: '999999999999' });

  it('every request names the registry id', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    await shared.resolveTag('switchyard/api', 'v1');
    await shared.hasDigest('switchyard/api', DIGEST);
    for (const c of ecr.commandCalls(DescribeImagesCommand))
      expect(c.args[0].input.registryId).toBe('999999999999');
  });

  it('registryOf reads account and region from a repository URI', () => {
    expect(registryOf('999999999999.dkr.ecr.eu-central-1.amazonaws.com/switchyard/api')).toEqual({
      registryId: '999999999999',
      region: 'eu-central-1',
    });
    expect(registryOf('111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/switchyard/api')).toEqual({
      registryId: '111111111111',
      region: 'cn-north-1',
    });
    expect(registryOf('ghcr.io/example/api')).toBeUndefined();
  });
});

describe('tagImage: a retention mark = PutImage of the image’s exact manifest', () => {
  const shared = new AwsRegistryAdapter(client, { registryId: '999999999999' });
  // A real-looking manifest and its digest (ECR: SHA-256 of the manifest bytes).
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: 1470,
      digest: `sha256:${'c'.repeat(64)}`,
    },
    layers: [
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
        size: 3,
        digest: `sha256:${'d'.repeat(64)}`,
      },
    ],
  });
  const digest = manifestDigest(manifest);
  const found = () =>
    ecr.on(BatchGetImageCommand).resolves({
      images: [
        {
          imageId: { imageDigest: digest },
          imageManifest: manifest,
          imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
        },
      ],
      failures: [],
    });

  it('reads the manifest with every manifest media type accepted, then puts it back with the tag', async () => {
    found();
    ecr.on(PutImageCommand).resolves({});
    await expect(shared.tagImage('switchyard/api', digest, 'sy-live-prod-api')).resolves.toBe('tagged');
    expect(ecr.commandCalls(BatchGetImageCommand)[0].args[0].input).toEqual({
      registryId: '999999999999',
      repositoryName: 'switchyard/api',
      imageIds: [{ imageDigest: digest }],
      acceptedMediaTypes: [
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ],
    });
    expect(ecr.commandCalls(PutImageCommand)[0].args[0].input).toEqual({
      registryId: '999999999999',
      repositoryName: 'switchyard/api',
      imageManifest: manifest,
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      imageDigest: digest,
      imageTag: 'sy-live-prod-api',
    });
  });

  it('a tag already on the image is "unchanged" (ImageAlreadyExistsException)', async () => {
    found();
    ecr.on(PutImageCommand).rejects(
      new ImageAlreadyExistsException({
        message: 'Image with digest and tag sy-live-prod-api already exists',
        $metadata: {},
      }),
    );
    await expect(shared.tagImage('switchyard/api', digest, 'sy-live-prod-api')).resolves.toBe('unchanged');
  });

  it('a manifest that does not hash to the digest is never put', async () => {
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageId: { imageDigest: digest }, imageManifest: `${manifest} ` }],
    });
    const err = await shared.tagImage('switchyard/api', digest, 'sy-live-prod-api').catch((e) => e);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('does not hash to');
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('an image that is gone: not-found with ECR’s failure, no PutImage', async () => {
    ecr.on(BatchGetImageCommand).resolves({
      images: [],
      failures: [
        {
          imageId: { imageDigest: digest },
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        },
      ],
    });
    const err = await shared.tagImage('switchyard/api', digest, 'sy-prev-prod-api').catch((e) => e);
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain('ImageNotFound');
    expect(ecr.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('an immutable tag (not sy-*) is refused by ECR: a conflict error naming it', async () => {
    found();
    ecr
      .on(PutImageCommand)
      .rejects(
        new ImageTagAlreadyExistsException({ message: "The image tag 'v1' already exists", $metadata: {} }),
      );
    const err = await shared.tagImage('switchyard/api', digest, 'v1').catch((e) => e);
    expect(err.message).toContain('ECR PutImage switchyard/api:v1');
    expect(err.message).toContain('already exists');
  });

  it('a malformed digest is refused without calling AWS', async () => {
    await expect(shared.tagImage('switchyard/api', 'sha256:abc', 'sy-live-prod-api')).rejects.toThrow(
      'not an image digest',
    );
    expect(ecr.calls()).toHaveLength(0);
  });
});

it('describeImage: the image’s tags (e.g. the commit SHA build.yml pushed it with), sorted', async () => {
  const pushed = new Date('2026-03-01T10:00:00Z');
  ecr.on(DescribeImagesCommand).resolves({
    imageDetails: [
      {
        imageDigest: DIGEST,
        imageTags: ['sy-live-dev-api', '0123456789abcdef0123456789abcdef01234567'],
        imagePushedAt: pushed,
      },
    ],
  });
  await expect(adapter.describeImage('switchyard/api', DIGEST)).resolves.toEqual({
    digest: DIGEST,
    tags: ['0123456789abcdef0123456789abcdef01234567', 'sy-live-dev-api'],
    pushedAt: pushed.getTime(),
  });
  ecr.reset();
  ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'not found', $metadata: {} }));
  await expect(adapter.describeImage('switchyard/api', DIGEST)).resolves.toBeUndefined();
});
