/**
 * Deploy notifications: which run events and results send what, the channels (SNS Publish exactly, the
 * webhook's JSON and its secrecy), and that a hanging or failing channel never blocks or fails a run
 * beyond its timeout.
 */
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { snsChannel } from '../../../services/deployer/src/adapters/sns';
import { type FetchLike, webhookChannel } from '../../../services/deployer/src/adapters/webhook';
import {
  type NotificationChannel,
  type NotificationMessage,
  notificationObserver,
  resultEvent,
  slackText,
  snsSubject,
} from '../../../services/deployer/src/observers/notifications';
import { Background } from '../../../services/deployer/src/observers/run-observer';
import type { DeployEvent } from '../../../services/deployer/src/ports';
import { sdkError } from '../adapters/fixtures/sdk-error';

const ev = (type: string, message = type, data?: Record<string, unknown>): DeployEvent => ({
  at: Date.UTC(2026, 0, 1, 12, 0, 0),
  level: 'info',
  type,
  message,
  ...(data ? { data } : {}),
});

/** A channel that records what it was sent. */
function recorder(): NotificationChannel & { sent: NotificationMessage[] } {
  const sent: NotificationMessage[] = [];
  return { label: 'recorder', sent, send: async (m) => void sent.push(m) };
}

function observer(
  channels: NotificationChannel[],
  over: Partial<Parameters<typeof notificationObserver>[0]> = {},
) {
  const warnings: string[] = [];
  const o = notificationObserver({
    environment: 'prod',
    service: 'api',
    channels,
    warn: (_t, m) => warnings.push(m),
    actor: 'alice',
    runUrl: 'https://github.com/o/r/actions/runs/1',
    dashboardUrl:
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/switchyard-prod',
    now: () => Date.UTC(2026, 0, 1, 12, 30, 0),
    ...over,
  });
  return { o, warnings };
}

