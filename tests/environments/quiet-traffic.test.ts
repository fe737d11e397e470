/**
 * `services[].deploy.quietTraffic` (issue 13 item 3): prod requires a smoke test of a service too quiet for
 * the 5xx gate by default; the other tiers allow it; a service opts in explicitly with `allow`.
 */
import { problemsOf, resolved, validDoc } from './fixtures';

test.each([
  ['dev', 'allow'],
  ['staging', 'allow'],
  ['prod', 'require-smoke-test'],
] as const)('%s tier default: %s', (tier, rule) => {
  expect(resolved(validDoc(tier), tier).services[0]!.deploy.quietTraffic).toBe(rule);
});

test('a prod service opts in explicitly; a wrong value is refused naming the field', () => {
  const doc = validDoc('prod');
  (doc.services as Record<string, unknown>[])[0]!.deploy = { quietTraffic: 'allow' };
  expect(resolved(doc).services[0]!.deploy.quietTraffic).toBe('allow');
  (doc.services as Record<string, unknown>[])[0]!.deploy = { quietTraffic: 'sometimes' };
  expect(problemsOf(doc).join('\n')).toMatch(/services\[0\]\.deploy\.quietTraffic/);
});
