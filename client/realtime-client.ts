/**
 * Client for `WS /v1/realtime` (protocol v1, shared/protocol.ts). Works wherever a WHATWG-style WebSocket exists
 * (browsers, Workers, Node 22+) and on Node 20 through the `ws` package, loaded only when needed.
 *
 * Usage: `const s = await connect(url, { sample_rate: 16000, targets: ['es'] })`, then `s.sendAudio(pcm)` …
 * `s.stop()`, reading events with `for await (const ev of s)` (or the `onEvent` option) until `done`.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../shared/errors.ts';
import { ServerEvent, StartMessage, type ClientMessage, type ReadyEvent } from '../shared/protocol.ts';
import { pcm16ToBytes } from '../shared/audio/pcm.ts';
import { CLOSE } from '../shared/close-codes.ts';

/** The subset of the WHATWG WebSocket used here; both browser WebSocket and `ws` satisfy it. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  binaryType: string;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  send(data: string | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** What `start` needs from the caller; `type` and `encoding` are filled in. */
export type StartOptions = Omit<z.input<typeof StartMessage>, 'type' | 'encoding'>;

export interface ConnectOptions {
  /** WebSocket implementation; defaults to `globalThis.WebSocket`, else the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** Called for every valid server event as it arrives, before it is queued for the iterator. */
  onEvent?: (event: ServerEvent) => void;
  /** Called for server messages this client skips (unknown event types, binary frames). */
  onWarning?: (message: string) => void;
  /** How long to wait for `ready` after starting to connect (default 15 s). */
  readyTimeoutMs?: number;
}

/**
 * A failure of the session as a whole. `code` is the server's error code when the server ended the session with
 * an `error` event, otherwise one of the client-side codes.
 */
export class RealtimeError extends Error {
  constructor(
    readonly code: ErrorCode | 'connect_failed' | 'connection_closed' | 'protocol' | 'timeout',
    message: string,
    readonly closeCode?: number,
  ) {
    super(message);
    this.name = 'RealtimeError';
  }
}

/**
 * An open session. Iterating it yields every server event in arrival order, from `ready` (and any non-fatal
 * error sent before it) to `done`, then ends; it throws the session's {@link RealtimeError} if the connection
 * ends without `done`. There is a single queue, so iterate it from one place.
 */
export interface RealtimeSession extends AsyncIterable<ServerEvent> {
  readonly ready: ReadyEvent;
  /** Resolves on the `done` event; rejects with a {@link RealtimeError} if the connection ends without one. */
  readonly done: Promise<void>;
  /** Bytes queued in the socket but not yet sent, for back-pressure. */
  readonly bufferedAmount: number;
  /** Sends one audio frame (PCM16 at the session's sample rate). Returns false if the socket is no longer open. */
  sendAudio(pcm16: Int16Array): boolean;
  /** Ends the audio; the server flushes the last utterance, then sends `done`. Idempotent. */
  stop(): void;
  /** Closes the socket immediately, without waiting for `done`. */
  close(code?: number, reason?: string): void;
}

const OPEN = 1;
/** Event types this client knows; others are skipped for forward compatibility. */
const KNOWN_EVENTS: readonly string[] = ServerEvent.options.map((o) => o.shape.type.value);
/**
 * Errors the server reports before `ready` without refusing the session (it drops the unsupported target and
 * continues). Any other error before `ready` means the start was refused: the server then waits for another
 * start rather than closing, so the client must treat it as fatal itself.
 */
const NON_FATAL_BEFORE_READY: ReadonlySet<string> = new Set(['unsupported_target']);

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (g) return g;
  const mod = await import('ws');
  return mod.default as unknown as WebSocketConstructor;
}

/**
 * Opens a session: connects, sends `start` and resolves once the server answers `ready`. Rejects with a
 * {@link RealtimeError} when the connection fails or the server refuses the start, and with a ZodError if `start`
 * itself is invalid (nothing is sent then). After `ready`, `error` events are only reported (through the iterator
 * and `onEvent`); the session ends when the server closes it or sends `done`.
 */
