/**
 * What the runtime attaches to a command's renderer when it opens a service (cli/runtime.ts):
 *
 * - the `dashboard` event (once per environment): the environment's CloudWatch dashboard
 *   (services/topology/dashboard.ts), printed for people and linked from the job summary;
 * - the TrafficWeight observer (AWS only): `Switchyard/TrafficWeight` at every weight write;
 * - the notification observer when the topology has `notifications`: its SNS topic and/or the webhook
 *   whose URL is in the environment variable it names. Under `--simulate` nothing leaves the machine:
 *   each notification is shown as a `notify.simulated` line instead.
 *
 * A channel that cannot be built (the webhook variable is unset, or not an https URL) is one warning.
 */
import type { ServiceTopology } from '../../../topology';
import { dashboardConsoleUrl, dashboardName } from '../../../topology/dashboard';
import type { TrafficWeightPublisher } from '../observers/traffic-weight';
import { type NotificationChannel, notificationObserver } from '../observers/notifications';
import { trafficWeightObserver } from '../observers/traffic-weight';
import type { Clock, EventSink } from '../ports';
import type { CommandContext } from './context';
import type { Renderer } from './output';

/** The sink a runtime writes to: a renderer (attach, warn) or any plain EventSink (tests). */
export type ObservedSink = EventSink & Partial<Pick<Renderer, 'attach' | 'warn'>>;

export interface ObserveOptions {
  readonly sink: ObservedSink;
  readonly topology: ServiceTopology;
  readonly env: CommandContext['env'];
  readonly clock: Pick<Clock, 'now'>;
  /** Who runs it and the CI run (cli/runtime.ts `ownerFromEnv`), for the notifications. */
  readonly owner: { readonly actor: string; readonly runUrl?: string };
  /** Environments whose dashboard event was emitted already (one line per environment). */
  readonly dashboardsShown: Set<string>;
  /** Real AWS: the publisher and how to build an SNS client. Absent: the simulation. */
  readonly aws?: {
    readonly trafficWeight: TrafficWeightPublisher;
    readonly snsChannel: (topicArn: string) => Promise<NotificationChannel>;
  };
  /** Webhook channels are built with this (tests inject a fake fetch). */
  readonly webhookChannel: (
    envName: string,
    env: CommandContext['env'],
  ) => { channel: NotificationChannel } | { problem: string };
}

/** The dashboard of a topology's environment, or undefined when its name or region cannot make one. */
export function dashboardOf(t: ServiceTopology): { name: string; url: string } | undefined {
  try {
    const name = dashboardName(t.project, t.environment);
    return { name, url: dashboardConsoleUrl(t.region, name) };
  } catch {
    return undefined;
  }
}

export async function observeService(o: ObserveOptions): Promise<void> {
  const t = o.topology;
  const dashboard = dashboardOf(t);
  if (dashboard && !o.dashboardsShown.has(t.environment)) {
    o.dashboardsShown.add(t.environment);
    o.sink.emit({
      at: o.clock.now(),
      level: 'info',
      type: 'dashboard',
      message: `dashboard of ${t.environment}: ${dashboard.url}`,
      data: { environment: t.environment, ...dashboard },
    });
  }
  const attach = o.sink.attach?.bind(o.sink);
  if (!attach) return;
  const warn =
    o.sink.warn?.bind(o.sink) ??
    ((type: string, message: string) => o.sink.emit({ at: o.clock.now(), level: 'warn', type, message }));
  if (o.aws) {
    attach(
      trafficWeightObserver({
        environment: t.environment,
        service: t.service,
        publisher: o.aws.trafficWeight,
        warn,
      }),
    );
  }
  const n = t.notifications;
  if (!n) return;
  const channels: NotificationChannel[] = [];
  const simulated = (label: string): NotificationChannel => ({
    label,
    send: async (m) => {
      o.sink.emit({
        at: o.clock.now(),
        level: 'info',
        type: 'notify.simulated',
        message: `notification to ${label} (simulated, not sent): ${m.title}`,
        data: { event: m.event, label },
      });
    },
  });
  if (n.snsTopicArn) {
    const label = `SNS topic ${n.snsTopicArn}`;
    if (!o.aws) channels.push(simulated(label));
    else {
      try {
        channels.push(await o.aws.snsChannel(n.snsTopicArn));
      } catch (e) {
        warn('notify.unavailable', `no notifications to ${label}: ${(e as Error).message}`);
      }
    }
  }
  if (n.webhookUrlEnv) {
    if (!o.aws) channels.push(simulated(`webhook ($${n.webhookUrlEnv})`));
    else {
      const built = o.webhookChannel(n.webhookUrlEnv, o.env);
      if ('channel' in built) channels.push(built.channel);
      else warn('notify.unavailable', built.problem);
    }
  }
  if (channels.length === 0) return;
  const owner = o.owner;
  attach(
    notificationObserver({
      environment: t.environment,
      service: t.service,
      channels,
      ...(n.events ? { events: n.events } : {}),
      warn,
      actor: owner.actor,
      ...(owner.runUrl ? { runUrl: owner.runUrl } : {}),
      ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    }),
  );
}
