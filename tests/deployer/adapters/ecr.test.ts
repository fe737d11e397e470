import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsRegistryAdapter } from '../../../services/deployer/src/adapters/ecr';

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
