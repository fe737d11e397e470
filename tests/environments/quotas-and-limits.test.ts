/**
 * Issue 12 item 3: one ALB holds at most 100 target groups and 100 rules (refused at validation), and
 * synth warns when an environment — or the environments sharing an account and region — need more than
 * AWS's default quotas.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { synthesize } from '../../main';
import { EcsPlatform } from '../../modules/ecs';
import { MAX_SERVICES_PER_ENVIRONMENT } from '../../modules/ecs/limits';
import { environmentQuotaUse, quotaWarnings } from '../../environments/quotas';
import { ecsPlatformProps, newStack } from '../helpers/stack';
import { problemsOf, resolved, tempEnvironments, validDoc, validFiles } from './fixtures';

const service = (i: number) => ({
  name: `svc${i}`,
  imageRepository: `switchyard/svc${i}`,
  containerPort: 8080,
  routing: { pathPattern: `/svc${i}/*`, priority: 100 + i },
});
const withServices = (n: number, doc = validDoc()) => ({
  ...doc,
  services: [...Array(n).keys()].map(service),
});

describe('one load balancer per environment: at most 50 services', () => {
  it('is 50: 100 target groups and 100 rules, two of each per service', () => {
    expect(MAX_SERVICES_PER_ENVIRONMENT).toBe(50);
  });

  it('accepts 50 services', () => {
    expect(problemsOf(withServices(50))).toEqual([]);
  });

  it('refuses 51 (and 60) services at validation with the counts', () => {
    expect(problemsOf(withServices(51))).toEqual([
      "environments/prod.yaml: services: 51 services need 102 target groups and 102 listener rules on the environment's one load balancer (a blue and a green target group, a production and a test rule each), but an Application Load Balancer holds at most 100 target groups (not adjustable) and 100 rules (ELB quotas): at most 50 services per environment; move 1 of them to another environment",
    ]);
    expect(problemsOf(withServices(60))[0]).toContain(
      '60 services need 120 target groups and 120 listener rules',
    );
  });

  it('the ECS module refuses it too (props from code)', () => {
    const { stack } = newStack();
    expect(
      () =>
        new EcsPlatform(
          stack,
          'ecs',
          ecsPlatformProps({
            services: [...Array(51).keys()].map((i) => ({
              name: `svc${i}`,
              routing: { pathPattern: `/s${i}/*` },
            })),
          }),
        ),
    ).toThrow('services: 51 services need 102 target groups and 102 listener rules');
  });
});

describe('default quotas consumed per tier', () => {
  const dev = resolved({ ...validDoc('dev'), vpc: { cidr: '10.10.0.0/16' } }, 'dev');
  const staging = resolved({ ...validDoc('staging'), vpc: { cidr: '10.20.0.0/16' } }, 'staging');
  const prod = resolved(validDoc('prod'));

  it('matches the README tier table', () => {
    expect(environmentQuotaUse(dev)).toEqual({
      vpcs: 1,
      internetGateways: 1,
      elasticIps: 1,
      gatewayEndpoints: 1,
      interfaceEndpoints: 0,
      albs: 1,
      listenersPerAlb: 2,
      targetGroups: 2,
      targetsPerAlb: 4,
    });
    expect(environmentQuotaUse(staging)).toMatchObject({
      elasticIps: 1,
      interfaceEndpoints: 0,
      listenersPerAlb: 3,
      targetsPerAlb: 8,
    });
    expect(environmentQuotaUse(prod)).toMatchObject({
      elasticIps: 3,
      interfaceEndpoints: 4,
      listenersPerAlb: 3,
      targetsPerAlb: 24,
    });
  });

  it('dev + staging + prod in one account and region fit the defaults exactly (5 Elastic IPs): no warning', () => {
    expect(quotaWarnings([dev, staging, prod])).toEqual([]);
  });

  it('a fourth environment with per-AZ NAT in the same account and region is over the 5 Elastic IPs', () => {
    const qa = resolved(
      { ...validDoc('prod'), name: 'qa', tier: 'prod', vpc: { cidr: '10.40.0.0/16' } },
      'qa',
    );
    expect(quotaWarnings([dev, staging, prod, qa])).toEqual([
      'account 123456789012 eu-west-1: environments dev (1), staging (1), prod (3), qa (3) together need 8 of "Elastic IP addresses per Region" (default 5); request an increase in the Service Quotas console before applying (Amazon VPC quotas (Amazon VPC User Guide))',
    ]);
  });

  it('one environment over a default on its own is named with its file', () => {
    const big = resolved({
      ...withServices(26),
      services: withServices(26).services.map((s) => ({
        ...s,
        autoscaling: { min: 3, max: 20 },
        desiredCount: 3,
      })),
    });
    expect(environmentQuotaUse(big).targetsPerAlb).toBe(1040);
    expect(quotaWarnings([big])).toEqual([
      'environments/prod.yaml: needs 1040 of "Targets per Application Load Balancer" (default 1000 per load balancer); request an increase in the Service Quotas console before applying (Quotas for your Application Load Balancers (Elastic Load Balancing User Guide))',
    ]);
  });
});

describe('npm run synth prints the warnings (and still writes the stacks)', () => {
  it('synthesize returns them for every environment, also when only bootstrap is selected', () => {
    const files = {
      ...validFiles(),
      'qa.yaml': { ...validDoc('prod'), name: 'qa', tier: 'prod', vpc: { cidr: '10.40.0.0/16' } },
    };
    const outdir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-quota-')), 'cdktf.out');
    const result = synthesize({ outdir, environmentsDir: tempEnvironments(files), requested: 'bootstrap' });
    expect(result.stacks).toEqual(['bootstrap']);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('together need 8 of "Elastic IP addresses per Region" (default 5)');
  });
});

describe('the README quota table says what environmentQuotaUse computes', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const row = (label: string) => {
    const line = readme.split('\n').find((l) => l.startsWith(`| ${label}`));
    if (!line) throw new Error(`README has no quota row starting with "${label}"`);
    return line
      .split('|')
      .slice(2, 5)
      .map((c) => c.trim());
  };
  const tiers = [
    resolved({ ...validDoc('dev'), vpc: { cidr: '10.10.0.0/16' } }, 'dev'),
    resolved({ ...validDoc('staging'), vpc: { cidr: '10.20.0.0/16' } }, 'staging'),
    resolved(validDoc('prod')),
  ].map(environmentQuotaUse);

  it.each<[string, (u: (typeof tiers)[number]) => string]>([
    ['Elastic IP addresses per Region', (u) => String(u.elasticIps)],
    ['Interface endpoints per VPC', (u) => String(u.interfaceEndpoints)],
    ['Targets per ALB', (u) => `${u.targetsPerAlb} per service`],
  ])('%s', (label, cell) => {
    expect(row(label)).toEqual(tiers.map(cell));
  });
});
