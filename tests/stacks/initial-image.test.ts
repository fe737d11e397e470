/**
 * First apply without hand work (issue 11 item 4): each service of an environment starts from the newest
 * image pushed to its repository, pinned by digest at the environment's first apply and never changed by
 * later plans (modules/initial-image). Checked on the synthesized JSON of the real environments, and —
 * where a `terraform` binary is on PATH — with Terraform's own semantics: the postcondition, and the pin
 * across a later push (terraform_data is a builtin resource: apply and plan need no provider, no network).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { loadConfiguration, parseEnvironment } from '../../environments/loader';
import { InitialImage, nothingPushedMessage } from '../../modules/initial-image';
import { PlatformStack } from '../../stacks/platform-stack';
import { buildRuntime } from '../../stacks/runtime';
import { ctx, validDoc } from '../environments/fixtures';
import { evaluateHcl, terraformAvailable, unwrapInterpolation } from '../helpers/hcl';
import { FAKE_VPC, listOf, newStack, type Synth, synth } from '../helpers/stack';

const MULTI = path.join(__dirname, '../../environments/examples/multi-account');

function stackOf(env: string, dir?: string): Synth {
  const config = loadConfiguration(dir ? { dir } : {}).all.find((e) => e.name === env)!;
  return JSON.parse(Testing.synth(new PlatformStack(Testing.app(), { config }))) as Synth;
}

const one = (s: Synth, kind: 'data' | 'resource', type: string) => {
  const all = Object.entries((kind === 'data' ? s.data : s.resource)?.[type] ?? {});
  expect(all).toHaveLength(1);
  return { id: all[0]![0], body: all[0]![1] as Record<string, unknown> };
};

function containerImage(s: Synth): string {
  const [td] = listOf(s, 'aws_ecs_task_definition');
  // container_definitions holds Terraform references inside a JSON string: read the image field raw
  const m = /"image":"([^"]*)"/.exec(td!.container_definitions as string);
  return m![1]!;
}

describe.each([
  ['one account', undefined, '123456789012'],
  ['an account per environment', MULTI, '999999999999'],
])('%s: the newest pushed image, pinned', (_layout, dir, registryId) => {
  const s = stackOf('dev', dir);
  const listing = one(s, 'data', 'aws_ecr_images');
  const newest = one(s, 'data', 'aws_ecr_image');
  const pin = one(s, 'resource', 'terraform_data');

  test('reads the shared repository in its own account and region', () => {
    const where = { repository_name: 'switchyard/api', registry_id: registryId, region: 'eu-west-1' };
    expect(listing.body).toMatchObject(where);
    expect(newest.body).toMatchObject({ ...where, most_recent: true });
    // the newest image is read only once the listing passed its postcondition (clear message first)
    expect(newest.body.depends_on).toEqual([`data.aws_ecr_images.${listing.id}`]);
  });

  test('the task definition runs the pinned digest reference; later plans keep it (ignore_changes)', () => {
    expect(pin.body).toEqual({
      input: { image: `\${data.aws_ecr_image.${newest.id}.image_uri}` },
      lifecycle: { ignore_changes: ['input'] },
    });
    expect(containerImage(s)).toBe(`\${terraform_data.${pin.id}.output.image}`);
  });

  test('the topology still names the Terraform revision as the base the deployer copies', () => {
    const [param] = listOf(s, 'aws_ssm_parameter').filter((p) =>
      String(p.name).startsWith('/switchyard/dev/services/'),
    );
    expect(JSON.parse(param!.value as string).baseTaskDefinitionArn).toMatch(
      /^\$\{aws_ecs_task_definition\.[^.]+\.arn\}$/,
    );
  });
});

test('every environment of both layouts pins each service (no tag that must be pushed by hand)', () => {
  for (const dir of [undefined, MULTI]) {
    for (const env of ['dev', 'staging', 'prod']) {
      const s = stackOf(env, dir);
      expect(containerImage(s)).toMatch(/^\$\{terraform_data\.[^.]+\.output\.image\}$/);
      expect(JSON.stringify(s)).not.toContain(':bootstrap');
    }
  }
});

test('an explicit initialImageTag opts out: that tag, no registry read', () => {
  const doc = validDoc('dev');
  const [first] = doc.services as Record<string, unknown>[];
  const { config } = parseEnvironment(
    { ...doc, services: [{ ...first, initialImageTag: 'v0.0.1' }] },
    ctx('dev'),
  );
  const { stack } = newStack('dev');
  buildRuntime(stack, config!, FAKE_VPC);
  const s = synth(stack);
  expect(s.data?.aws_ecr_image).toBeUndefined();
  expect(s.resource?.terraform_data).toBeUndefined();
  expect(containerImage(s)).toBe('123456789012.dkr.ecr.eu-west-1.amazonaws.com/switchyard/api:v0.0.1');
});

test('bad props are refused with the field named', () => {
  const { stack } = newStack();
  expect(
    () =>
      new InitialImage(stack, 'x', {
        service: 'api',
        environment: 'dev',
        repositoryName: 'Switchyard/API',
        registryId: '12345',
        region: 'eu-west-1',
      }),
  ).toThrow(
    'InitialImage x: registryId must be 12 digits (got "12345"); repositoryName is not an ECR repository name (got "Switchyard/API")',
  );
});

(terraformAvailable ? describe : describe.skip)('Terraform semantics (terraform binary)', () => {
  test('an empty repository fails the plan with what to do; one image passes', () => {
    const s = stackOf('dev');
    const post = (
      one(s, 'data', 'aws_ecr_images').body.lifecycle as {
        postcondition: { condition: string; error_message: string }[];
      }
    ).postcondition[0]!;
    const condition = unwrapInterpolation(post.condition).replace(/self\./g, 'local.');
    const [empty, pushed] = evaluateHcl(
      'image_ids = []\nlater = [{ image_digest = "sha256:aa", image_tag = "0123456789abcdef0123456789abcdef01234567" }]',
      [condition, condition.replace('local.image_ids', 'local.later')],
    );
    expect([empty, pushed]).toEqual([false, true]);
    expect(post.error_message).toBe(
      nothingPushedMessage({
        service: 'api',
        environment: 'dev',
        repositoryName: 'switchyard/api',
        registryId: '123456789012',
        region: 'eu-west-1',
      }),
    );
    expect(post.error_message).toContain('Actions → build → Run workflow on main');
  });

  test('the listing guards the read: a failed postcondition stops the newest-image read; passing, both are read at plan time (no "read during apply" churn)', () => {
    // The same shape with Terraform's builtin data source (terraform_remote_state, local backend: no
    // provider, no network) standing in for aws_ecr_images / aws_ecr_image.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-guard-'));
    const state = (file: string, ids: string[]) =>
      fs.writeFileSync(
        path.join(dir, file),
        JSON.stringify({
          version: 4,
          terraform_version: '1.9.0',
          serial: 1,
          lineage: 'x',
          outputs: { image_ids: { value: ids, type: ['list', 'string'] } },
          resources: [],
        }),
      );
    const s = stackOf('dev');
    const listing = one(s, 'data', 'aws_ecr_images');
    const post = (listing.body.lifecycle as { postcondition: { condition: string; error_message: string }[] })
      .postcondition[0]!;
    const config = {
      data: {
        terraform_remote_state: {
          pushed: {
            backend: 'local',
            config: { path: 'listing.tfstate' },
            lifecycle: {
              postcondition: [
                {
                  condition: post.condition.replace('self.image_ids', 'self.outputs.image_ids'),
                  error_message: post.error_message,
                },
              ],
            },
          },
          newest: {
            backend: 'local',
            config: { path: 'newest.tfstate' },
            depends_on: ['data.terraform_remote_state.pushed'],
          },
        },
      },
      output: { newest: { value: '${data.terraform_remote_state.newest.outputs.image_ids}' } },
    };
    const tf = (...args: string[]) =>
      spawnSync('terraform', args, {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          TF_CLI_CONFIG_FILE: '/dev/null',
          CHECKPOINT_DISABLE: '1',
          TF_IN_AUTOMATION: '1',
        },
      });
    try {
      fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(config));
      expect(tf('init', '-input=false', '-backend=false').status).toBe(0);
      // nothing pushed: the listing's postcondition fails with its message; the newest image is never read
      // (its state file does not even exist — reading it would be a second, different error)
      state('listing.tfstate', []);
      const empty = tf('plan', '-input=false', '-no-color');
      expect(empty.status).toBe(1);
      expect(empty.stderr.replace(/\s+/g, ' ')).toContain(
        'no image has been pushed to ECR repository switchyard/api',
      );
      expect(empty.stderr.match(/Error:/g)).toHaveLength(1);
      expect(empty.stdout).toContain('data.terraform_remote_state.pushed: Read complete');
      expect(empty.stdout).not.toContain('data.terraform_remote_state.newest');
      // the mutation: without depends_on the newest image is read anyway and fails with a second error
      const unordered = JSON.parse(JSON.stringify(config));
      delete unordered.data.terraform_remote_state.newest.depends_on;
      fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(unordered));
      expect(tf('plan', '-input=false', '-no-color').stderr.match(/Error:/g)).toHaveLength(2);
      fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(config));
      // pushed: both read at plan time; applied, a second plan has nothing to do (exit 0)
      state('listing.tfstate', ['sha256:aa']);
      state('newest.tfstate', ['sha256:aa']);
      expect(tf('apply', '-input=false', '-auto-approve', '-no-color').status).toBe(0);
      const again = tf('plan', '-input=false', '-detailed-exitcode', '-no-color');
      expect({ status: again.status, deferred: /read during apply/.test(again.stdout) }).toEqual({
        status: 0,
        deferred: false,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  test('a later push changes nothing: the pin keeps the first digest (apply, then plan)', () => {
    const s = stackOf('dev');
    const pin = one(s, 'resource', 'terraform_data');
    const newestRef = (pin.body.input as { image: string }).image;
    // The synthesized pin, with the data source's image_uri fed by a variable (the "newest push").
    const config = {
      variable: { newest: { type: 'string' } },
      resource: {
        terraform_data: {
          [pin.id]: JSON.parse(JSON.stringify(pin.body).replace(newestRef, '${var.newest}')),
        },
      },
      output: { image: { value: `\${terraform_data.${pin.id}.output.image}` } },
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-pin-'));
    const tf = (...args: string[]) =>
      spawnSync('terraform', args, {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        env: {
          ...process.env,
          TF_CLI_CONFIG_FILE: '/dev/null',
          CHECKPOINT_DISABLE: '1',
          TF_IN_AUTOMATION: '1',
        },
      });
    const uri = (d: string) =>
      `123456789012.dkr.ecr.eu-west-1.amazonaws.com/switchyard/api@sha256:${d.repeat(64)}`;
    try {
      fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(config));
      expect(tf('init', '-input=false', '-backend=false').status).toBe(0);
      const first = tf('apply', '-input=false', '-auto-approve', `-var=newest=${uri('a')}`);
      expect(first.stderr).toBe('');
      expect(tf('output', '-raw', 'image').stdout).toBe(uri('a'));
      // a newer image was pushed: the plan has nothing to do (exit 0 = no changes)
      const later = tf('plan', '-input=false', '-detailed-exitcode', `-var=newest=${uri('b')}`);
      expect({ status: later.status, stderr: later.stderr }).toEqual({ status: 0, stderr: '' });
      expect(tf('output', '-raw', 'image').stdout).toBe(uri('a'));
      // without ignore_changes the same plan would replace the pin (the mutation that proves the test)
      const churning = JSON.parse(JSON.stringify(config));
      delete churning.resource.terraform_data[pin.id].lifecycle;
      fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(churning));
      expect(tf('plan', '-input=false', '-detailed-exitcode', `-var=newest=${uri('b')}`).status).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
