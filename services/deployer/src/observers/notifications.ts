/**
 * Deploy notifications: start, hold, success, rollback and failure of a run, sent to the channels the
 * topology names (`notifications`: the environment's SNS topic and/or a Slack-compatible webhook whose URL
 * is read from the process environment, never from the topology). An observer of the run
 * (./run-observer.ts): it never blocks or fails it — every send has its own timeout, and a failed send is
 * a warning that names the channel, never its URL.
 *
 * What triggers what:
 *   start    — the event `release.started` (a deploy, promote or rollback began writing), with the plan
 *              the run announced just before (`plan` / `rollback.plan` event);
 *   hold     — an event of HOLD_EVENT_TYPES (a deploy held for approval), or a result with status `held`;
 *   success  — result `deployed` (deploy, promote, continue);
 *   rollback — result `rolled-back` (a gate failed, traffic back on the known-good colour), or a
 *              successful `switchyard rollback` / `abort` (result `ok`);
 *   failure  — result `failed` (traffic state unknown, lock lost, internal error). A simulated kill sends
 *              nothing: a killed process cannot.
 * Refusals, dry runs and "nothing to do" send nothing: nothing changed.
 */
import { NOTIFICATION_EVENTS, type NotificationEvent } from '../../../topology';
import type { DeployEvent } from '../ports';
import {
  Background,
  OBSERVER_REQUEST_TIMEOUT_MS,
  type RunObserver,
  type RunResult,
  type WarnFn,
  withTimeout,
} from './run-observer';

/** Events of a deploy held for approval (the hold/continue step machine emits them). */
export const HOLD_EVENT_TYPES: readonly string[] = ['deploy.held'];
/** Events announcing what a run is about to do (their message is the plan in one line). */
const PLAN_EVENT_TYPES: readonly string[] = ['plan', 'rollback.plan'];

/** One notification, channel-neutral. */
export interface NotificationMessage {
  readonly event: NotificationEvent;
  readonly environment: string;
  readonly service: string;
  /** `deploy`, `rollback`, `promote`… (`switchyard` + it), when known. */
  readonly command?: string;
  /** One line: what happened. */
  readonly title: string;
  /** More lines: the plan, the reason. */
  readonly details: readonly string[];
  /** When it happened (epoch ms). */
  readonly at: number;
  readonly actor?: string;
  /** The CI run (GitHub Actions run URL), when known. */
  readonly runUrl?: string;
  readonly dashboardUrl?: string;
}

/** Where notifications go (adapters/sns.ts, adapters/webhook.ts). */
export interface NotificationChannel {
  /** Names the channel in warnings, without secrets: `SNS topic arn:…`, `webhook ($SLACK_WEBHOOK_URL)`. */
  readonly label: string;
  send(message: NotificationMessage, signal: AbortSignal): Promise<void>;
}

export interface NotificationObserverOptions {
  readonly environment: string;
  readonly service: string;
  readonly channels: readonly NotificationChannel[];
  /** @default every NOTIFICATION_EVENTS */
  readonly events?: readonly NotificationEvent[];
  readonly warn: WarnFn;
  /** Per send. @default OBSERVER_REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
  readonly actor?: string;
  readonly runUrl?: string;
  readonly dashboardUrl?: string;
  /** Clock for the `at` of result-triggered notifications. @default Date.now */
  readonly now?: () => number;
}

/** The notification event a final result stands for, if any. Pure. */
export function resultEvent(r: RunResult): NotificationEvent | undefined {
  if ((r.data as { killed?: boolean } | undefined)?.killed) return undefined;
  switch (r.status) {
    case 'deployed':
      return 'success';
    case 'rolled-back':
      return 'rollback';
    case 'held':
      return 'hold';
    case 'failed':
      return 'failure';
    case 'ok':
      return r.command === 'rollback' || r.command === 'abort' ? 'rollback' : undefined;
    default:
      return undefined;
  }
}

const ICON: Readonly<Record<NotificationEvent, string>> = {
  start: '▶️',
  hold: '⏸️',
  success: '✅',
  rollback: '↩️',
  failure: '❌',
};

