/**
 * One realtime session as the edge sees it: the speaker's messages in, VAD segments out to the STT queue, the
 * session's result log back to the speaker in order. No sockets inside: the route feeds text and binary frames
 * and gives a `send`/`close` pair, so the same class serves Node and Workers and is tested without a network.
 *
 * A session outlives its socket: its metadata and result log are in the SessionStore and ResultLog, so a client
 * whose connection (or edge) dropped resumes it, here or on another edge, with `start {session, last_seq}`.
 */
import { clientError, EarshotError, type ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { CLOSE, REALTIME_CLOSE } from '../../shared/close-codes.ts';
import {
  CLIENT_MESSAGE_TYPES,
  ClientMessage,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  type ServerEvent,
  type StartMessage,
} from '../../shared/protocol.ts';
import { pcm16FromBytes, pcm16ToFloat, floatToPcm16 } from '../../shared/audio/pcm.ts';
import { StreamingResampler } from '../../shared/audio/resample.ts';
import { sttJobId, type SessionResult } from '../../shared/queue/jobs.ts';
import {
  checkGlossary,
  DEFAULT_GLOSSARY_LIMITS,
  mergeGlossaries,
  type Glossary,
  type GlossaryLimits,
} from '../../shared/glossary.ts';
import type { ResultLog, SessionMeta, SessionStore, SpeakerLeases, SttQueue } from '../../shared/queue/ports.ts';
import {
  UtteranceSegmenter,
  type SegmenterEvent,
  type SegmenterOptions,
  type SpeechDetector,
} from '../../shared/vad/segmenter.ts';
import { CaptionSequencer } from './caption-sequencer.ts';
import { ClientLimits, type ClientLimitOptions, type LimitBreach } from './client-limits.ts';
import { SessionTelemetry, type SessionObserver } from './session-telemetry.ts';
import { CatchUp, type CatchUpOptions } from './catch-up.ts';
import type { StageBudgets } from './stage-latency.ts';
import { SpeakerLease } from './speaker-lease.ts';
import type { WakeWordFactory } from '../wake/detector.ts';
import { WakeGate } from '../wake/wake-gate.ts';
import type { HookService, SessionHookRun } from '../hooks/session-hooks.ts';
import type { KeyHooks } from '../hooks/settings.ts';

export const PIPELINE_SAMPLE_RATE = 16000;

export interface SessionLimits {
  maxFrameBytes: number;
  maxSessionSeconds: number;
}

/** What the pipeline behind the edge can do, checked at `start`. */
export interface Capabilities {
  sttLanguages: readonly string[];
  defaultLanguage: string;
  translates(source: string, target: string): boolean;
  /** The engines behind the edge, as clients are told (GET /v1/capabilities). */
  engines?: { stt: readonly string[]; mt: readonly string[] };
  /** The pivot language a pair goes through, when it does (apertium en→es→fr: `es`). */
  route?(source: string, target: string): string | undefined;
  /** Whether a TTS runner speaks `language` (`start.speak`); absent: nothing is spoken. */
  speaks?(language: string): boolean;
}

export interface SessionDeps {
  /** Only `add`: a Workers relay's origin link can queue jobs but not run them. */
  sttQueue: Pick<SttQueue, 'add'>;
  results: ResultLog;
  store: SessionStore;
  createVad: () => SpeechDetector & { close(): void };
  capabilities: Capabilities;
  limits: SessionLimits;
  segmenter: Omit<SegmenterOptions, 'sampleRate' | 'frameMs'>;
  clientLimits: ClientLimitOptions;
  /** A connection that sends no `start` this long after opening is closed. */
  startTimeoutMs: number;
  /** A streaming session that sends no audio this long is closed (it can be resumed). */
  idleTimeoutMs: number;
  /** Backpressure: true while the STT queue is so deep that partials should be skipped. */
  shedPartials: () => boolean;
  logger: Logger;
  /** Latency metrics; tracing needs no wiring (see session-telemetry.ts). */
  observer?: SessionObserver;
  /** Per-stage latency budgets (ms; stage-latency.ts); default DEFAULT_STAGE_BUDGETS. */
  budgets?: StageBudgets;
  /** What a session does when it falls behind (catch-up.ts); absent: nothing. */
  catchUp?: CatchUpOptions;
  now?: () => number;
  /** Bounds of a session's glossary (default: 100 terms, 8 KiB). */
  glossaryLimits?: GlossaryLimits;
  /**
   * One speaker connection per session (speaker-lease.ts). Absent where the runtime guarantees it itself (a Workers
   * relay holds one speaker socket and replaces it).
   */
  leases?: SpeakerLeases;
  /** A speaker lease not renewed this long is free (default 5000 ms): the wait for a dead edge's speaker. */
  leaseTtlMs?: number;
  /** Makes wake-word detectors (edge/wake); absent: a `start` with `wake_word` is refused. */
  wake?: WakeWordFactory;
  /** Webhooks and LLM hooks (edge/hooks); absent: `start.hooks` is refused. */
  hooks?: HookService;
}

/** Errors after which the connection is closed (the client must not go on as if it had a session). */
const CLOSING_ERRORS: Partial<Record<ErrorCode, number>> = {
  forbidden: REALTIME_CLOSE.forbidden,
  session_busy: REALTIME_CLOSE.conflict,
};

/** Per connection: what the caller's API key brings. */
export interface SessionOptions {
  /** The key's default glossary; the session's own glossary is merged over it. */
  glossary?: Glossary;
  /** With auth on: a token that lets viewers watch this one session, for the speaker's share link. */
  watchToken?: (session: string) => Promise<string>;
  /** The caller's tenant (its API key id; absent with auth off): recorded on a new session, required to resume one. */
  owner?: string;
  /** A session-bound token's session, or the one the URL names: every `start` on this connection must resume it. */
  boundTo?: string;
  /** The key's LLM hooks and webhook (the session's `start.hooks` override its switches). */
  hooks?: KeyHooks;
}

export interface SessionTransport {
  send(event: ServerEvent): void;
  close(code: number, reason: string): void;
  /** Bytes queued on the socket, not yet sent. */
  bufferedAmount(): number;
}

type State = 'awaiting_start' | 'starting' | 'streaming' | 'stopping' | 'done' | 'closed';

export class RealtimeSession {
  id: string;
  readonly #deps: SessionDeps;
  readonly #transport: SessionTransport;
  #log: Logger;
  #sequencer = new CaptionSequencer();
  #state: State = 'awaiting_start';
  #language = '';
  #targets: string[] = [];
  /** Targets whose translations are spoken (TTS). */
  #speak: string[] = [];
  #vad: (SpeechDetector & { close(): void }) | undefined;
  #segmenter: UtteranceSegmenter | undefined;
  #resampler: StreamingResampler | undefined;
  #sampleRate = PIPELINE_SAMPLE_RATE;
  /** Frames that arrived while `start` was being checked against the store. */
  #early: Uint8Array[] = [];
  #segments = 0;
  #lastPartialAt = -Infinity;
  #unsubscribe: (() => void) | undefined;
  #reportedLateAudio = false;
  /** Resumed after the speaker had stopped: replayed audio and a repeated `stop` are expected, not errors. */
  #resumedStopped = false;
  #partialsShed = 0;
  /** Set once the client broke a limit: it is being disconnected. */
  #cutOff = false;
  /** The protocol this connection speaks (the client's `start.protocol`). */
  #protocol = 1;
  /** Samples (at the client's rate) of replayed audio the session already has: skipped, not fed twice. */
  #skipSamples = 0;
  /** Audio secured so far (seconds), as last acknowledged to a v1.1 client. */
  #acked = 0;
  readonly #telemetry: SessionTelemetry;
  readonly #catchUp: CatchUp;
  readonly #options: SessionOptions;
  #glossary: Glossary | undefined;
  /** Holds audio back until the wake word (start.wake_word); absent without one. */
  #wake: WakeGate | undefined;
  #wakeListen: 'session' | 'utterance' = 'session';
  #wakeOrigin = 0;
  /** This connection's webhooks and LLM hooks; absent without any. */
  #hooks: SessionHookRun | undefined;

  readonly #limits: ClientLimits;
  readonly #openedAt: number;
  #lastAudioAt: number;
  /** This connection's right to queue the session's audio (absent without `deps.leases`). */
  #lease: SpeakerLease | undefined;
  /** Queueing and recording of finals (and of the end) not yet settled: the lease is released only after them. */
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Names this connection as a lease holder. */
  readonly #connection = crypto.randomUUID();

  constructor(id: string, deps: SessionDeps, transport: SessionTransport, options: SessionOptions = {}) {
    this.id = id;
    this.#options = options;
    this.#deps = deps;
    this.#transport = transport;
    this.#log = deps.logger.child({ session: id });
    this.#telemetry = new SessionTelemetry(deps.observer, deps.now ?? Date.now, deps.budgets);
    this.#catchUp = new CatchUp(
      deps.catchUp ?? { enabled: false, queueBudgetMs: Infinity, sttBudgetMs: Infinity },
      deps.observer?.catchUp?.bind(deps.observer),
    );
    this.#openedAt = this.#now();
    this.#lastAudioAt = this.#openedAt;
    this.#limits = new ClientLimits(deps.clientLimits, this.#openedAt);
  }

  /** Called periodically by the route: closes connections that never start or stop sending audio. */
  tick(): void {
    const now = this.#now();
    if (this.#state === 'awaiting_start' && now - this.#openedAt > this.#deps.startTimeoutMs) {
      this.#breach({ code: 'start_timeout', message: `no "start" within ${this.#deps.startTimeoutMs} ms` });
    } else if (this.#state === 'streaming' && now - this.#lastAudioAt > this.#deps.idleTimeoutMs) {
      this.#breach({
        code: 'idle_timeout',
        message: `no audio for ${this.#deps.idleTimeoutMs} ms; resume the session to continue`,
      });
    }
  }

  #now(): number {
    return (this.#deps.now ?? Date.now)();
  }

  /** A client that broke a limit gets the reason as an error event, then a policy-violation close. */
  #breach(breach: LimitBreach): void {
    if (this.#cutOff || this.#state === 'closed') return;
    this.#cutOff = true;
    this.#deps.observer?.cutOff?.(breach.code);
    this.#error(breach.code, breach.message);
    this.#transport.close(CLOSE.policy, breach.code);
    this.onClose();
  }

  /** Every event to the client goes through here: a client that stops reading is cut off, not buffered for. */
  #send(event: ServerEvent): void {
    if (this.#state === 'closed') return;
    this.#transport.send(event);
    if (this.#cutOff) return;
    const breach = this.#limits.onSend(this.#transport.bufferedAmount());
    if (breach) this.#breach(breach);
  }

  get state(): State {
    return this.#state;
  }

  onText(text: string): void {
    if (this.#state === 'closed') return;
    // Text frames count against the frame rate too: a flood of bad messages is a flood of error replies.
    const breach = this.#limits.onFrame(0, this.#now());
    if (breach) return this.#breach(breach);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.#error('bad_json', 'text frames must be JSON');
    }
    const type = (raw as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !CLIENT_MESSAGE_TYPES.includes(type)) {
      // The echo is cut short: a reply must not grow with what a hostile client sends.
      return this.#error(
        'unknown_type',
        `unknown message type ${JSON.stringify(type)?.slice(0, 40)}; expected one of ${CLIENT_MESSAGE_TYPES.join(', ')}`,
      );
    }
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.#error(
        'invalid_message',
        `${type}: ${issue?.path.join('.') || 'message'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const message = parsed.data;
    const handled = message.type === 'start' ? this.#onStart(message) : (async () => this.#onStop())();
    handled.catch((err: unknown) => {
      const error = clientError(err, this.#log);
      this.#error(error.code, error.message);
      const close = CLOSING_ERRORS[error.code];
      if (close !== undefined && this.#state !== 'closed') {
        this.#transport.close(close, error.code);
        this.onClose();
      }
    });
  }

  /** `counted`: a frame held during `start`, already counted against the client's limits. */
  onBinary(bytes: Uint8Array, counted = false): void {
    if (this.#state === 'awaiting_start') return this.#error('not_started', 'send "start" before audio');
    if (bytes.byteLength > this.#deps.limits.maxFrameBytes) {
      return this.#error(
        'frame_too_large',
        `audio frame of ${bytes.byteLength} bytes exceeds the limit of ${this.#deps.limits.maxFrameBytes}`,
      );
    }
    if (bytes.byteLength % 2 !== 0)
      return this.#error('bad_frame', `audio frame of ${bytes.byteLength} bytes is not whole PCM16 samples`);
    if (this.#state === 'starting') {
      // Counted like any audio: a start that waits (for a speaker lease) must not buffer without bound.
      const breach = this.#limits.onFrame(bytes.byteLength / 2 / this.#sampleRate, this.#now());
      if (breach) return this.#breach(breach);
      this.#early.push(bytes.slice());
      return;
    }
    if (this.#state !== 'streaming') {
      if (this.#resumedStopped) return;
      // Frames already in flight when the session stopped: say so once, not once per frame.
      if (!this.#reportedLateAudio) this.#error('already_stopped', 'audio after the session stopped is ignored');
      this.#reportedLateAudio = true;
      return;
    }
    const now = this.#now();
    this.#lastAudioAt = now;
    const breach = counted ? undefined : this.#limits.onFrame(bytes.byteLength / 2 / this.#sampleRate, now);
    if (breach) return this.#breach(breach);
    try {
      let pcm = pcm16FromBytes(bytes);
      if (this.#skipSamples > 0) {
        const skip = Math.min(this.#skipSamples, pcm.length);
        this.#skipSamples -= skip;
        pcm = pcm.subarray(skip);
      }
      if (pcm.length > 0) this.#feed(pcm);
    } catch (err) {
      this.#log.error({ err }, 'audio processing failed');
      this.#error('internal', 'audio processing failed');
    }
  }

  /** The socket closed. The session's log and metadata stay (until they expire) so the client can resume. */
  onClose(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#telemetry.ended('closed');
    this.#release();
  }

  /** The owner's newer connection asked for the session (or the lease was lost): stop here, hand over. */
  #replaced(): void {
    if (this.#state === 'closed' || this.#state === 'done') return;
    this.#error('session_replaced', 'a newer connection to this session took over; this one is closed');
    this.#transport.close(REALTIME_CLOSE.conflict, 'session_replaced');
    this.onClose();
  }

  async #onStart(start: StartMessage): Promise<void> {
    // First, before any other check can fail: a bound connection's binding holds for its whole life.
    const bound = this.#options.boundTo;
    if (bound !== undefined && start.session !== bound)
      throw new EarshotError(
        'forbidden',
        `this connection is bound to session ${bound} (by its token or its URL): "start" must resume it`,
      );
    if (this.#state !== 'awaiting_start')
      throw new EarshotError(
        'already_started',
        'this session has already started; open a new connection for a new session',
      );
    if (start.sample_rate < MIN_SAMPLE_RATE || start.sample_rate > MAX_SAMPLE_RATE) {
      throw new EarshotError(
        'bad_sample_rate',
        `sample_rate ${start.sample_rate} out of range ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz`,
      );
    }
    this.#state = 'starting';
    this.#sampleRate = start.sample_rate;
    let meta: SessionMeta;
    let watchToken: string | undefined;
    try {
      if (start.wake_word) this.#wake = await this.#wakeGate(start.wake_word);
      meta = start.session ? await this.#resume(start.session) : await this.#create(start);
      if (!meta.stopped) meta = await this.#takeLease(meta, Boolean(start.session));
      this.#language = meta.language;
      this.#targets = meta.targets;
      this.#speak = meta.speak ?? [];
      this.#glossary = meta.glossary;
      this.#segments = meta.segments;
      this.#vad = this.#deps.createVad();
      const origin = { segments: meta.segments, sample: Math.round(meta.audioEnd * PIPELINE_SAMPLE_RATE) };
      this.#segmenter = new UtteranceSegmenter(
        this.#vad,
        { ...this.#deps.segmenter, sampleRate: PIPELINE_SAMPLE_RATE, frameMs: 30 },
        origin,
      );
      this.#sampleRate = start.sample_rate;
      if (start.sample_rate !== PIPELINE_SAMPLE_RATE)
        this.#resampler = new StreamingResampler(start.sample_rate, PIPELINE_SAMPLE_RATE);
      this.#protocol = start.protocol ?? 1;
      // A replay that starts before the point the session resumes from: the overlap is dropped as it arrives.
      if (start.session && start.replay_from !== undefined)
        this.#skipSamples = Math.max(0, Math.round((meta.audioEnd - start.replay_from) * start.sample_rate));
      this.#acked = meta.audioEnd;
      this.#wakeOrigin = meta.audioEnd;
      this.#sequencer = new CaptionSequencer(start.session ? (start.last_seq ?? 0) : 0, {
        revisions: this.#protocol >= 1.1,
        speakers: this.#protocol >= 1.2,
        speak: this.#speak,
      });
      watchToken = await this.#options.watchToken?.(meta.id);
      this.#hooks = this.#sessionHooks(start, meta);
    } catch (err) {
      if (this.#state === 'starting') this.#state = 'awaiting_start';
      this.#early = [];
      void this.#wake?.close().catch(() => undefined);
      this.#wake = undefined;
      void this.#lease?.release().catch(() => undefined);
      this.#lease = undefined;
      throw err;
    }
    if (this.#state !== 'starting') return; // the socket closed meanwhile (onClose released the lease)
    // A session resumed after its speaker stopped is only owed its remaining captions.
    this.#state = meta.stopped ? 'stopping' : 'streaming';
    this.#resumedStopped = meta.stopped;
    this.#telemetry.started(this.id, {
      language: this.#language,
      targets: this.#targets,
      resumed: Boolean(start.session),
    });
    this.#send({
      type: 'ready',
      session: this.id,
      protocol: this.#protocol,
      targets: this.#targets,
      ...(start.session ? { resume_from: this.#segmenter!.position / PIPELINE_SAMPLE_RATE } : {}),
      ...(watchToken ? { watch_token: watchToken } : {}),
      ...(start.speak || this.#speak.length > 0 ? { speak: this.#speak } : {}),
    });
    // After `ready`: logs that replay their history synchronously (in memory, a relay's storage) deliver it here.
    if (this.#hooks?.notice) this.#error('engine_unavailable', this.#hooks.notice);
    this.#unsubscribe = this.#deps.results.subscribe(this.id, '0', (entry) => this.#onResult(entry.result));
    this.#log.info(
      {
        language: this.#language,
        targets: this.#targets,
        sampleRate: start.sample_rate,
        resumed: Boolean(start.session),
      },
      'session started',
    );
    for (const frame of this.#early.splice(0)) this.onBinary(frame, true);
  }

  /** The gate of `start.wake_word`: audio before the phrase is heard reaches the segmenter as silence. */
  async #wakeGate(wake: NonNullable<StartMessage['wake_word']>): Promise<WakeGate> {
    if (!this.#deps.wake) throw new EarshotError('unsupported_wake_word', 'this server has no wake-word engine');
    const detector = await this.#deps.wake({
      phrase: wake.phrase,
      ...(wake.sensitivity !== undefined ? { sensitivity: wake.sensitivity } : {}),
    });
    this.#wakeListen = wake.listen ?? 'session';
    return new WakeGate(detector, {
      logger: this.#log,
      onAudio: (pcm) => this.#caption(pcm),
      onWake: (detection) => {
        // Detector time counts from this connection's first audio, which begins at the session's audio end.
        const at = Math.round((this.#wakeOrigin + detection.at) * 1000) / 1000;
        this.#log.info({ phrase: detection.phrase, at }, 'wake word heard');
        this.#send({ type: 'wake', phrase: detection.phrase, at });
        this.#hooks?.onWake(at);
      },
    });
  }

  #sessionHooks(start: StartMessage, meta: SessionMeta): SessionHookRun | undefined {
    if (!start.hooks && !this.#options.hooks) return undefined;
    if (!this.#deps.hooks) {
      if (start.hooks) throw new EarshotError('invalid_request', 'this server runs no hooks');
      return undefined;
    }
    // Events from the hooks (edits, replies) reach the speaker while it is connected; later ones only webhooks.
    return this.#deps.hooks.forSession({
      session: meta.id,
      key: this.#options.hooks,
      start: start.hooks,
      glossary: meta.glossary,
      emit: (event) => this.#send(event),
      logger: this.#log,
    });
  }

  async #create(start: StartMessage): Promise<SessionMeta> {
    const { capabilities } = this.#deps;
    const language = (start.language ?? capabilities.defaultLanguage).split('-')[0]!;
    if (!capabilities.sttLanguages.includes(language)) {
      throw new EarshotError(
        'unsupported_language',
        `language "${language}" is not supported; available: ${capabilities.sttLanguages.join(', ')}`,
      );
    }
    const glossary = mergeGlossaries(this.#options.glossary, start.glossary);
    checkGlossary(glossary, this.#deps.glossaryLimits ?? DEFAULT_GLOSSARY_LIMITS);
    const targets: string[] = [];
    for (const target of new Set(start.targets)) {
      if (capabilities.translates(language, target)) targets.push(target);
      else
        this.#error(
          'unsupported_target',
          `no translation from ${language} to "${target}"; the session continues without it`,
        );
    }
    const speak: string[] = [];
    for (const lang of new Set(start.speak ?? [])) {
      if (targets.includes(lang) && capabilities.speaks?.(lang)) speak.push(lang);
      else
        this.#error(
          'unsupported_voice',
          targets.includes(lang)
            ? `no voice speaks "${lang}"; its translations are not spoken`
            : `"${lang}" is not a target of this session; only translations are spoken`,
        );
    }
    const owner = this.#options.owner;
    const meta: SessionMeta = {
      id: this.id,
      language,
      targets,
      segments: 0,
      audioEnd: 0,
      stopped: false,
      ...(glossary.length ? { glossary } : {}),
      ...(owner ? { owner } : {}),
      ...(speak.length ? { speak } : {}),
    };
    await this.#deps.store.create(meta);
    return meta;
  }

  async #resume(id: string): Promise<SessionMeta> {
    const meta = await this.#deps.store.get(id);
    if (!meta)
      throw new EarshotError('unknown_session', `session ${id} does not exist or has expired; start a new one`);
    // Tenancy: only the key that created a session (or its tokens) may resume it.
    if (meta.owner !== this.#options.owner)
      throw new EarshotError('forbidden', `session ${id} belongs to another API key`);
    this.id = id;
    this.#log = this.#deps.logger.child({ session: id });
    return meta;
  }

  /**
   * Becomes the session's one speaker: waits for a previous connection to hand over (it finishes queueing what
   * it had), then reads the metadata again, since that connection may have queued more utterances meanwhile.
   */
  async #takeLease(meta: SessionMeta, resuming: boolean): Promise<SessionMeta> {
    const leases = this.#deps.leases;
    if (!leases) return meta;
    const ttlMs = this.#deps.leaseTtlMs ?? 5000;
    const lease = await SpeakerLease.acquire(
      leases,
      meta.id,
      this.#connection,
      { ttlMs, waitMs: 2 * ttlMs + 1000, onYield: () => this.#replaced() },
      () => this.#state !== 'starting',
    );
    if (this.#state !== 'starting') {
      await lease?.release();
      return meta;
    }
    if (!lease)
      throw new EarshotError(
        'session_busy',
        `another connection is speaking into session ${meta.id} and did not hand over; try again`,
      );
    this.#lease = lease;
    if (!resuming) return meta;
    const fresh = await this.#deps.store.get(meta.id);
    if (!fresh) throw new EarshotError('unknown_session', `session ${meta.id} has expired; start a new one`);
    return fresh;
  }

  /** Keeps `work` (queueing or recording audio) in view until it settles: the lease outlives it. */
  #track(work: Promise<unknown>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work)).catch(() => undefined);
  }

  #onStop(): void {
    if (this.#state === 'awaiting_start' || this.#state === 'starting')
      throw new EarshotError('not_started', 'nothing to stop: send "start" first');
    if (this.#state !== 'streaming') {
      if (this.#resumedStopped) return;
      throw new EarshotError('already_stopped', 'the session is already stopping');
    }
    this.#finishAudio();
  }

  #finishAudio(): void {
    this.#state = 'stopping';
    const wake = this.#wake;
    if (wake) {
      // Audio still with the wake-word detector is captioned (or silenced) first, in order.
      if (this.#resampler) wake.push(floatToPcm16(this.#resampler.flush()));
      return void wake.drain().then(() => this.#finishSegments());
    }
    if (this.#resampler) this.#enqueue(this.#segmenter!.feed(floatToPcm16(this.#resampler.flush())));
    this.#finishSegments();
  }

  #finishSegments(): void {
    if (this.#state !== 'stopping') return; // closed meanwhile
    this.#enqueue(this.#segmenter!.finish());
    const segments = this.#segments;
    this.#log.info({ segments }, 'session stopping');
    // After every segment's job is queued (adds are ordered per driver), mark the end in the log.
    this.#track(
      this.#deps.store
        .update(this.id, { segments, stopped: true })
        .then(() => this.#deps.results.append(this.id, { type: 'ended', segments }))
        .catch((err: unknown) => {
          this.#log.error({ err }, 'could not record the end of the session');
          this.#onResult({ type: 'ended', segments });
        }),
    );
  }

  #feed(pcm: Int16Array): void {
    const audio = this.#resampler ? floatToPcm16(this.#resampler.push(pcm16ToFloat(pcm))) : pcm;
    if (this.#wake) this.#wake.push(audio);
    else this.#caption(audio);
  }

  /** Audio (16 kHz) on to the segmenter: utterances become STT jobs. */
  #caption(audio: Int16Array): void {
    const segmenter = this.#segmenter;
    if (!segmenter || this.#state === 'done' || this.#state === 'closed') return;
    const room = this.#deps.limits.maxSessionSeconds * PIPELINE_SAMPLE_RATE - segmenter.position;
    const fed = room < audio.length ? audio.subarray(0, Math.max(0, room)) : audio;
    this.#telemetry.heard((segmenter.position + fed.length) / PIPELINE_SAMPLE_RATE);
    this.#catchUp.steer(segmenter, this.#now());
    this.#enqueue(segmenter.feed(fed));
    if (room <= audio.length && this.#state === 'streaming') {
      this.#error(
        'session_too_long',
        `session length limit of ${this.#deps.limits.maxSessionSeconds} s reached; the session ends`,
      );
      this.#finishAudio();
    }
  }

  #enqueue(events: SegmenterEvent[]): void {
    const now = (this.#deps.now ?? Date.now)();
    for (const event of events) {
      if (event.type === 'snapshot') {
        // Wall-clock throttle on top of the segmenter's audio-time interval: fast streams must not flood the queue.
        if (now - this.#lastPartialAt < this.#deps.segmenter.partialIntervalMs) continue;
        if (!this.#catchUp.allowPartial(now)) continue;
        if (this.#deps.shedPartials()) {
          this.#partialsShed += 1;
          continue;
        }
        this.#lastPartialAt = now;
      }
      const kind = event.type === 'snapshot' ? 'partial' : 'final';
      const start = event.startSample / PIPELINE_SAMPLE_RATE;
      const end =
        (event.type === 'utterance' ? event.endSample : event.startSample + event.pcm.length) / PIPELINE_SAMPLE_RATE;
      const id = sttJobId(this.id, event.segment, kind);
      const traced = this.#telemetry.enqueuing({ id, session: this.id, segment: event.segment, kind, end });
      if (kind === 'final') this.#catchUp.queued(event.segment, now);
      const added = this.#deps.sttQueue
        .add({
          id,
          session: this.id,
          segment: event.segment,
          kind,
          pcm: event.pcm,
          language: this.#language,
          start,
          end,
          targets: this.#targets,
          enqueuedAt: now,
          traceparent: traced.traceparent,
          ...(this.#glossary ? { glossary: this.#glossary } : {}),
          ...(this.#speak.length ? { speak: this.#speak } : {}),
          ...(event.type === 'snapshot' ? { rev: event.rev, stable: event.stableSamples } : {}),
        })
        .then(
          () => traced.settled(),
          (err: unknown) => {
            traced.settled(err);
            throw err;
          },
        );
      if (kind === 'partial') {
        added.catch((err: unknown) => this.#log.debug({ err, job: id }, 'partial not queued'));
        continue;
      }
      this.#segments = event.segment;
      const segment = event.segment;
      // An assistant's turn: one utterance after the phrase, then wait for the phrase again.
      if (this.#wakeListen === 'utterance') this.#wake?.rearm();
      this.#track(
        added
          .then(() => this.#deps.store.update(this.id, { segments: segment, audioEnd: end }))
          .then(() => this.#ack(end))
          .catch((err: unknown) => {
            this.#log.error({ err, segment, job: id }, 'enqueue failed');
            // Never a silent gap: the client hears which stretch of audio was lost.
            this.#onResult({
              type: 'error',
              code: 'queue_unavailable',
              message: `audio ${start.toFixed(2)}–${end.toFixed(2)} s was not transcribed: the queue is unreachable`,
              seq: segment,
            });
          }),
      );
    }
  }

  /** v1.1: audio up to `end` is secured (its utterance is queued and recorded), so the client may forget it. */
  #ack(end: number): void {
    if (this.#protocol < 1.1 || end <= this.#acked || this.#state !== 'streaming') return;
    this.#acked = end;
    this.#send({ type: 'ack', audio_end: end });
  }

  #onResult(result: SessionResult): void {
    if (this.#state === 'closed' || this.#state === 'done') return;
    this.#telemetry.arrived(result);
    this.#catchUp.answered(result, this.#now());
    for (const event of this.#sequencer.accept(result)) {
      this.#send(event);
      this.#telemetry.delivered(event);
      this.#hooks?.onEvent(event);
    }
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#state !== 'stopping' || !this.#sequencer.complete) return;
    this.#state = 'done';
    this.#send({ type: 'done' });
    this.#hooks?.onEvent({ type: 'done' });
    this.#log.info(
      {
        segments: this.#segments,
        partialsShed: this.#partialsShed,
        stages: this.#telemetry.stageSummary(),
        catchUp: this.#catchUp.summary(),
      },
      'session done',
    );
    this.#telemetry.ended('done');
    this.#release();
    this.#transport.close(CLOSE.normal, 'done');
  }

  #release(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#vad?.close();
    this.#vad = undefined;
    void this.#wake?.close().catch((err: unknown) => this.#log.warn({ err }, 'wake-word detector not closed'));
    this.#wake = undefined;
    // The next speaker reads the session's segment count once everything queued here is recorded.
    const lease = this.#lease;
    this.#lease = undefined;
    if (lease) {
      void Promise.allSettled([...this.#inFlight])
        .then(() => lease.release())
        .catch((err: unknown) => this.#log.warn({ err }, 'speaker lease not released; it expires by itself'));
    }
  }

  #error(code: ErrorCode, message: string): void {
    this.#log.warn({ code, message }, 'client error');
    this.#send({ type: 'error', code, message });
  }
}
