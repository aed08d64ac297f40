/**
 * Signed webhooks of session events, delivered at least once. Each event has a stable id (`webhook-id`: the session,
 * the event and its seq/lang/rev), the same on every attempt and on a repeat of the event, so a receiver
 * de-duplicates on it. Signing follows the Standard Webhooks scheme: `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">` keyed by the webhook's secret, with `webhook-timestamp` in Unix seconds (a receiver
 * refuses stale timestamps against replays). Failed attempts (network errors, timeouts, 408, 429, 5xx) are retried
 * with exponential backoff and jitter; other 4xx answers are final. Deliveries run in their own bounded queue.
 * Delivery is at least once while the edge runs: events still queued when it stops are lost (logged).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from '../../shared/logger.ts';
import type { WebhookEventType } from './settings.ts';
import { guardedLookup, type UrlPolicy } from './url-policy.ts';
import { WorkQueue } from './work-queue.ts';

export interface WebhookTarget {
  url: URL;
  secret: string;
  events: readonly WebhookEventType[];
}

export interface WebhookOptions {
  policy: UrlPolicy;
  timeoutMs: number;
  attempts: number;
  concurrency: number;
  maxQueue: number;
  /** Largest body sent; a larger event is not sent (logged). */
  maxBodyBytes?: number;
  /** First retry delay (default 500 ms), doubled per attempt, with up to 50 % jitter; at most 60 s. */
  backoffMs?: number;
  logger: Logger;
  /** Outcome per delivery, for metrics. */
  observe?: (outcome: 'delivered' | 'failed' | 'dropped') => void;
}

export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export class WebhookDispatcher {
  readonly #options: WebhookOptions;
  readonly #queue: WorkQueue;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(options: WebhookOptions) {
    this.#options = options;
    this.#queue = new WorkQueue({ concurrency: options.concurrency, maxQueue: options.maxQueue });
  }

  /** Queues one event for a target; returns at once. */
  send(target: WebhookTarget, id: string, type: WebhookEventType, payload: Record<string, unknown>): void {
    if (this.#closed || !target.events.includes(type)) return;
    const body = JSON.stringify({ id, type, created_at: new Date().toISOString(), data: payload });
    if (Buffer.byteLength(body) > (this.#options.maxBodyBytes ?? 64 * 1024)) {
      this.#options.logger.warn({ webhookId: id, bytes: Buffer.byteLength(body) }, 'webhook event too large; not sent');
      this.#options.observe?.('dropped');
      return;
    }
    this.#enqueue(target, id, body, 1);
  }

  #enqueue(target: WebhookTarget, id: string, body: string, attempt: number): void {
    // Retries go before first attempts: they are older.
    this.#queue.push({
      priority: attempt > 1 ? 1 : 0,
      dropped: () => {
        this.#options.logger.warn({ webhookId: id, host: target.url.host }, 'webhook queue full; event dropped');
        this.#options.observe?.('dropped');
      },
      run: async () => {
        const outcome = await this.#attempt(target, id, body);
        if (outcome === 'ok') return this.#options.observe?.('delivered');
        const log = { webhookId: id, host: target.url.host, attempt, outcome };
        if (outcome === 'final' || attempt >= this.#options.attempts || this.#closed) {
          this.#options.logger.warn(log, 'webhook not delivered; giving up');
          return this.#options.observe?.('failed');
        }
        const base = this.#options.backoffMs ?? 500;
        const delay = Math.min(60_000, base * 2 ** (attempt - 1)) * (1 + Math.random() * 0.5);
        this.#options.logger.info({ ...log, retryInMs: Math.round(delay) }, 'webhook attempt failed; retrying');
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          this.#enqueue(target, id, body, attempt + 1);
        }, delay);
        timer.unref();
        this.#timers.add(timer);
      },
    });
  }

  /** One POST: 'ok' (2xx), 'retry' (worth another attempt) or 'final' (refused for good). */
  #attempt(target: WebhookTarget, id: string, body: string): Promise<'ok' | 'retry' | 'final'> {
    const timestamp = Math.floor(Date.now() / 1000);
    const url = target.url;
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise((resolve) => {
      const req = request(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(this.#options.policy) as never,
          timeout: this.#options.timeoutMs,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'earshot-webhooks/1',
            'webhook-id': id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(target.secret, id, timestamp, body),
          },
        },
        (res) => {
          res.resume(); // the answer's body is not read, only drained
          const status = res.statusCode ?? 0;
          resolve(
            status >= 200 && status < 300
              ? 'ok'
              : status === 408 || status === 429 || status >= 500
                ? 'retry'
                : 'final',
          );
        },
      );
      const deadline = setTimeout(() => req.destroy(new Error('webhook timeout')), this.#options.timeoutMs);
      req.on('timeout', () => req.destroy(new Error('webhook timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EWEBHOOKPRIVATE' ? 'final' : 'retry'));
      req.on('close', () => clearTimeout(deadline));
      req.end(body);
    });
  }

  /** Resolves once nothing is queued or running (retries waiting on their backoff are not waited for). */
  whenIdle(): Promise<void> {
    return this.#queue.whenIdle();
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    if (this.#timers.size > 0)
      this.#options.logger.warn({ events: this.#timers.size }, 'webhook retries abandoned at shutdown');
    this.#timers.clear();
  }
}
