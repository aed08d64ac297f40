/**
 * One audience viewer of a session (`WS /v1/watch/:session`). It reads the session's shared result log from the
 * start through its own CaptionSequencer, so every viewer gets the same ordered captions as the speaker, late
 * joiners get the history, and it works on any edge: the log, not the speaker's socket, is the source.
 *
 * Viewers never touch the speaker's session object. A slow viewer is the viewer's problem: partials are shed when
 * its socket backs up and it is dropped past a hard bound, so one bad connection cannot grow the edge's memory.
 * Only the session's tenant may watch (`mayWatch`), and a viewer that has received nothing for `idleMs` (a session
 * that went quiet without stopping) is closed, so forgotten tabs do not hold readers forever.
 * No sockets inside (like RealtimeSession): the route supplies send/close/bufferedAmount.
 */
import type { Logger } from '../../shared/logger.ts';
import { CLOSE, WATCH_CLOSE } from '../../shared/close-codes.ts';
import type { WatchEvent } from '../../shared/protocol.ts';
import type { ResultLog, SessionMeta, SessionStore } from '../../shared/queue/ports.ts';
import { CaptionSequencer } from './caption-sequencer.ts';

export interface ViewerLimits {
  /** Unsent bytes past which the viewer's partials are skipped (they are best effort). */
  shedPartialsBytes: number;
  /** Unsent bytes past which the viewer is disconnected (close 4408). */
  maxBufferedBytes: number;
}

export const DEFAULT_VIEWER_LIMITS: ViewerLimits = { shedPartialsBytes: 64 * 1024, maxBufferedBytes: 4 * 1024 * 1024 };

export interface ViewerDeps {
  // Only what a viewer reads, so any relay (Node edge, Workers origin link) can supply it.
  store: Pick<SessionStore, 'get'>;
  results: Pick<ResultLog, 'subscribe'>;
  logger: Logger;
  limits?: ViewerLimits;
  /** The viewer's protocol (`?protocol=1.1` on the watch URL): 1.1 also receives corrected finals, 1.2 speakers. */
  protocol?: number;
  /** Languages whose spoken translations the viewer wants (`?speak=es`), among those the session speaks. */
  speak?: readonly string[];
  /** Whether the caller may watch this session (its tenant); absent: anyone who reached the route. */
  mayWatch?: (meta: SessionMeta) => boolean;
  /** A viewer sent nothing for this long is closed (`tick`); absent: never. */
  idleMs?: number;
  now?: () => number;
}

export interface ViewerTransport {
  send(event: WatchEvent): void;
  close(code: number, reason: string): void;
  /** Bytes queued in the socket and not yet sent (0 where the runtime cannot tell). */
  bufferedAmount(): number;
}

export class Viewer {
  readonly #session: string;
  readonly #deps: ViewerDeps;
  readonly #transport: ViewerTransport;
  readonly #limits: ViewerLimits;
  #sequencer: CaptionSequencer;
  readonly #protocol: number;
  #outbox: WatchEvent[] = [];
  #flushQueued = false;
  #unsubscribe: (() => void) | undefined;
  #state: 'opening' | 'watching' | 'closed' = 'opening';
  #lastSentAt: number;

  constructor(session: string, deps: ViewerDeps, transport: ViewerTransport) {
    this.#session = session;
    this.#deps = deps;
    this.#transport = transport;
    this.#limits = deps.limits ?? DEFAULT_VIEWER_LIMITS;
    this.#protocol = deps.protocol === 1.1 || deps.protocol === 1.2 ? deps.protocol : 1;
    this.#sequencer = new CaptionSequencer(0, { revisions: this.#protocol >= 1.1, speakers: this.#protocol >= 1.2 });
    this.#lastSentAt = this.#now();
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  /** Called periodically by the route: closes a viewer that has been sent nothing for `idleMs`. */
  tick(): void {
    const idleMs = this.#deps.idleMs;
    if (this.#state !== 'watching' || idleMs === undefined || this.#now() - this.#lastSentAt <= idleMs) return;
    this.#transport.send({
      type: 'error',
      code: 'idle_timeout',
      message: `nothing to show for ${Math.round(idleMs / 1000)} s; reconnect to watch again`,
    });
    this.#close(WATCH_CLOSE.idle, 'idle_timeout');
  }
  get state(): 'opening' | 'watching' | 'closed' {
    return this.#state;
  }

