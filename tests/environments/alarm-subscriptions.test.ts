import { problemsOf, resolved, validDoc } from './fixtures';

const F = 'environments/prod.yaml';
const D = 'environments/dev.yaml';

function withSubscriptions(tier: 'dev' | 'prod', subscriptions: unknown): Record<string, unknown> {
  return { ...validDoc(tier), alarms: { subscriptions } };
}

describe('alarms.subscriptions', () => {
  it('resolves e-mail and HTTPS subscribers; none by default outside prod', () => {
    const config = resolved(
      withSubscriptions('prod', [
        { protocol: 'email', endpoint: 'oncall@example.com' },
        { protocol: 'https', endpoint: 'https://alerts.example.com/sns', autoConfirms: true },
      ]),
    );
    expect(config.alarms.subscriptions).toEqual([
      { protocol: 'email', endpoint: 'oncall@example.com' },
      { protocol: 'https', endpoint: 'https://alerts.example.com/sns', autoConfirms: true },
    ]);
    expect(resolved(validDoc('dev'), 'dev').alarms.subscriptions).toEqual([]);
  });

  it('refuses a prod environment whose alarms reach nobody', () => {
    expect(problemsOf(withSubscriptions('prod', []))).toEqual([
      `${F}: alarms.subscriptions: must list at least one subscriber in prod, e.g. [{ protocol: email, endpoint: oncall@example.com }]: alarms that reach nobody page nobody (got [])`,
    ]);
    const { alarms: _none, ...withoutAlarms } = validDoc('prod');
    expect(problemsOf(withoutAlarms)).toEqual([
      expect.stringMatching(/alarms\.subscriptions: must list at least one subscriber in prod/),
    ]);
    // Other tiers may run without subscribers.
    expect(problemsOf(withSubscriptions('dev', []), 'dev')).toEqual([]);
  });

  it('names each bad subscriber and how to fix it', () => {
    expect(
      problemsOf(
        withSubscriptions('dev', [
          { protocol: 'email', endpoint: 'not-an-address' },
          { protocol: 'http', endpoint: 'http://alerts.example.com' },
          { protocol: 'https', endpoint: 'http://alerts.example.com/sns' },
          { protocol: 'https', endpoint: 'https://alerts.example.com/sns?apikey=s3cr3t' },
          { protocol: 'email', endpoint: 'x@example.com', autoConfirms: true },
          { protocol: 'email', endpoint: 'oncall@example.com' },
          { protocol: 'email', endpoint: 'ONCALL@example.com' },
        ]),
        'dev',
      ),
    ).toEqual([
      `${D}: alarms.subscriptions[0].endpoint: must be an e-mail address (got "not-an-address")`,
      `${D}: alarms.subscriptions[1].protocol: must be "email" or "https" (plain http is refused: alarm contents would travel unencrypted) (got "http")`,
      `${D}: alarms.subscriptions[2].endpoint: must be an https:// URL (SNS would send alarm contents over plain HTTP otherwise) (got "http://alerts.example.com/sns")`,
      expect.stringMatching(
        /^environments\/dev\.yaml: alarms\.subscriptions\[3\]\.endpoint: must not carry a credential in the query \("apikey="\): the endpoint is stored in the Terraform state/,
      ),
      `${D}: alarms.subscriptions[4].autoConfirms: only applies to https endpoints (got true)`,
      `${D}: alarms.subscriptions[6]: repeats alarms.subscriptions[5] (SNS keeps one subscription per endpoint) (got "ONCALL@example.com")`,
    ]);
  });

  it('suggests the known field for a typo in a subscriber', () => {
    expect(
      problemsOf(withSubscriptions('dev', [{ protocol: 'email', endpont: 'a@example.com' }]), 'dev'),
    ).toEqual([
      `${D}: alarms.subscriptions[0].endpoint: required`,
      `${D}: alarms.subscriptions[0].endpont: unknown field (did you mean "endpoint"?)`,
    ]);
  });

  it('points the old alarms.snsEmail to its replacement', () => {
    expect(problemsOf({ ...validDoc('dev'), alarms: { snsEmail: 'oncall@example.com' } }, 'dev')).toEqual([
      `${D}: alarms.snsEmail: was replaced by alarms.subscriptions: [{ protocol: email, endpoint: "<address>" }] (got "oncall@example.com")`,
    ]);
  });
});
