/**
 * The `SessionRelay` Durable Object: the owner of one session on Workers. It mounts the same edge app as the Node
 * edge (edge/app.ts: auth and scopes, per-key limits, the realtime and watch routes with their timeouts, tokens,
 * transcripts) and binds it to what a Durable Object has: WebSocketPair sockets (upgrade.ts), its SQLite storage
 * for the session's metadata and event log (relay-storage.ts), AuthState objects for limits shared across relays
 * (auth-state.ts), and secrets from the environment. A Durable Object cannot speak Redis, so its queue and result
 * log are an OriginLink: one authenticated WebSocket to a Node edge in its origin role.
 *
 * The relay's name is its session's id: the Worker (index.ts) picks a fresh one for a new session and the one in
 * the URL for a resume, a watch or a transcript. Sockets are accepted, not hibernated: a relay with live sockets
 * stays in memory, so the routes' timers (start and idle timeouts, viewer idling) run as on Node. A relay that is
 * restarted (a deploy) drops its sockets; clients resume from the stored log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DurableObject } from 'cloudflare:workers';
import fvadWasm from '@echogarden/fvad-wasm/fvad.wasm';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import { CLOSE } from '../../../shared/close-codes.ts';
import { loadConfig, type Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { SessionResult } from '../../../shared/queue/jobs.ts';
import { MemorySpeakerLeases } from '../../../shared/queue/memory-speaker-leases.ts';
import type { SessionMeta, SessionStore } from '../../../shared/queue/ports.ts';
import { loadFvad, type FvadModule } from '../../../shared/vad/webrtc-vad.ts';
import { createEdgeApp } from '../../app.ts';
import type { Authenticator } from '../../auth/authenticator.ts';
import { parseAllowedOrigins } from '../../auth/browser-origin.ts';
import { authenticatorFromConfig } from '../../auth/from-config.ts';
import { capabilitiesFrom } from '../../realtime/origin-wire.ts';
import { sessionDepsFromConfig } from '../../realtime/session-config.ts';
import { SessionRegistry } from '../../realtime/session-registry.ts';
import type { Capabilities } from '../../realtime/session.ts';
import { acquireSlot, DEPLOYMENT, DurableLimiter, DurableRevocations } from './auth-state.ts';
import { RELAY_HEADERS, TOKENS_RELAY, type WorkersEnv } from './env.ts';
import { workersLogger } from './logger.ts';
import { OriginLink } from './origin-link.ts';
import { RelayResultLog, RelayStorage } from './relay-storage.ts';
import { upgradeWebSocket } from './upgrade.ts';

/** How long a speaker's first messages wait for the origin's hello before the session is refused. */
const ORIGIN_WAIT_MS = 10_000;
/** Messages a socket may send before the origin's hello. */
const MAX_HELD = 1000;

/** Until the origin has said hello, nothing is supported (no `start` can be checked before then: see #held). */
const NOTHING: Capabilities = { sttLanguages: [], defaultLanguage: 'en', translates: () => false };

/** The Workers deployment's authenticator: keys and the token secret from secrets, limits in AuthState objects. */
export function workersAuth(config: Config, env: WorkersEnv, logger: Logger): Authenticator {
  return authenticatorFromConfig(config, logger, {
    limiter: new DurableLimiter(env.AUTH_STATE),
    revocations: new DurableRevocations(env.AUTH_STATE),
    // Every relay and isolate must verify what any other signed: without EARSHOT_JWT_SECRET, a key derived from the
    // origin secret (never the secret itself) is the one they all share.
    fallbackSecret: () =>
      env.EARSHOT_ORIGIN_SECRET
        ? createHash('sha256').update(`earshot token key\0${env.EARSHOT_ORIGIN_SECRET}`).digest()
        : randomBytes(32),
    // A Worker answers on the public internet: `auto` means on.
    exposure: 'public',
    limitsIn: 'durable-objects',
  });
}

