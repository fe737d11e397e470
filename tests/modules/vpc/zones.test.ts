/**
 * Issue 12 item 3: availability zones come from the region (data source), not `<region>a/b/c`.
 */
import { TerraformStack, Testing } from 'cdktf';
import { VpcModule, type VpcProps } from '../../../modules/vpc';
import { evaluateHcl, terraformAvailable, unwrapInterpolation } from '../../helpers/hcl';

interface Out {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
}

function synth(props: Partial<VpcProps>): Out {
  const stack = new TerraformStack(Testing.app(), 'test');
  new VpcModule(stack, 'vpc', {
    name: 'switchyard-test',
    region: 'ca-central-1',
    cidr: '10.0.0.0/16',
    ...props,
  });
  return JSON.parse(Testing.synth(stack)) as Out;
}

const subnets = (out: Out) => Object.values(out.resource.aws_subnet ?? {});
const zonesData = (out: Out) => {
  const all = Object.entries(out.data.aws_availability_zones ?? {});
  expect(all).toHaveLength(1);
  return { id: all[0]![0], body: all[0]![1] };
};

describe('zones read from the region (no list in the YAML)', () => {
  const out = synth({ azCount: 3 });
  const { id, body } = zonesData(out);

  it('asks for available zones that need no opt-in (no Local or Wavelength Zones)', () => {
    expect(body).toMatchObject({
      state: 'available',
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });
  });

  it('puts subnet i of every tier in the i-th zone the region offers, never a guessed <region>c', () => {
    expect(subnets(out)).toHaveLength(9);
    for (const s of subnets(out)) {
      expect(s.availability_zone).toMatch(
        new RegExp(`^\\$\\{element\\(data\\.aws_availability_zones\\.${id}\\.names, [012]\\)\\}$`),
      );
    }
    expect(JSON.stringify(out)).not.toMatch(/ca-central-1[abc]"/);
  });

  it('keeps a subnet in its zone if the list shifts later (ignore_changes availability_zone)', () => {
    for (const s of subnets(out)) expect(s.lifecycle).toEqual({ ignore_changes: ['availability_zone'] });
  });

  it('fails the plan with the zone list when the region offers fewer zones than azCount', () => {
    const [post] = (body.lifecycle as { postcondition: { condition: string; error_message: string }[] })
      .postcondition;
    expect(post!.condition).toBe('${length(self.names) >= 3}');
    expect(post!.error_message).toContain('vpc.azCount is 3. Lower vpc.azCount.');
    expect(post!.error_message).toContain('${join(", ", self.names)}');
  });
});

describe('an explicit zone list', () => {
  const zones = ['ca-central-1a', 'ca-central-1d'];
  const out = synth({ availabilityZones: zones });

  it('is used as written, and a later edit is a visible change (no ignore_changes)', () => {
    const used = subnets(out).map((s) => s.availability_zone);
    expect([...new Set(used)].sort()).toEqual(zones);
    for (const s of subnets(out)) expect(s.lifecycle).toBeUndefined();
  });

  it('is checked at plan time against the zones the account can use', () => {
    const { body } = zonesData(out);
    const [post] = (body.lifecycle as { postcondition: { condition: string; error_message: string }[] })
      .postcondition;
    expect(post!.condition).toBe(
      '${alltrue([for z in ["ca-central-1a","ca-central-1d"] : contains(self.names, z)])}',
    );
    expect(post!.error_message).toContain(
      'vpc.availabilityZones (ca-central-1a, ca-central-1d) names a zone that is not available',
    );
  });
});

describe('validation', () => {
  it.each<[Partial<VpcProps>, string]>([
    [{}, 'azCount must be 2 or 3 when availabilityZones is not given (got undefined)'],
    [{ azCount: 4 }, 'azCount must be 2 or 3 when availabilityZones is not given (got 4)'],
    [
      { availabilityZones: ['ca-central-1a', 'ca-central-1b'], azCount: 3 },
      'azCount (3) must equal the number of availabilityZones (2)',
    ],
    [
      { availabilityZones: ['ca-central-1a', 'ca-central-1-yto-1a'] },
      'zone ca-central-1-yto-1a is not in region ca-central-1',
    ],
  ])('%j is refused', (props, message) => {
    expect(() => synth(props)).toThrow(`VpcModule switchyard-test: ${message}`);
  });
});

/** Terraform's own evaluation of the synthesized postconditions (`self.names` replaced by a local). */
(terraformAvailable ? describe : describe.skip)('the zone checks evaluated by terraform console', () => {
  const post = (out: Out) =>
    (zonesData(out).body.lifecycle as { postcondition: { condition: string; error_message: string }[] })
      .postcondition[0]!;
  const evaluate = (out: Out, names: string[]) => {
    const { condition, error_message } = post(out);
    const sub = (s: string) => s.replace(/self\.names/g, 'local.names');
    // An HCL template: quotes inside its ${…} interpolations need no escaping (the messages have none outside).
    return evaluateHcl(`names = ${JSON.stringify(names)}`, [
      sub(unwrapInterpolation(condition)),
      `"${sub(error_message)}"`,
    ]);
  };
  it('azCount 3 in ca-central-1 (a, b, d): passes; with two zones it fails naming them', () => {
    const out = synth({ azCount: 3 });
    expect(evaluate(out, ['ca-central-1a', 'ca-central-1b', 'ca-central-1d'])[0]).toBe(true);
    const [ok, message] = evaluate(out, ['us-west-1b', 'us-west-1c']);
    expect(ok).toBe(false);
    expect(message).toBe(
      'ca-central-1 offers this account only 2 available zone(s) (us-west-1b, us-west-1c); vpc.azCount is 3. Lower vpc.azCount.',
    );
  });
  it('an explicit ca-central-1c (which does not exist) fails at plan time', () => {
    const out = synth({ availabilityZones: ['ca-central-1a', 'ca-central-1c'] });
    const offered = ['ca-central-1a', 'ca-central-1b', 'ca-central-1d'];
    expect(evaluate(out, offered)[0]).toBe(false);
    expect(evaluate(synth({ availabilityZones: ['ca-central-1a', 'ca-central-1d'] }), offered)[0]).toBe(true);
  });
});
