/**
 * The image the Terraform-registered task definition of a service starts with, chosen so that the first
 * infra apply never waits for an image that does not exist and never pushes one by hand.
 *
 * Design (README "From a new repository to production"): the build workflow pushes first (its dev deploy
 * is refused while dev is not applied, changing nothing); the environment's plan then reads the newest
 * image pushed to the service's repository and pins it, by digest, the first time the environment is
 * applied:
 *
 * - `data.aws_ecr_images` lists the repository (ECR ListImages) with a postcondition: an empty repository
 *   fails the plan with what to do (run the build first) instead of the provider's "Your query returned
 *   no results";
 * - `data.aws_ecr_image` with `most_recent = true` ("Return the most recently pushed image", provider
 *   docs; the `latest`-tag regression of 5.x was fixed by hashicorp/terraform-provider-aws#35269) gives
 *   `image_uri` = `<repository URL>@sha256:…` (ECR DescribeImages + DescribeRepositories);
 * - `terraform_data` stores it with `ignore_changes = [input]`: created once with the digest of that day,
 *   then never changed by later plans, so a new push never makes the task definition (and the topology's
 *   `baseTaskDefinitionArn`) churn. Releases never run this image: the deployer copies the task
 *   definition and swaps only the image (the deployer owns the revision); it is what the live colour runs
 *   until the first `switchyard deploy`, and what a rollback returns to before the first recorded
 *   release (the retention marks keep it then: `sy-prev-<env>-<service>`).
 *
 * The reads need `ecr:ListImages`, `ecr:DescribeImages` and `ecr:DescribeRepositories` on the repository
 * for the plan (and apply) role, cross-account through the repository policy (stacks/bootstrap/ecr.ts).
 */
import { DataAwsEcrImage } from '@cdktf/provider-aws/lib/data-aws-ecr-image';
import { DataAwsEcrImages } from '@cdktf/provider-aws/lib/data-aws-ecr-images';
import { DataResource, Token } from 'cdktf';
import { Construct } from 'constructs';

export interface InitialImageProps {
  /** Service name, for messages. Required. */
  readonly service: string;
  /** Environment name, for messages. Required. */
  readonly environment: string;
  /** ECR repository name (e.g. `switchyard/api`). Required. */
  readonly repositoryName: string;
  /** Account holding the repository (12 digits; the shared-services account). Required. */
  readonly registryId: string;
  /** Region of the repository. Required (the provider's region may be another one). */
  readonly region: string;
}

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

/** The postcondition's message when the repository holds no image yet (also asserted by tests). */
export function nothingPushedMessage(p: InitialImageProps): string {
  return `no image has been pushed to ECR repository ${p.repositoryName} (account ${p.registryId}, ${p.region}) yet, so the ${p.service} service of ${p.environment} has nothing to start. Push the first image — merge to main (ci passes, then the build workflow pushes it) or Actions → build → Run workflow on main — then plan ${p.environment} again. Nothing was changed.`;
}

export class InitialImage extends Construct {
  /** `data.aws_ecr_images`: every image id of the repository (ListImages). */
  readonly pushed: DataAwsEcrImages;
  /** `data.aws_ecr_image` with `most_recent`: the newest pushed image. */
  readonly newest: DataAwsEcrImage;
  /** `terraform_data` keeping the first newest digest (`ignore_changes = [input]`). */
  readonly pin: DataResource;
  /** `<repository URL>@sha256:…`, fixed at the environment's first apply (a Terraform reference). */
  readonly image: string;

  constructor(scope: Construct, id: string, props: InitialImageProps) {
    super(scope, id);
    const bad: string[] = [];
    if (!ACCOUNT.test(props.registryId)) bad.push(`registryId must be 12 digits (got "${props.registryId}")`);
    if (!REGION.test(props.region)) bad.push(`region must be an AWS region (got "${props.region}")`);
    if (!REPOSITORY.test(props.repositoryName))
      bad.push(`repositoryName is not an ECR repository name (got "${props.repositoryName}")`);
    if (bad.length > 0) throw new Error(`InitialImage ${id}: ${bad.join('; ')}`);

    const where = {
      repositoryName: props.repositoryName,
      registryId: props.registryId,
      region: props.region,
    };
    this.pushed = new DataAwsEcrImages(this, 'pushed', {
      ...where,
      lifecycle: {
        postcondition: [
          { condition: '${length(self.image_ids) > 0}', errorMessage: nothingPushedMessage(props) },
        ],
      },
    });
    // Read after the listing: an empty repository stops at the postcondition above, with its message,
    // before this read fails with the provider's own ("Your query returned no results").
    this.newest = new DataAwsEcrImage(this, 'newest', {
      ...where,
      mostRecent: true,
      dependsOn: [this.pushed],
    });
    this.pin = new DataResource(this, 'pin', {
      input: { image: this.newest.imageUri },
      // The first value stays: later pushes must not change the task definition (no churn); the
      // deployer owns every later revision.
      lifecycle: { ignoreChanges: ['input'] },
    });
    this.image = Token.asString(this.pin.interpolationForAttribute('output.image'));
  }
}
