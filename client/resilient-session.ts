/**
 * A realtime session that survives dropped connections and dead edges. It speaks protocol v1.1: it keeps the audio
 * the server has not acknowledged (`ack`), reconnects — to the next URL in its list when there are several edges —
 * with the session id and the last `seq` it holds completely, replays audio from the server's `resume_from`, and
 * hands the caller each final, translation and error exactly once, in order. Runtime-neutral: the CLI, the desktop
 * app and the web pages (client/web/speaker.ts) all stream through it.
 */
import type { ServerEvent } from '../shared/protocol.ts';
import { CLOSE } from '../shared/close-codes.ts';
import {
  connect,
  RealtimeError,
  type ConnectOptions,
  type RealtimeSession,
  type StartOptions,
  type WebSocketConstructor,
} from './realtime-client.ts';

export interface ResilientOptions extends Omit<ConnectOptions, 'onEvent'> {
  /** Edge endpoints, tried in turn; reconnects move on to the next one. */
  urls: string[];
  start: StartOptions;
  /** Called once per distinct event (partials every time: they are latest-wins), and for each connection's `ready`. */
  onEvent?: (event: ServerEvent) => void;
  /**
   * Most audio kept for replay, in seconds (default 300), when the server stops acknowledging it (a v1 server, a
   * long utterance). Acknowledged audio is forgotten at once; audio dropped from this window cannot be recovered.
   */
  replaySeconds?: number;
  /** Reconnection attempts before giving up (default 30). */
  maxReconnects?: number;
  /**
   * Called before each connection for the WebSocket class to open it with, instead of `WebSocket`: the web page
   * mints a fresh short-lived token per connection and carries it in the socket's subprotocols. A RealtimeError
   * it throws with a retryable code is retried like a dropped connection; anything else ends the session.
   */
  prepareSocket?: () => Promise<WebSocketConstructor>;
  /** Called when a connection is lost and the session is about to reconnect (`attempt` counts from 1). */
  onReconnecting?: (attempt: number, cause: RealtimeError) => void;
}

/**
 * Failures worth another attempt (on the next edge): the connection, an edge that is full or draining, or a session
 * whose previous speaker connection has not handed over yet (`session_busy`). Not `session_replaced`: another
 * connection of the same key took the session over, and taking it back would make the two fight over it.
 */
const RETRYABLE: ReadonlySet<string> = new Set([
  'connection_closed',
  'connect_failed',
  'timeout',
  'overloaded',
  'shutting_down',
  'too_many_sessions',
  'session_busy',
]);

interface Chunk {
  offset: number;
  pcm: Int16Array;
}

export class ResilientSession {
  readonly events: ServerEvent[] = [];
  reconnects = 0;
  session: string | undefined;
  readonly #o: ResilientOptions;
  readonly #rate: number;
  readonly #seen = new Set<string>();
  #targets: string[] = [];
  #chunks: Chunk[] = [];
  #sent = 0;
  #stopped = false;
  #current: RealtimeSession | undefined;
  #done!: Promise<void>;
  #urlIndex = 0;
  /** Closed by the caller: no more reconnects. */
  #closed = false;
  #settled: { error?: unknown } | undefined;
  #waiters: (() => void)[] = [];

  private constructor(options: ResilientOptions) {
    this.#o = options;
    this.#rate = options.start.sample_rate;
  }