describe('what is sent when', () => {
  test('start (with the plan announced before it) and success', async () => {
    const ch = recorder();
    const { o } = observer([ch]);
    o.emit(ev('plan', 'deploy v1.2.0 to green (live: blue), canary: 10% → 100%'));
    o.emit(ev('release.started', 'release 20260101T120000Z-deploy-abc started'));
    o.emit(ev('bake.progress'));
    o.conclude?.({
      command: 'deploy',
      status: 'deployed',
      exitCode: 0,
      headline: 'deployed v1.2.0 to prod/api on green',
    });
    await o.settle?.(Date.now() + 1_000);
    expect(ch.sent.map((m) => [m.event, m.title])).toEqual([
      ['start', '▶️ started on prod/api: deploy v1.2.0 to green (live: blue), canary: 10% → 100%'],
      ['success', '✅ switchyard deploy prod/api: deployed v1.2.0 to prod/api on green'],
    ]);
    expect(ch.sent[1]).toMatchObject({
      command: 'deploy',
      actor: 'alice',
      environment: 'prod',
      service: 'api',
    });
  });

  test.each([
    [{ status: 'rolled-back', command: 'deploy', reason: 'latency: p99 …' }, 'rollback'],
    [{ status: 'ok', command: 'rollback' }, 'rollback'],
    [{ status: 'failed', command: 'deploy', reason: 'could not restore traffic' }, 'failure'],
    [{ status: 'held', command: 'deploy' }, 'hold'],
    [{ status: 'refused', command: 'deploy' }, undefined],
    [{ status: 'dry-run', command: 'deploy' }, undefined],
    [{ status: 'up-to-date', command: 'deploy' }, undefined],
    [{ status: 'ok', command: 'status' }, undefined],
    [{ status: 'failed', command: 'deploy', data: { killed: true } }, undefined],
  ])('result %j → %s', (r, expected) => {
    expect(resultEvent({ exitCode: 0, headline: 'h', ...r })).toBe(expected);
  });

  test('a held deploy (event) is announced once; the event filter and per-run dedupe hold', async () => {
    const ch = recorder();
    const { o } = observer([ch], { events: ['hold', 'failure'] });
    o.emit(ev('release.started'));
    o.emit(ev('deploy.held', 'canary at 10% held until 13:00 for approval'));
    o.emit(ev('deploy.held', 'again'));
    o.conclude?.({ command: 'deploy', status: 'held', exitCode: 4, headline: 'held' });
    await o.settle?.(Date.now() + 1_000);
    expect(ch.sent.map((m) => m.event)).toEqual(['hold']);
    expect(ch.sent[0].title).toBe(
      '⏸️ held for approval on prod/api: canary at 10% held until 13:00 for approval',
    );
  });

  test('a hanging channel costs at most its timeout, and says so; the other channel still gets it', async () => {
    const hang: NotificationChannel = { label: 'webhook ($HOOK)', send: () => new Promise(() => {}) };
    const ch = recorder();
    const { o, warnings } = observer([hang, ch], { timeoutMs: 50 });
    const t0 = Date.now();
    o.emit(ev('release.started')); // returns at once
    expect(Date.now() - t0).toBeLessThan(20);
    await o.settle?.(Date.now() + 5_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(ch.sent).toHaveLength(1);
    expect(warnings).toEqual([
      'start notification not sent to webhook ($HOOK): notification to webhook ($HOOK) timed out after 50 ms (the run is not affected)',
    ]);
  });

  test('a failing channel is a warning, never a throw', async () => {
    const bad: NotificationChannel = {
      label: 'SNS topic arn:aws:sns:eu-west-1:111111111111:switchyard-prod-alarms',
      send: async () => {
        throw new Error('AuthorizationError: not authorized to perform sns:Publish');
      },
    };
    const { o, warnings } = observer([bad]);
    expect(() =>
      o.conclude?.({ command: 'deploy', status: 'failed', exitCode: 1, headline: 'failed', reason: 'x' }),
    ).not.toThrow();
    await o.settle?.(Date.now() + 1_000);
    expect(warnings[0]).toMatch(
      /^failure notification not sent to SNS topic arn:aws:sns:.*: AuthorizationError/,
    );
  });
});

test('Background.settle waits at most until its deadline', async () => {
  const b = new Background();
  b.run(
    () => new Promise(() => {}),
    () => {},
  );
  const t0 = Date.now();
  await b.settle(Date.now() + 60);
  expect(Date.now() - t0).toBeLessThan(500);
  expect(b.size).toBe(1);
});

const message: NotificationMessage = {
  event: 'rollback',
  environment: 'prod',
  service: 'api',
  command: 'deploy',
  title: '↩️ switchyard deploy prod/api: rolled back v1.2.0 <canary> & more',
  details: ['reason: latency: p99 4.00s > 3.00s'],
  at: Date.UTC(2026, 0, 1, 12, 0, 0),
  actor: 'alice',
  runUrl: 'https://github.com/o/r/actions/runs/1',
};

describe('webhook (Slack-compatible)', () => {
  const URL_ = 'https://hooks.slack.com/services/T000/B000/SECRETSECRETSECRET';

  test('POSTs {"text"} with mrkdwn, refuses redirects, and never shows the URL', async () => {
    const calls: Parameters<FetchLike>[] = [];
    const fetchOk: FetchLike = async (...a) => {
      calls.push(a);
      return { ok: true, status: 200 };
    };
    const built = webhookChannel('SLACK_WEBHOOK_URL', { SLACK_WEBHOOK_URL: URL_ }, fetchOk);
    if (!('channel' in built)) throw new Error(built.problem);
    expect(built.channel.label).toBe('webhook ($SLACK_WEBHOOK_URL)');
    await built.channel.send(message, new AbortController().signal);
    expect(calls).toHaveLength(1);
    const [url, init] = calls[0];
    expect(url).toBe(URL_);
    expect(init).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      redirect: 'error',
    });
    expect(JSON.parse(init.body)).toEqual({
      text:
        '*↩️ switchyard deploy prod/api: rolled back v1.2.0 &lt;canary&gt; &amp; more*\n' +
        'reason: latency: p99 4.00s &gt; 3.00s\n' +
        'by alice · <https://github.com/o/r/actions/runs/1|CI run>',
    });
    expect(slackText(message)).toBe(JSON.parse(init.body).text);
  });

  test('HTTP errors and network errors are reported without the URL', async () => {
    const http500 = webhookChannel('H', { H: URL_ }, async () => ({ ok: false, status: 500 }));
    if (!('channel' in http500)) throw new Error('no channel');
    await expect(http500.channel.send(message, new AbortController().signal)).rejects.toThrow(/^HTTP 500$/);
    const refused = webhookChannel('H', { H: URL_ }, async () => {
      throw Object.assign(new TypeError(`fetch failed ${URL_}`), { cause: { code: 'ECONNREFUSED' } });
    });
    if (!('channel' in refused)) throw new Error('no channel');
    const err = await refused.channel.send(message, new AbortController().signal).catch((e: Error) => e);
    expect((err as Error).message).toBe('TypeError (ECONNREFUSED)');
    expect((err as Error).message).not.toContain('SECRET');
  });

  test('an unset or non-https variable is a problem that names the variable, never the value', () => {
    const unset = webhookChannel('SLACK_WEBHOOK_URL', {});
    expect(unset).toEqual({
      problem: expect.stringMatching(
        /^notifications\.webhookUrlEnv names \$SLACK_WEBHOOK_URL, which is not set in this process: no webhook notifications \(in GitHub Actions, map the secret into the job: env: SLACK_WEBHOOK_URL: \$\{\{ secrets\.SLACK_WEBHOOK_URL \}\}\)$/,
      ),
    });
    const http = webhookChannel('H', { H: 'http://hooks.example.com/x/SECRET' });
    expect(http).toEqual({ problem: '$H is not an https:// URL (http): no webhook notifications' });
    expect(JSON.stringify(http)).not.toContain('SECRET');
    expect(webhookChannel('H', { H: 'https://user:pw@hooks.example.com/x' })).toEqual({
      problem: '$H carries credentials (user:password@): no webhook notifications',
    });
  });
});

