/**
 * A Slack-compatible incoming webhook as a notification channel (observers/notifications.ts).
 *
 * The URL is a secret (whoever holds it can post to the channel): it is read from the process environment
 * variable the topology names (`notifications.webhookUrlEnv`; in GitHub Actions a GitHub Environment
 * secret mapped into the job's `env:`), and it never appears in YAML, the topology, the release store or
 * any output — errors name the variable, an HTTP status or a network error code, never the URL.
 *
 * One POST of `{"text": …}` (application/json); redirects are refused (a redirect would send the body
 * elsewhere); any non-2xx answer is a failure (Slack answers 200 `ok`, 4xx with a reason word).
 */
import { type NotificationChannel, type NotificationMessage, slackText } from '../observers/notifications';

export type FetchLike = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string;
    signal: AbortSignal;
    redirect: 'error';
  },
) => Promise<{ readonly ok: boolean; readonly status: number }>;

/** Why the variable's value is not a usable webhook URL (without repeating the value), or undefined. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:') return `is not an https:// URL (${url.protocol.replace(/:$/, '')})`;
  if (url.username || url.password) return 'carries credentials (user:password@)';
  return undefined;
}

/**
 * The webhook channel for `envName`, or a reason it cannot be built (the variable is unset or not an
 * https URL) — the caller turns that into one warning.
 */
export function webhookChannel(
  envName: string,
  env: Readonly<Record<string, string | undefined>>,
  fetchImpl: FetchLike = globalThis.fetch as unknown as FetchLike,
): { channel: NotificationChannel } | { problem: string } {
  const value = env[envName]?.trim();
  if (!value)
    return {
      problem: `notifications.webhookUrlEnv names $${envName}, which is not set in this process: no webhook notifications (in GitHub Actions, map the secret into the job: env: ${envName}: \${{ secrets.${envName} }})`,
    };
  const problem = webhookUrlProblem(value);
  if (problem) return { problem: `$${envName} ${problem}: no webhook notifications` };
  const label = `webhook ($${envName})`;
  return {
    channel: {
      label,
      async send(m: NotificationMessage, signal: AbortSignal) {
        let res: { ok: boolean; status: number };
        try {
          res = await fetchImpl(value, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ text: slackText(m) }),
            signal,
            redirect: 'error',
          });
        } catch (e) {
          throw new Error(describeFetchError(e, value));
        }
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
      },
    },
  };
}

/** A fetch failure in words that cannot contain the URL: the error's name and its cause's code. */
function describeFetchError(e: unknown, url: string): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; name?: string } };
  if (err?.name === 'AbortError' || err?.name === 'TimeoutError') return 'aborted (timeout)';
  const code = err?.cause?.code ?? err?.cause?.name;
  const base = `${err?.name ?? 'Error'}${code ? ` (${code})` : ''}`;
  return base.split(url).join('<webhook URL>');
}