export function notificationObserver(o: NotificationObserverOptions): RunObserver {
  const background = new Background();
  const wanted = new Set<NotificationEvent>(o.events ?? NOTIFICATION_EVENTS);
  const sent = new Set<NotificationEvent>();
  const timeoutMs = o.timeoutMs ?? OBSERVER_REQUEST_TIMEOUT_MS;
  const now = o.now ?? Date.now;
  let plan: string | undefined;
  let command: string | undefined;

  const send = (event: NotificationEvent, title: string, details: string[], at: number) => {
    if (!wanted.has(event) || sent.has(event) || o.channels.length === 0) return;
    sent.add(event);
    const message: NotificationMessage = {
      event,
      environment: o.environment,
      service: o.service,
      ...(command ? { command } : {}),
      title: `${ICON[event]} ${title}`,
      details,
      at,
      ...(o.actor ? { actor: o.actor } : {}),
      ...(o.runUrl ? { runUrl: o.runUrl } : {}),
      ...(o.dashboardUrl ? { dashboardUrl: o.dashboardUrl } : {}),
    };
    for (const channel of o.channels) {
      background.run(
        () =>
          withTimeout(timeoutMs, `notification to ${channel.label}`, (signal) =>
            channel.send(message, signal),
          ),
        (e) =>
          o.warn(
            'notify.failed',
            `${event} notification not sent to ${channel.label}: ${(e as Error)?.message ?? String(e)} (the run is not affected)`,
          ),
      );
    }
  };
  const where = `${o.environment}/${o.service}`;

  return {
    emit(e: DeployEvent) {
      if (PLAN_EVENT_TYPES.includes(e.type)) plan = e.message;
      else if (e.type === 'release.started') {
        send('start', `started on ${where}${plan ? `: ${plan}` : ''}`, [e.message], e.at);
      } else if (HOLD_EVENT_TYPES.includes(e.type)) {
        send('hold', `held for approval on ${where}: ${e.message}`, plan ? [plan] : [], e.at);
      }
    },
    conclude(r: RunResult) {
      command = r.command;
      const event = resultEvent(r);
      if (!event) return;
      send(
        event,
        `switchyard ${r.command} ${where}: ${r.headline}`,
        [
          ...(r.reason ? [`reason: ${r.reason}`] : []),
          ...(plan && event !== 'start' ? [`plan: ${plan}`] : []),
        ],
        now(),
      );
    },
    settle: (deadline) => background.settle(deadline),
  };
}

// ------------------------------------------------------------------------------------- formats

/** Slack mrkdwn escaping: `&`, `<` and `>` (Slack: "Escaping text"). */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The text of the webhook body `{"text": …}` — Slack incoming-webhook JSON with mrkdwn (bold title,
 * `<url|label>` links), which Mattermost and Rocket.Chat incoming webhooks accept as well.
 */
export function slackText(m: NotificationMessage): string {
  const links = [
    ...(m.runUrl ? [`<${m.runUrl}|CI run>`] : []),
    ...(m.dashboardUrl ? [`<${m.dashboardUrl}|dashboard>`] : []),
  ];
  return [
    `*${slackEscape(m.title)}*`,
    ...m.details.map((d) => slackEscape(d)),
    ...(m.actor || links.length > 0
      ? [[...(m.actor ? [`by ${slackEscape(m.actor)}`] : []), ...links].join(' · ')]
      : []),
  ].join('\n');
}

/** SNS `Subject`: "UTF-8 text with no line breaks or control characters, and less than 100 characters". */
export function snsSubject(m: NotificationMessage): string {
  const flat = `switchyard ${m.environment}/${m.service}: ${m.event}${m.command ? ` (${m.command})` : ''}`
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length < 100 ? flat : `${flat.slice(0, 98)}…`;
}

/** SNS `Message`: plain text for e-mail subscribers (HTTPS subscribers get it inside SNS's JSON envelope). */
export function snsMessage(m: NotificationMessage): string {
  return [
    m.title,
    '',
    ...m.details,
    '',
    `environment: ${m.environment}`,
    `service: ${m.service}`,
    `at: ${new Date(m.at).toISOString()}`,
    ...(m.actor ? [`by: ${m.actor}`] : []),
    ...(m.runUrl ? [`CI run: ${m.runUrl}`] : []),
    ...(m.dashboardUrl ? [`dashboard: ${m.dashboardUrl}`] : []),
  ].join('\n');
}