describe('SNS', () => {
  const client = new SNSClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
  });
  const sns = mockClient(client);
  const TOPIC = 'arn:aws:sns:eu-west-1:111111111111:switchyard-prod-alarms';
  beforeEach(() => sns.reset());

  test('one Publish: subject, plain-text message, attributes for filter policies', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await snsChannel(client, TOPIC).send(message, new AbortController().signal);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: 'switchyard prod/api: rollback (deploy)',
      Message: [
        message.title,
        '',
        'reason: latency: p99 4.00s > 3.00s',
        '',
        'environment: prod',
        'service: api',
        'at: 2026-01-01T12:00:00.000Z',
        'by: alice',
        'CI run: https://github.com/o/r/actions/runs/1',
      ].join('\n'),
      MessageAttributes: {
        event: { DataType: 'String', StringValue: 'rollback' },
        environment: { DataType: 'String', StringValue: 'prod' },
        service: { DataType: 'String', StringValue: 'api' },
      },
    });
  });

  test('errors map to PortError (the observer turns them into a warning)', async () => {
    sns
      .on(PublishCommand)
      .rejects(sdkError('AuthorizationError', 'not authorized', 403, SNSServiceException));
    await expect(snsChannel(client, TOPIC).send(message, new AbortController().signal)).rejects.toMatchObject(
      {
        name: 'PortError',
      },
    );
  });

  test('the subject stays under 100 characters with no line breaks', () => {
    const long = snsSubject({ ...message, service: 'x'.repeat(150), command: 'deploy\nrm' });
    expect(long.length).toBeLessThan(100);
    expect(long).not.toMatch(/[\n\r]/);
  });
});
