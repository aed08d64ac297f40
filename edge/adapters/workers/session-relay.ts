/**
 * The `SessionRelay` Durable Object: the owner of one session on Workers. It holds the speaker's socket and the
 * viewers' sockets (the hibernation API: `acceptWebSocket` and the webSocket* handlers), keeps the session's
 * metadata and event log in its storage, and runs the same RealtimeSession (VAD in WASM) and Viewer classes as
 * the Node edge. A Durable Object cannot speak Redis, so its queue and result log are an OriginLink: one
 * authenticated WebSocket to a Node edge in its origin role.
 *
 * While anyone is attached and the session is unfinished the origin socket stays open, and an object with an
 * outgoing socket is not hibernated; so sockets found attached when the object starts have lost their session
 * objects (a restart or deploy): they are closed with 1012, and their clients resume.
 */
import { DurableObject } from 'cloudflare:workers';
import fvadWasm from '@echogarden/fvad-wasm/fvad.wasm';
import { loadConfig, type Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { SessionResult } from '../../../shared/queue/jobs.ts';
import { loadFvad, WebRtcVad, type FvadModule, type VadAggressiveness } from '../../../shared/vad/webrtc-vad.ts';
import { capabilitiesFrom } from '../../realtime/origin-wire.ts';
import { RealtimeSession, type Capabilities, type SessionDeps } from '../../realtime/session.ts';
import { Viewer } from '../../realtime/viewer.ts';
import { RELAY_HEADERS, type WorkersEnv } from './env.ts';
import { workersLogger } from './logger.ts';
import { OriginLink } from './origin-link.ts';
import { RelayResultLog, RelayStorage } from './relay-storage.ts';

/** How long a speaker's first messages wait for the origin's hello before the session is refused. */
const ORIGIN_WAIT_MS = 10_000;

interface Speaker {
  ws: WebSocket;
  /** Created once the origin has said what the pipeline can do. */
  session?: RealtimeSession;
  /** Frames that arrived before that. */
  held: (string | ArrayBuffer)[];
}

export class SessionRelay extends DurableObject<WorkersEnv> {
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #storage: RelayStorage;
  readonly #results: RelayResultLog;
  #fvad: FvadModule | undefined;
  #link: OriginLink | undefined;
  /** What the pipeline can do, from the origin's latest hello. */
  #capabilities: Capabilities | undefined;
  #speaker: Speaker | undefined;
  readonly #viewers = new Map<WebSocket, Viewer>();

  constructor(ctx: DurableObjectState, env: WorkersEnv) {
    super(ctx, env);
    this.#config = loadConfig(env as Record<string, string | undefined>);
    this.#logger = workersLogger(this.#config.logLevel);
    this.#storage = new RelayStorage(ctx.storage.sql);
    this.#results = new RelayResultLog(this.#storage, (result) => this.#forward(result), () => this.#reconcile());
    for (const ws of ctx.getWebSockets()) ws.close(1012, 'relay restarted; resume the session');
    void ctx.blockConcurrencyWhile(async () => {
      this.#fvad = await loadFvad(fvadWasm);
    });
  }

  override async fetch(request: Request): Promise<Response> {
    const session = request.headers.get(RELAY_HEADERS.session);
    if (!session) return Response.json({ error: { code: 'invalid_request', message: 'relays are reached through the Worker' } }, { status: 400 });
    const { 0: client, 1: server } = new WebSocketPair();
    const viewer = request.headers.get(RELAY_HEADERS.role) === 'viewer';
    this.ctx.acceptWebSocket(server, [viewer ? 'viewer' : 'speaker']);
    if (viewer) this.#watch(server, session);
    else this.#speak(server, session);
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const speaker = this.#speaker;
    if (speaker?.ws !== ws) return; // viewers only listen
    if (!speaker.session) speaker.held.push(message);
    else deliver(speaker.session, message);
  }

  override webSocketClose(ws: WebSocket): void {
    this.#detach(ws);
  }

  override webSocketError(ws: WebSocket): void {
    this.#detach(ws);
  }

  /** Forgets the session once it has been idle for the retention time, like the Node drivers' key expiry. */
  override async alarm(): Promise<void> {
    if (this.ctx.getWebSockets().length > 0) return this.#expireLater();
    await this.ctx.storage.deleteAll();
  }

  #speak(ws: WebSocket, id: string): void {
    // A reconnecting speaker replaces a socket that has not noticed it is dead (the origin link stays up).
    const old = this.#speaker;
    const speaker: Speaker = { ws, held: [] };
    this.#speaker = speaker;
    if (old) {
      old.session?.onClose();
      old.ws.close(4000, 'replaced by a new connection');
    }
    const link = this.#origin(id);
    link.open();
    if (link.ready) return this.#begin(speaker, id);
    setTimeout(() => {
      if (this.#speaker !== speaker || speaker.session) return;
      ws.send(JSON.stringify({ type: 'error', code: 'queue_unavailable', message: 'the origin behind this edge is unreachable; try again shortly' }));
      ws.close(1013, 'queue_unavailable');
      this.#detach(ws);
    }, ORIGIN_WAIT_MS);
  }

  #watch(ws: WebSocket, id: string): void {
    const viewer = new Viewer(id, { store: this.#storage, results: this.#results, logger: this.#logger }, {
      send: (event) => trySend(ws, JSON.stringify(event)),
      close: (code, reason) => {
        ws.close(code, reason);
        this.#detach(ws);
      },
      bufferedAmount: () => 0, // not exposed on Workers: viewers are never shed or dropped here
    });
    this.#viewers.set(ws, viewer);
    this.#origin(id).open();
    viewer.open().catch((err: unknown) => {
      this.#logger.error({ err, session: id }, 'viewer failed');
      ws.close(1011, 'internal');
      this.#detach(ws);
    });
  }

  /** The link to the origin, made on first use; its hello lets the waiting speaker's session start. */
  #origin(id: string): OriginLink {
    this.#link ??= new OriginLink({
      url: this.env.EARSHOT_ORIGIN_URL,
      secret: this.env.EARSHOT_ORIGIN_SECRET,
      session: id,
      cursor: () => this.#storage.originCursor(),
      onHello: (hello) => {
        this.#capabilities = capabilitiesFrom(hello);
        if (this.#speaker && !this.#speaker.session) this.#begin(this.#speaker, id);
      },
      onResult: (cursor, result) => this.#results.received(cursor, result),
      onRefused: (reason) => {
        for (const ws of this.ctx.getWebSockets()) {
          trySend(ws, JSON.stringify({ type: 'error', code: 'queue_unavailable', message: reason }));
          ws.close(1011, 'queue_unavailable');
          this.#detach(ws);
        }
      },
      logger: this.#logger.child({ session: id }),
    });
    return this.#link;
  }

  /** Runs the speaker's session, now that the origin is there, on the frames that waited for it. */
  #begin(speaker: Speaker, id: string): void {
    speaker.session = new RealtimeSession(id, this.#sessionDeps(this.#capabilities!), {
      send: (event) => trySend(speaker.ws, JSON.stringify(event)),
      close: (code, reason) => {
        speaker.ws.close(code, reason);
        this.#detach(speaker.ws);
      },
      bufferedAmount: () => 0, // not exposed on Workers
    });
    for (const message of speaker.held.splice(0)) deliver(speaker.session, message);
  }

  #sessionDeps(capabilities: Capabilities): SessionDeps {
    const config = this.#config;
    const fvad = this.#fvad!;
    return {
      sttQueue: this.#link!,
      results: this.#results,
      store: this.#storage,
      createVad: () => WebRtcVad.fromModule(fvad, { aggressiveness: config.vadAggressiveness as VadAggressiveness, sampleRate: 16000, frameMs: 30 }),
      capabilities,
      glossaryLimits: { maxTerms: config.glossaryMaxTerms, maxBytes: config.glossaryMaxBytes },
      limits: { maxFrameBytes: config.maxFrameBytes, maxSessionSeconds: config.maxSessionSeconds },
      clientLimits: { maxAudioRate: config.maxAudioRate, audioBurstSeconds: config.audioBurstSeconds, maxFramesPerSecond: config.maxFramesPerSecond, maxSendBufferBytes: config.maxSendBufferBytes },
      startTimeoutMs: config.startTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      segmenter: { silenceMs: config.vadSilenceMs, maxUtteranceMs: config.vadMaxUtteranceMs, preRollMs: config.vadPreRollMs, minSpeechMs: 200, partialIntervalMs: config.partialIntervalMs },
      // The origin's queue depth is not visible from here; the origin still bounds its queue.
      shedPartials: () => false,
      logger: this.#logger,
    };
  }

  /** Sessions append only their `ended` marker; the origin's log takes it, and it comes back like any result. */
  async #forward(result: SessionResult): Promise<void> {
    if (result.type !== 'ended' || !this.#link) throw new Error(`a relay cannot append a ${result.type} result`);
    await this.#link.append(result);
  }

  /** A socket is gone (closed by either side): drop its session or viewer, then see whether the link is needed. */
  #detach(ws: WebSocket): void {
    if (this.#speaker?.ws === ws) {
      this.#speaker.session?.onClose();
      this.#speaker = undefined;
    }
    this.#viewers.get(ws)?.onClose();
    this.#viewers.delete(ws);
    this.#reconcile();
  }

  /** The origin socket is kept while a speaker streams or anyone reads the log. */
  #reconcile(): void {
    if (this.#speaker || this.#results.readers > 0) return;
    this.#link?.close();
    void this.#expireLater();
  }

  async #expireLater(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + this.#config.sessionRetentionSeconds * 1000);
  }
}

function deliver(session: RealtimeSession, message: string | ArrayBuffer): void {
  if (typeof message === 'string') session.onText(message);
  else session.onBinary(new Uint8Array(message));
}

function trySend(ws: WebSocket, data: string): void {
  try {
    ws.send(data);
  } catch {
    // closed meanwhile: the close handler cleans up
  }
}
