/**
 * A session relay's one WebSocket to its origin (a Node edge's `WS /v1/origin/:session`; the wire is described
 * in edge/realtime/origin-wire.ts). It is the relay's STT queue — `add` resolves once the origin has queued the
 * job — and the source of the session's results.
 *
 * The socket may drop (origin restart, deploy): requests not yet acknowledged are sent again on the next socket
 * (job ids are deterministic, so a repeat is harmless), and reading resumes from the cursor the relay last
 * stored. A request the origin has not acknowledged within `timeoutMs` fails with `queue_unavailable`, which the
 * session reports to its client: never a silent gap.
 */
import { CLOSE } from '../../../shared/close-codes.ts';
import { EarshotError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import { sttJobCodec } from '../../../shared/queue/codecs.ts';
import type { SessionResult, SttJob } from '../../../shared/queue/jobs.ts';
import type { SttQueue } from '../../../shared/queue/ports.ts';
import { ORIGIN_ROUTE, type OriginMessage, type RelayMessage } from '../../realtime/origin-wire.ts';

export interface OriginLinkOptions {
  /** The origin's base URL (http or https). */
  url: string;
  secret: string;
  session: string;
  /** Where to resume reading the session's log, asked at every (re)connection. */
  cursor: () => string;
  onHello(hello: Extract<OriginMessage, { type: 'hello' }>): void;
  onResult(cursor: string, result: SessionResult): void;
  /** The origin refused the relay (bad secret, no origin role): retrying cannot help. */
  onRefused(reason: string): void;
  logger: Logger;
  timeoutMs?: number;
}

interface Pending {
  message: RelayMessage;
  settle(error?: EarshotError): void;
}

export class OriginLink implements Pick<SttQueue, 'add'> {
  readonly #o: OriginLinkOptions;
  #socket: WebSocket | undefined;
  /** The origin said hello on the current socket: requests can go out. */
  #ready = false;
  #connecting = false;
  #wanted = false;
  #n = 0;
  #failures = 0;
  readonly #pending = new Map<number, Pending>();

  constructor(options: OriginLinkOptions) {
    this.#o = options;
  }

  /** The origin said hello on the current socket (and will answer requests). */
  get ready(): boolean {
    return this.#ready;
  }

  /** True while requests wait for the origin's answer. */
  get busy(): boolean {
    return this.#pending.size > 0;
  }

  open(): void {
    this.#wanted = true;
    if (!this.#socket && !this.#connecting) void this.#connect();
  }

  /** Closes the socket once no request waits for an answer. */
  close(): void {
    this.#wanted = false;
    if (!this.busy) this.#socket?.close(CLOSE.normal, 'relay done');
  }

  add(job: SttJob): Promise<void> {
    return this.#request({ type: 'job', n: ++this.#n, job: sttJobCodec.encode(job) });
  }

  append(result: Extract<SessionResult, { type: 'ended' }>): Promise<void> {
    return this.#request({ type: 'append', n: ++this.#n, result });
  }

  #request(message: RelayMessage): Promise<void> {
    if (!this.#socket && !this.#connecting) void this.#connect();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          this.#settle(
            message.n,
            new EarshotError(
              'queue_unavailable',
              `the origin did not take the ${message.type} within ${this.#o.timeoutMs ?? 15_000} ms`,
            ),
          ),
        this.#o.timeoutMs ?? 15_000,
      );
      this.#pending.set(message.n, {
        message,
        settle: (error) => {
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        },
      });
      this.#send(message);
    });
  }

  #settle(n: number, error?: EarshotError): void {
    const pending = this.#pending.get(n);
    if (!pending) return;
    this.#pending.delete(n);
    pending.settle(error);
    if (!this.#wanted && !this.busy) this.#socket?.close(CLOSE.normal, 'relay done');
  }

  #send(message: RelayMessage): void {
    if (!this.#ready) return; // sent on hello
    try {
      this.#socket?.send(JSON.stringify(message));
    } catch {
      // The socket is closing; the request is sent again on the next one.
    }
  }

  async #connect(): Promise<void> {
    this.#connecting = true;
    const { url, secret, session, logger } = this.#o;
    const target = `${url.replace(/\/+$/, '')}${ORIGIN_ROUTE}/${encodeURIComponent(session)}?cursor=${encodeURIComponent(this.#o.cursor())}`;
    try {
      const response = await fetch(target, { headers: { upgrade: 'websocket', authorization: `Bearer ${secret}` } });
      const socket = response.webSocket;
      if (!socket) {
        if (response.status === 401 || response.status === 403)
          return this.#refused(`the origin refused the relay (HTTP ${response.status})`);
        throw new Error(`origin answered HTTP ${response.status}`);
      }
      socket.accept();
      this.#socket = socket;
      socket.addEventListener('message', (event) => this.#onMessage(event.data));
      socket.addEventListener('close', () => this.#onDown(socket));
      socket.addEventListener('error', () => this.#onDown(socket));
      if (!this.#wanted && !this.busy) socket.close(CLOSE.normal, 'relay done');
    } catch (err) {
      logger.warn({ err: (err as Error).message, failures: this.#failures }, 'origin unreachable; retrying');
      this.#retry();
    } finally {
      this.#connecting = false;
    }
  }

  #onMessage(data: unknown): void {
    const message = JSON.parse(String(data)) as OriginMessage;
    switch (message.type) {
      case 'hello':
        this.#failures = 0;
        this.#ready = true;
        this.#o.onHello(message);
        for (const pending of this.#pending.values()) this.#send(pending.message);
        return;
      case 'ack':
        return this.#settle(message.n);
      case 'nack':
        return this.#settle(message.n, new EarshotError(message.code, message.message));
      case 'result':
        return this.#o.onResult(message.cursor, message.result);
    }
  }

  #onDown(socket: WebSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#ready = false;
    if (this.#wanted || this.busy) this.#retry();
  }

  #retry(): void {
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.#failures++, 6));
    setTimeout(() => {
      if ((this.#wanted || this.busy) && !this.#socket && !this.#connecting) void this.#connect();
    }, delay);
  }

  #refused(reason: string): void {
    this.#o.logger.error({ reason }, 'origin refused the relay');
    this.#wanted = false;
    for (const n of [...this.#pending.keys()]) this.#settle(n, new EarshotError('queue_unavailable', reason));
    this.#o.onRefused(reason);
  }
}
