/**
 * The second prod approval (hold after the canary) is decided by TIER, not by the environment's name:
 * the prod tier defaults `services[].deploy.holdAfter` to canary (environments/tiers.ts), the topology
 * publishes it, and the workflows pass no `--hold-after` of their own. all-at-once cannot hold after a
 * canary: refused at validation instead of on every CI deploy.
 */
import { deploymentSettingsSchema } from '../../services/topology';
import { problemsOf, resolved, validDoc } from './fixtures';

const service = (doc: Record<string, unknown>) => (doc.services as Record<string, unknown>[])[0]!;

test.each([
  ['dev', undefined],
  ['staging', undefined],
  ['prod', 'canary'],
] as const)('%s tier: holdAfter %s by default, published in the topology', (tier, hold) => {
  const deploy = resolved(validDoc(tier), tier).services[0]!.deploy;
  expect(deploy.holdAfter).toBe(hold);
  expect(deploymentSettingsSchema.parse(deploy).holdAfter).toBe(hold);
});

test('a new prod-tier environment (prod-eu) holds too: the tier decides, not the name', () => {
  const doc = { ...validDoc('prod'), name: 'prod-eu', tier: 'prod' };
  expect(resolved(doc, 'prod-eu').services[0]!.deploy.holdAfter).toBe('canary');
  const opted = { ...validDoc('prod'), name: 'prod-eu', tier: 'prod' };
  service(opted).deploy = { holdAfter: 'none' };
  expect(resolved(opted, 'prod-eu').services[0]!.deploy.holdAfter).toBe('none');
});

test('all-at-once with holdAfter canary (the prod default) is refused naming the field and both fixes', () => {
  const doc = validDoc('prod');
  service(doc).deploy = { strategy: 'all-at-once' };
  const problems = problemsOf(doc).join('\n');
  expect(problems).toMatch(/services\[0\]\.deploy\.strategy/);
  expect(problems).toMatch(
    /no step before 100%.*holdAfter: canary, the prod tier default.*"canary" or "linear".*holdAfter: none/,
  );
  service(doc).deploy = { strategy: 'all-at-once', holdAfter: 'none' };
  expect(resolved(doc).services[0]!.deploy.strategy).toBe('all-at-once');
  // dev: all-at-once is the default and nothing holds
  expect(resolved(validDoc('dev'), 'dev').services[0]!.deploy.strategy).toBe('all-at-once');
  const dev = validDoc('dev');
  service(dev).deploy = { holdAfter: 'canary' };
  expect(problemsOf(dev, 'dev').join('\n')).toMatch(/services\[0\]\.deploy\.strategy.*no step before 100%/);
});

test("names ending in -hold-expiry are reserved (the hold-expiry workflow's GitHub Environments)", () => {
  const doc = { ...validDoc('prod'), name: 'eu-hold-expiry', tier: 'prod' };
  const problems = problemsOf(doc, 'eu-hold-expiry').join('\n');
  expect(problems).toMatch(/name.*must not end in "-hold-expiry".*reserved/);
  expect(resolved({ ...validDoc('prod'), name: 'hold-expiry-eu', tier: 'prod' }, 'hold-expiry-eu').name).toBe(
    'hold-expiry-eu',
  );
});