  /** Looks the session up and starts following it; an unknown session gets an error event and close 4404. */
  async open(): Promise<void> {
    const meta = await this.#deps.store.get(this.#session).catch((err: unknown) => {
      this.#deps.logger.warn({ err, session: this.#session }, 'session store unavailable for a viewer');
      return undefined;
    });
    if (this.#state === 'closed') return; // the viewer left while we looked
    if (!meta) {
      this.#transport.send({
        type: 'error',
        code: 'unknown_session',
        message: `session ${this.#session} does not exist or has expired`,
      });
      return this.#close(WATCH_CLOSE.unknownSession, 'unknown_session');
    }
    if (this.#deps.mayWatch && !this.#deps.mayWatch(meta)) {
      this.#transport.send({
        type: 'error',
        code: 'forbidden',
        message: `session ${this.#session} belongs to another API key`,
      });
      return this.#close(WATCH_CLOSE.forbidden, 'forbidden');
    }
    this.#lastSentAt = this.#now();
    this.#state = 'watching';
    const speak = (this.#deps.speak ?? []).filter((lang) => meta.speak?.includes(lang));
    if (speak.length > 0)
      this.#sequencer = new CaptionSequencer(0, {
        revisions: this.#protocol >= 1.1,
        speakers: this.#protocol >= 1.2,
        speak,
      });
    this.#transport.send({
      type: 'ready',
      session: meta.id,
      protocol: this.#protocol,
      targets: meta.targets,
      language: meta.language,
      ...(this.#deps.speak ? { speak } : {}),
    });
    const unsubscribe = this.#deps.results.subscribe(this.#session, '0', (entry) => {
      if (this.#state !== 'watching') return;
      for (const event of this.#sequencer.accept(entry.result))
        if (event.type !== 'ready' && event.type !== 'ack') this.#outbox.push(event);
      this.#scheduleFlush();
    });
    // The in-memory log replays history synchronously, so the viewer may already be done (and closed) here.
    if ((this.#state as Viewer['state']) === 'closed') unsubscribe();
    else this.#unsubscribe = unsubscribe;
  }

  /** The viewer's socket closed. */
  onClose(): void {
    this.#state = 'closed';
    this.#release();
  }

  #scheduleFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    // Entries delivered together (a late joiner's history, one Redis read) are sent as one batch, in which a
    // partial already overtaken by a later caption is not worth sending.
    queueMicrotask(() => {
      this.#flushQueued = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#state !== 'watching') return;
    const buffered = this.#transport.bufferedAmount();
    if (buffered > this.#limits.maxBufferedBytes) {
      this.#deps.logger.info({ session: this.#session, buffered }, 'dropping a viewer that does not keep up');
      return this.#close(WATCH_CLOSE.tooSlow, 'viewer too slow');
    }
    const shed = buffered > this.#limits.shedPartialsBytes;
    const batch = this.#outbox;
    this.#outbox = [];
    // Provisional events (partials, partial translations) that a later one in the batch replaces are not sent.
    let lastFinal = -1;
    let lastPartial = -1;
    const lastPartialIn = new Map<string, number>();
    batch.forEach((event, i) => {
      if (event.type === 'final') lastFinal = i;
      if (event.type === 'partial') lastPartial = i;
      if (event.type === 'partial_translation') lastPartialIn.set(event.lang, i);
    });
    batch.forEach((event, i) => {
      if (event.type === 'partial' && (shed || i < Math.max(lastFinal, lastPartial))) return;
      if (event.type === 'partial_translation' && (shed || i < Math.max(lastFinal, lastPartialIn.get(event.lang)!)))
        return;
      this.#transport.send(event);
      this.#lastSentAt = this.#now();
    });
    if (this.#sequencer.complete) {
      this.#transport.send({ type: 'done' });
      this.#close(CLOSE.normal, 'done');
    }
  }

  #close(code: number, reason: string): void {
    this.#state = 'closed';
    this.#release();
    this.#transport.close(code, reason);
  }

  #release(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#outbox = [];
  }
}
