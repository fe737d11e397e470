/**
 * modules/ecs publishes what the deployer's smoke tests need: the test listener's URL (protocol, the
 * ALB's DNS name, the test port) and each service's smoke test (host defaulting to its single host
 * header).
 */
import { Testing } from 'cdktf';
import { EcsPlatform, type EcsPlatformProps } from '../../../modules/ecs';
import { parseTopology, topologyParameterName } from '../../../services/topology';
import { ecsPlatformProps, findBy, newStack, resolveInterpolations, synth } from '../../helpers/stack';

Testing.setupJest();

function topologies(props: Partial<EcsPlatformProps>) {
  const { stack } = newStack();
  const p = ecsPlatformProps({ environment: 'dev', ...props });
  new EcsPlatform(stack, 'ecs', p);
  const out = synth(stack);
  return (p.services ?? []).map((s) => {
    const param = findBy(out, 'aws_ssm_parameter', 'name', topologyParameterName('dev', s.name));
    return parseTopology(JSON.parse(resolveInterpolations(String(param.value))), 'synth');
  });
}

test('HTTPS: https://<ALB dns_name>:8443; the smoke test is published with the host from the routing', () => {
  const [api] = topologies({
    services: [
      {
        name: 'api',
        routing: { hostHeader: 'api.example.com' },
        smokeTest: { http: [{ path: '/health', bodyMatch: 'ok' }], command: ['npm', 'run', 'smoke'] },
      },
    ],
  });
  expect(api.testListenerUrl).toMatch(/^https:\/\/resolved:aws_lb\.ecs_alb_[A-Z0-9]+\.dns_name:8443$/);
  expect(api.smokeTest).toEqual({
    host: 'api.example.com',
    http: [{ path: '/health', bodyMatch: 'ok' }],
    command: ['npm', 'run', 'smoke'],
  });
});

test('plain HTTP on 8080; no smoke test → none published; an explicit host wins; a wildcard host is not a default', () => {
  const [a, b, c] = topologies({
    certificateArn: undefined,
    allowPlainHttp: true,
    services: [
      { name: 'api', routing: { pathPattern: '/api/*' } },
      {
        name: 'web',
        routing: { hostHeader: 'www.example.com' },
        smokeTest: { host: 'smoke.example.com', http: [{ path: '/' }] },
      },
      { name: 'adm', routing: { hostHeader: '*.example.com' }, smokeTest: { http: [{ path: '/' }] } },
    ],
  });
  expect(a.testListenerUrl).toMatch(/^http:\/\/.*dns_name:8080$/);
  expect(a.smokeTest).toBeUndefined();
  expect(b.smokeTest?.host).toBe('smoke.example.com');
  expect(c.smokeTest?.host).toBeUndefined();
});

test('a bad smoke test is refused at synth, naming the field', () => {
  const { stack } = newStack();
  expect(
    () =>
      new EcsPlatform(
        stack,
        'ecs',
        ecsPlatformProps({
          environment: 'dev',
          services: [{ name: 'api', smokeTest: { http: [{ path: 'health', bodyMatch: '(' }] } }],
        }),
      ),
  ).toThrow(
    /smokeTest\.http\.0\.path.*must start with "\/"[\s\S]*smokeTest\.http\.0\.bodyMatch.*valid regular expression/,
  );
});