export class SessionRelay extends DurableObject<WorkersEnv> {
  readonly #config: Config;
  readonly #logger: Logger;
  readonly #storage: RelayStorage;
  readonly #results: RelayResultLog;
  readonly #registry = new SessionRegistry(Number.MAX_SAFE_INTEGER);
  #fvad: FvadModule | undefined;
  #id: string | undefined;
  #app: Hono | undefined;
  #link: OriginLink | undefined;
  /** What the pipeline can do, from the origin's latest hello. */
  #capabilities: Capabilities | undefined;
  /** Per socket, messages that arrived before the origin's hello, delivered in order once it comes. */
  readonly #held = new Map<WSContext, (() => void)[]>();

  constructor(ctx: DurableObjectState, env: WorkersEnv) {
    super(ctx, env);
    this.#config = loadConfig(env as Record<string, string | undefined>);
    this.#logger = workersLogger(this.#config.logLevel);
    this.#storage = new RelayStorage(ctx.storage.sql);
    this.#results = new RelayResultLog(
      this.#storage,
      (result) => this.#forward(result),
      () => this.#reconcileSoon(),
    );
    void ctx.blockConcurrencyWhile(async () => {
      this.#fvad = await loadFvad(fvadWasm);
    });
  }

  override async fetch(request: Request): Promise<Response> {
    const session = request.headers.get(RELAY_HEADERS.session);
    if (!session)
      return Response.json(
        { error: { code: 'invalid_request', message: 'relays are reached through the Worker' } },
        { status: 400 },
      );
    this.#id ??= session;
    this.#app ??= this.#edge(session);
    return this.#app.fetch(request, this.env);
  }

  /** Another relay (the one minting tokens) asks about this relay's session. */
  async meta(id: string): Promise<SessionMeta | undefined> {
    return this.#storage.get(id);
  }

  /** Forgets the session once it has been idle for the retention time, like the Node drivers' key expiry. */
  override async alarm(): Promise<void> {
    if (this.#attached) return this.#expireLater();
    await this.ctx.storage.deleteAll();
  }

  #edge(id: string): Hono {
    const config = this.#config;
    const logger = this.#logger.child({ relay: id });
    const capabilities: Capabilities = {
      get sttLanguages() {
        return current().sttLanguages;
      },
      get defaultLanguage() {
        return current().defaultLanguage;
      },
      translates: (source, target) => current().translates(source, target),
    };
    const current = () => this.#capabilities ?? NOTHING;
    return createEdgeApp({
      upgradeWebSocket: this.#relayUpgrade(),
      registry: this.#registry,
      newSessionId: () => id,
      admission: () => null,
      auth: workersAuth(config, this.env, logger),
      deploymentSlot: () => acquireSlot(this.env.AUTH_STATE, DEPLOYMENT, 'sessions', config.maxSessions),
      viewers: { max: config.maxViewers, idleMs: config.viewerIdleMs },
      // Browser pages from other sites are refused as on Node; a Worker never answers to loopback names only.
      originPolicy: { allowedOrigins: parseAllowedOrigins(config.allowedOrigins), loopback: false },
      maxJsonBytes: config.maxJsonBytes,
      health: () => ({ edge: { status: 'ok', runtime: 'workers' } }),
      sessionDeps: sessionDepsFromConfig(config, {
        fvad: this.#fvad!,
        sttQueue: { add: (job) => this.#origin(id).add(job) },
        results: this.#results,
        // A session relay knows its own session only (resuming another here would split it across relays); the
        // tokens relay asks each session's relay about it.
        store: id === TOKENS_RELAY ? new RemoteSessions(this.env) : this.#storage,
        // One speaker per session, handed over as on Node: the relay is the one place its session is spoken into.
        leases: new MemorySpeakerLeases(),
        capabilities,
        // The origin's queue depth is not visible from here; the origin still bounds its queue.
        shedPartials: () => false,
        logger,
      }),
    });
  }

  /**
   * The upgrade the app's routes use, with one addition: until the origin's first hello (a `start` is checked
   * against the pipeline's languages), a socket's messages wait; if it does not come in time, the socket is told
   * and closed.
   */
  #relayUpgrade(): UpgradeWebSocket {
    const upgrade = upgradeWebSocket as unknown as (
      create: (c: Context) => Promise<WSEvents>,
      options?: unknown,
    ) => MiddlewareHandler;
    const relayed = (createEvents: (c: Context) => WSEvents | Promise<WSEvents>, options?: unknown) =>
      upgrade(async (c) => {
        const events = await createEvents(c);
        return {
          ...events,
          onMessage: (event, ws) => {
            const deliver = () => events.onMessage?.(event, ws);
            // Only the first hello is awaited: later origin drops are the link's to ride out (it resends).
            if (this.#capabilities) return deliver();
            this.#hold(ws, deliver);
          },
        };
      }, options);
    return relayed as unknown as UpgradeWebSocket;
  }

  #hold(ws: WSContext, deliver: () => void): void {
    const held = this.#held.get(ws);
    if (held) {
      held.push(deliver);
      // Bounded like everything a client sends: at 50 frames/s this is more than the whole wait.
      if (held.length > MAX_HELD)
        this.#unavailable(
          ws,
          CLOSE.tryAgainLater,
          'the origin behind this edge has not answered yet; try again shortly',
        );
      return;
    }
    this.#held.set(ws, [deliver]);
    this.#origin(this.#id!).open();
    setTimeout(() => {
      if (this.#held.get(ws)?.length)
        this.#unavailable(ws, CLOSE.tryAgainLater, 'the origin behind this edge is unreachable; try again shortly');
    }, ORIGIN_WAIT_MS);
  }

  /** A socket whose messages cannot reach the origin: told why, then closed. */
  #unavailable(ws: WSContext, code: number, message: string): void {
    this.#held.delete(ws);
    ws.send(JSON.stringify({ type: 'error', code: 'queue_unavailable', message }));
    ws.close(code, 'queue_unavailable');
  }

  /** The link to the origin, made on first use; its hello releases the messages held for it. */
  #origin(id: string): OriginLink {
    this.#link ??= new OriginLink({
      url: this.env.EARSHOT_ORIGIN_URL,
      secret: this.env.EARSHOT_ORIGIN_SECRET,
      session: id,
      cursor: () => this.#storage.originCursor(),
      onHello: (hello) => {
        this.#capabilities = capabilitiesFrom(hello);
        const held = [...this.#held.values()];
        this.#held.clear();
        for (const messages of held) for (const deliver of messages) deliver();
      },
      onResult: (cursor, result) => this.#results.received(cursor, result),
      onRefused: (reason) => {
        for (const ws of [...this.#held.keys()]) this.#unavailable(ws, CLOSE.internal, reason);
      },
      logger: this.#logger.child({ session: id }),
    });
    if (this.#attached) this.#link.open();
    return this.#link;
  }

  /** Sessions append only their `ended` marker; the origin's log takes it, and it comes back like any result. */
  async #forward(result: SessionResult): Promise<void> {
    if (result.type !== 'ended') throw new Error(`a relay cannot append a ${result.type} result`);
    await this.#origin(this.#id!).append(result);
  }

  /** A speaker's session or anyone reading the log. */
  get #attached(): boolean {
    return this.#registry.size > 0 || this.#results.readers > 0;
  }

  /** After the route has dropped the closing socket's session: the origin socket is kept while anyone is attached. */
  #reconcileSoon(): void {
    setTimeout(() => {
      if (this.#attached) return this.#link?.open();
      this.#link?.close();
      void this.#expireLater();
    }, 0);
  }

  async #expireLater(): Promise<void> {
    await this.ctx.storage.setAlarm(Date.now() + this.#config.sessionRetentionSeconds * 1000);
  }
}

/** The sessions as the tokens relay sees them: each one's metadata is its own relay's. */
class RemoteSessions implements SessionStore {
  readonly #env: WorkersEnv;

  constructor(env: WorkersEnv) {
    this.#env = env;
  }

  async get(id: string): Promise<SessionMeta | undefined> {
    const relay = this.#env.SESSION_RELAY;
    return (await relay.get(relay.idFromName(id)).meta(id)) as SessionMeta | undefined;
  }

  async create(): Promise<void> {
    throw new Error('the tokens relay holds no sessions');
  }

  async update(): Promise<void> {
    throw new Error('the tokens relay holds no sessions');
  }

  async close(): Promise<void> {}
}