export async function connect(
  url: string,
  start: StartOptions,
  options: ConnectOptions = {},
): Promise<RealtimeSession> {
  const startMessage = StartMessage.parse({ ...start, type: 'start', encoding: 'pcm16' });
  const WS = options.WebSocket ?? (await defaultWebSocket());
  let ws: WebSocketLike;
  try {
    ws = new WS(url);
  } catch (err) {
    // e.g. a malformed URL, which WHATWG WebSocket reports synchronously
    throw new RealtimeError('connect_failed', `cannot connect to ${url}: ${err instanceof Error ? err.message : err}`);
  }
  ws.binaryType = 'arraybuffer';

  // Every event, for the single async-iterator consumer.
  const queue: ServerEvent[] = [];
  let waiter: (() => void) | null = null;
  let ended: { error?: RealtimeError } | null = null;
  let lastEvent: ServerEvent | undefined;
  let socketError = '';
  let stopped = false;
  let readySeen = false;

  let resolveReady!: (ev: ReadyEvent) => void;
  let rejectReady!: (err: RealtimeError) => void;
  const ready = new Promise<ReadyEvent>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
  let resolveDone!: () => void;
  let rejectDone!: (err: RealtimeError) => void;
  const done = new Promise<void>((res, rej) => ((resolveDone = res), (rejectDone = rej)));
  done.catch(() => {}); // the caller may never await `done`; the failure still reaches those who do

  const finish = (error?: RealtimeError) => {
    if (ended) return;
    ended = error ? { error } : {};
    clearTimeout(timer);
    if (error) {
      rejectReady(error);
      rejectDone(error);
    } else resolveDone();
    waiter?.();
  };
  const timer = setTimeout(() => {
    finish(new RealtimeError('timeout', `no "ready" from ${url} within ${options.readyTimeoutMs ?? 15000} ms`));
    ws.close();
  }, options.readyTimeoutMs ?? 15000);

  ws.onopen = () => ws.send(JSON.stringify(startMessage));
  ws.onerror = (ev: { message?: string }) => {
    socketError = ev?.message ?? '';
  };
  ws.onclose = (ev: { code?: number; reason?: string }) => {
    if (ended) return;
    if (lastEvent?.type === 'error') {
      finish(new RealtimeError(lastEvent.code, lastEvent.message, ev.code));
    } else if (lastEvent === undefined) {
      finish(
        new RealtimeError(
          'connect_failed',
          `cannot connect to ${url}${socketError ? `: ${socketError}` : ''}`,
          ev.code,
        ),
      );
    } else {
      const why = ev.reason || socketError || `close code ${ev.code}`;
      finish(new RealtimeError('connection_closed', `connection closed before "done" (${why})`, ev.code));
    }
  };
  ws.onmessage = (ev: { data: unknown }) => {
    if (ended) return;
    if (typeof ev.data !== 'string') return options.onWarning?.('ignoring a binary frame from the server');
    let json: unknown;
    try {
      json = JSON.parse(ev.data);
    } catch {
      return protocolError('server sent a text frame that is not JSON');
    }
    const parsed = ServerEvent.safeParse(json);
    if (!parsed.success) {
      const type = (json as { type?: unknown } | null)?.type;
      // Unknown event types are skipped so that newer servers can add events without breaking old clients.
      if (typeof type === 'string' && !KNOWN_EVENTS.includes(type))
        return options.onWarning?.(`ignoring unknown event "${type}"`);
      return protocolError(`server sent an invalid "${String(type)}" event: ${parsed.error.issues[0]?.message}`);
    }
    const event = parsed.data;
    lastEvent = event;
    options.onEvent?.(event);
    if (event.type === 'error' && !readySeen && !NON_FATAL_BEFORE_READY.has(event.code)) {
      // The start was refused (e.g. unsupported_language): there is no session to continue.
      finish(new RealtimeError(event.code, event.message));
      return ws.close();
    }
    queue.push(event);
    if (event.type === 'ready') {
      readySeen = true;
      clearTimeout(timer);
      resolveReady(event);
    }
    waiter?.();
    if (event.type === 'done') {
      finish();
      ws.close(CLOSE.normal);
    }
  };
  const protocolError = (message: string) => {
    finish(new RealtimeError('protocol', message));
    ws.close(CLOSE.protocolError, 'protocol error');
  };

  const readyEvent = await ready;

  return {
    ready: readyEvent,
    done,
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    sendAudio(pcm16) {
      if (stopped) throw new Error('sendAudio after stop()');
      if (ws.readyState !== OPEN || ended) return false;
      ws.send(pcm16ToBytes(pcm16));
      return true;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      const message: ClientMessage = { type: 'stop' };
      if (ws.readyState === OPEN && !ended) ws.send(JSON.stringify(message));
    },
    close(code = 1000, reason) {
      ws.close(code, reason);
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (ended) {
          if (ended.error) throw ended.error;
          return;
        }
        await new Promise<void>((res) => (waiter = res));
        waiter = null;
      }
    },
  };
}
