/**
 * A realtime session that survives dropped connections and dead edges. It keeps the audio it sent (a bounded
 * window), reconnects — to the next URL in its list when there are several edges — with the session id and the
 * last `seq` it holds completely, replays audio from the server's `resume_from`, and hands the caller each final,
 * translation and error exactly once, in order.
 */
import type { ServerEvent } from '../protocol.ts';
import { connect, RealtimeError, type ConnectOptions, type RealtimeSession, type StartOptions } from './realtime-client.ts';

export interface ResilientOptions extends Omit<ConnectOptions, 'onEvent'> {
  /** Edge endpoints, tried in turn; reconnects move on to the next one. */
  urls: string[];
  start: StartOptions;
  /** Called once per distinct event (partials every time: they are latest-wins). */
  onEvent?: (event: ServerEvent) => void;
  /** Audio kept for replay, in seconds (default 300). Older audio cannot be recovered after a reconnect. */
  replaySeconds?: number;
  /** Reconnection attempts before giving up (default 30). */
  maxReconnects?: number;
}

/** Failures worth another attempt (on the next edge): the connection, or an edge that is full or draining. */
const RETRYABLE: ReadonlySet<string> = new Set(['connection_closed', 'connect_failed', 'timeout', 'overloaded', 'shutting_down', 'too_many_sessions']);

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

  private constructor(options: ResilientOptions) {
    this.#o = options;
    this.#rate = options.start.sample_rate;
  }

  static async open(options: ResilientOptions): Promise<ResilientSession> {
    const session = new ResilientSession(options);
    await session.#connect();
    session.#done = session.#supervise();
    return session;
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

  stop(): void {
    this.#stopped = true;
    this.#current?.stop();
  }

  /** Drops the current connection (tests and chaos drills use this to simulate a network cut). */
  cut(): void {
    this.#current?.close(4000, 'cut');
  }

  close(): void {
    this.#stopped = true;
    this.#current?.close();
  }

  /** The highest seq up to which every final (or its error) and every translation has arrived. */
  get lastCompleteSeq(): number {
    let complete = 0;
    for (const event of this.events) {
      if (event.type === 'final') {
        const translated = this.#targets.every((lang) => this.#seen.has(`translation:${event.seq}:${lang}`) || this.#seen.has(`error:${event.seq}:${lang}`));
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
    const start: StartOptions = resuming ? { ...this.#o.start, session: this.session, last_seq: this.lastCompleteSeq } : this.#o.start;
    // The session in the URL too: a Workers edge routes the socket to the relay holding it (docs/protocol.md).
    const target = resuming ? `${url}${url.includes('?') ? '&' : '?'}session=${encodeURIComponent(this.session!)}` : url;
    const current = await connect(target, start, { ...this.#o, onEvent: (event) => this.#accept(event) });
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
      try {
        await this.#current!.done;
        return;
      } catch (err) {
        if (!(err instanceof RealtimeError) || !RETRYABLE.has(err.code)) throw err;
      }
      for (;;) {
        if (this.reconnects >= (this.#o.maxReconnects ?? 30)) throw new RealtimeError('connection_closed', `gave up after ${this.reconnects} reconnects`);
        this.reconnects += 1;
        this.#urlIndex += 1;
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** Math.min(this.reconnects, 6))));
        try {
          await this.#connect();
          break;
        } catch (err) {
          if (!(err instanceof RealtimeError) || !RETRYABLE.has(err.code)) throw err;
        }
      }
    }
  }

  #accept(event: ServerEvent): void {
    if (event.type === 'ready') return;
    const key =
      event.type === 'final' ? `final:${event.seq}`
      : event.type === 'translation' ? `translation:${event.seq}:${event.lang}`
      : event.type === 'error' && event.seq !== undefined ? `error:${event.seq}:${event.lang ?? ''}`
      : event.type === 'done' ? 'done'
      : undefined;
    if (key) {
      if (this.#seen.has(key)) return;
      this.#seen.add(key);
    }
    this.events.push(event);
    this.#o.onEvent?.(event);
  }
}