  static async open(options: ResilientOptions): Promise<ResilientSession> {
    const session = new ResilientSession(options);
    await session.#connect();
    session.#done = session.#supervise();
    session.#done.then(
      () => session.#settle({}),
      (error: unknown) => session.#settle({ error }),
    );
    return session;
  }

  /**
   * Every distinct event (as `onEvent` sees them), from the first to `done`; throws the session's failure if it
   * ends without one. One iterator at a time.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<ServerEvent> {
    for (let i = 0; ;) {
      while (i < this.events.length) {
        const event = this.events[i++]!;
        yield event;
        if (event.type === 'done') return;
      }
      if (this.#settled) {
        if (this.#settled.error) throw this.#settled.error;
        return;
      }
      await new Promise<void>((wake) => this.#waiters.push(wake));
    }
  }

  #settle(outcome: { error?: unknown }): void {
    this.#settled = outcome;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves when the server has delivered everything (`done`), across any number of reconnects. */
  get done(): Promise<void> {
    return this.#done;
  }

  sendAudio(pcm: Int16Array): void {
    this.#chunks.push({ offset: this.#sent, pcm });
    this.#sent += pcm.length;
    const keep = (this.#o.replaySeconds ?? 300) * this.#rate;
    while (this.#chunks.length > 1 && this.#chunks[1]!.offset < this.#sent - keep) this.#chunks.shift();
    this.#current?.sendAudio(pcm);
  }

  /** Bytes the current connection has queued but not sent (0 between connections), for a slow-network warning. */
  get bufferedAmount(): number {
    return this.#current?.bufferedAmount ?? 0;
  }

  /** Samples of audio held for a possible replay (what the server has not acknowledged). */
  get unacknowledgedSamples(): number {
    return this.#chunks.reduce((n, c) => n + c.pcm.length, 0);
  }

  /** The latest text of each final, by seq (corrections applied): the session's transcript so far. */
  get transcript(): { seq: number; text: string; translations: Record<string, string> }[] {
    const lines = new Map<number, { seq: number; text: string; rev: number; translations: Record<string, string> }>();
    for (const event of this.events) {
      if (event.type === 'final') {
        const line = lines.get(event.seq);
        if (!line || (event.rev ?? 1) > line.rev)
          lines.set(event.seq, { seq: event.seq, text: event.text, rev: event.rev ?? 1, translations: {} });
      } else if (event.type === 'translation') {
        const line = lines.get(event.seq);
        if (line && (event.rev ?? 1) === line.rev) line.translations[event.lang] = event.text;
      }
    }
    return [...lines.values()]
      .sort((a, b) => a.seq - b.seq)
      .map(({ seq, text, translations }) => ({ seq, text, translations }));
  }

  /** The server secured audio up to `seconds`: it will never ask for it again. */
  #forget(seconds: number): void {
    const upTo = Math.round(seconds * this.#rate);
    while (this.#chunks.length > 0 && this.#chunks[0]!.offset + this.#chunks[0]!.pcm.length <= upTo)
      this.#chunks.shift();
  }

  stop(): void {
    this.#stopped = true;
    this.#current?.stop();
  }

  /** Drops the current connection (tests and chaos drills use this to simulate a network cut). */
  cut(): void {
    this.#current?.close(CLOSE.cut, 'cut');
  }

  /** Ends the session now, without waiting for `done` and without reconnecting: `done` rejects. */
  close(): void {
    this.#stopped = true;
    this.#closed = true;
    this.#current?.close();
  }

  /** The highest seq up to which every final (or its error) and every translation of its latest rev has arrived. */
  get lastCompleteSeq(): number {
    let complete = 0;
    const latestRev = new Map<number, number>();
    for (const event of this.events)
      if (event.type === 'final') latestRev.set(event.seq, Math.max(latestRev.get(event.seq) ?? 1, event.rev ?? 1));
    for (const event of this.events) {
      if (event.type === 'final') {
        if (event.seq <= complete) continue; // a correction of a seq already judged
        const rev = latestRev.get(event.seq) ?? 1;
        const translated = this.#targets.every(
          (lang) =>
            this.#seen.has(`translation:${event.seq}:${lang}:${rev}`) || this.#seen.has(`error:${event.seq}:${lang}`),
        );
        if (!translated) break;
        complete = event.seq;
      } else if (event.type === 'error' && event.seq !== undefined && event.lang === undefined) {
        complete = Math.max(complete, event.seq);
      }
    }
    return complete;
  }

  async #connect(): Promise<void> {
    const url = this.#o.urls[this.#urlIndex % this.#o.urls.length]!;
    const resuming = this.session !== undefined;
    const base: StartOptions = { protocol: 1.1, ...this.#o.start };
    const start: StartOptions = resuming ? { ...base, session: this.session, last_seq: this.lastCompleteSeq } : base;
    // The session in the URL too: a Workers edge routes the socket to the relay holding it (docs/protocol.md).
    const target = resuming
      ? `${url}${url.includes('?') ? '&' : '?'}session=${encodeURIComponent(this.session!)}`
      : url;
    const WebSocket = this.#o.prepareSocket ? await this.#o.prepareSocket() : this.#o.WebSocket;
    const current = await connect(target, start, { ...this.#o, WebSocket, onEvent: (event) => this.#accept(event) });
    this.#current = current;
    this.session = current.ready.session;
    this.#targets = current.ready.targets;
    if (resuming) {
      // Replay what the server has not secured, then carry on live.
      const from = Math.round((current.ready.resume_from ?? 0) * this.#rate);
      for (const chunk of this.#chunks) {
        const end = chunk.offset + chunk.pcm.length;
        if (end <= from) continue;
        current.sendAudio(chunk.offset >= from ? chunk.pcm : chunk.pcm.subarray(from - chunk.offset));
      }
      if (this.#stopped) current.stop();
    }
  }

  async #supervise(): Promise<void> {
    for (;;) {
      let cause: RealtimeError;
      try {
        await this.#current!.done;
        return;
      } catch (err) {
        if (this.#closed) throw new RealtimeError('connection_closed', 'the session was closed by the client');
        if (!(err instanceof RealtimeError) || !RETRYABLE.has(err.code)) throw err;
        cause = err;
      }
      this.#current = undefined;
      for (;;) {
        if (this.#closed) throw new RealtimeError('connection_closed', 'the session was closed by the client');
        if (this.reconnects >= (this.#o.maxReconnects ?? 30))
          throw new RealtimeError('connection_closed', `gave up after ${this.reconnects} reconnects`);
        this.reconnects += 1;
        this.#urlIndex += 1;
        this.#o.onReconnecting?.(this.reconnects, cause);
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** Math.min(this.reconnects, 6))));
        try {
          await this.#connect();
          break;
        } catch (err) {
          if (!(err instanceof RealtimeError) || !RETRYABLE.has(err.code)) throw err;
          cause = err;
        }
      }
    }
  }

  #accept(event: ServerEvent): void {
    // Each connection's `ready` reaches onEvent (a resumed one says so with resume_from), not the event list.
    if (event.type === 'ready') return this.#o.onEvent?.(event);
    if (event.type === 'ack') return this.#forget(event.audio_end);
    const key =
      event.type === 'final'
        ? `final:${event.seq}:${event.rev ?? 1}`
        : event.type === 'translation'
          ? `translation:${event.seq}:${event.lang}:${event.rev ?? 1}`
          : event.type === 'error' && event.seq !== undefined
            ? `error:${event.seq}:${event.lang ?? ''}`
            : event.type === 'done'
              ? 'done'
              : undefined;
    if (key) {
      if (this.#seen.has(key)) return;
      this.#seen.add(key);
    }
    this.events.push(event);
    this.#o.onEvent?.(event);
    this.#wake();
  }
}
