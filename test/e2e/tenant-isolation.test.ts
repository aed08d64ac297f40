/**
 * Issue 14, the realtime half: one tenant (API key) must never read, write or silence another's session, a bound
 * token stays bound, a session has one speaker socket at a time without losing an utterance, and viewers are
 * bounded. Each case runs against the real embedded server with auth on, in memory and on a real Redis.
 */
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { TestRedis } from '../support/redis-server.ts';
import { startTestServer } from '../support/server.ts';
import { withPauses } from '../support/sessions.ts';

const alice = createApiKey({ id: 'alice', scopes: ['realtime', 'watch'], max_viewers: 2 });
const bob = createApiKey({ id: 'bob', scopes: ['realtime', 'watch'] });
const bobWatch = createApiKey({ id: 'bob-watch', scopes: ['watch'] });
const carol = createApiKey({ id: 'carol', scopes: ['realtime', 'watch'], max_sessions: 30 });

interface Event {
  type: string;
  code?: string;
  session?: string;
  watch_token?: string;
  seq?: number;
  text?: string;
  resume_from?: number;
}

interface Peer {
  ws: WebSocket;
  events: Event[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
}

const START = { type: 'start', language: 'en', targets: [], sample_rate: 16000, encoding: 'pcm16' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

function waitFor(peer: Peer, type: string, timeoutMs = 20_000): Promise<Event> {
  return expect
    .poll(() => peer.events.find((e) => e.type === type), { timeout: timeoutMs, interval: 20 })
    .toBeDefined()
    .then(() => peer.events.find((e) => e.type === type)!);
}

describe.each(['memory', 'redis'] as const)('tenants and speakers (%s)', (mode) => {
  let redis: TestRedis | undefined;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;

  beforeAll(async () => {
    redis = mode === 'redis' ? await TestRedis.start() : undefined;
    server = await startTestServer({
      EARSHOT_AUTH: 'on',
      EARSHOT_API_KEYS: JSON.stringify([alice.record, bob.record, bobWatch.record, carol.record]),
      EARSHOT_JWT_SECRET: 'test-secret-that-is-at-least-32-characters',
      EARSHOT_MAX_VIEWERS: '25',
      EARSHOT_VIEWER_IDLE_MS: '1500',
      EARSHOT_SPHINX_DECODERS: '1',
      ...(redis ? { REDIS_URL: redis.url, EARSHOT_REDIS_PREFIX: `tenants-${randomUUID().slice(0, 8)}` } : {}),
    });
    base = server.server.url;
  }, 60_000);
  afterAll(async () => {
    await server?.close(0);
    await redis?.stop();
  });

  function open(path: string, headers: Record<string, string> = {}): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers });
      const events: Event[] = [];
      ws.on('message', (data) => events.push(JSON.parse(String(data)) as Event));
      const closed = new Promise<{ code: number; reason: string }>((r) =>
        ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
      );
      const send = (message: unknown) => {
        if (ws.readyState === WebSocket.OPEN)
          ws.send(typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message));
      };
      ws.once('open', () => resolve({ ws, events, closed, send }));
      ws.once('error', reject);
    });
  }

  /** A session of `key`'s, its speaker still connected. */
  async function speak(key: string): Promise<{ peer: Peer; session: string; watchToken: string }> {
    const peer = await open('/v1/realtime', bearer(key));
    peer.send(START);
    const ready = await waitFor(peer, 'ready');
    return { peer, session: ready.session!, watchToken: ready.watch_token! };
  }

  async function token(key: string, body: object): Promise<Response> {
    return fetch(`${base}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it(`#14.1 key B cannot resume, watch, export or mint a token for key A's session; A's own credentials can (${mode})`, async () => {
    const a = await speak(alice.key);

    // B resumes A's live session: refused before `ready`, so no captions, no watch token, no audio into it.
    const b = await open('/v1/realtime', bearer(bob.key));
    b.send({ ...START, session: a.session, last_seq: 0 });
    expect(await b.closed).toEqual({ code: 4403, reason: 'forbidden' });
    expect(b.events).toEqual([{ type: 'error', code: 'forbidden', message: expect.stringMatching(/another API key/) }]);

    // A watch-only key of another tenant: no viewer, no transcript, no token bound to it.
    const viewer = await open(`/v1/watch/${a.session}`, bearer(bobWatch.key));
    expect(await viewer.closed).toEqual({ code: 4403, reason: 'forbidden' });
    expect(viewer.events.map((e) => e.code)).toEqual(['forbidden']);
    const exported = await fetch(`${base}/v1/sessions/${a.session}/transcript`, { headers: bearer(bobWatch.key) });
    expect(exported.status).toBe(403);
    expect(((await exported.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect((await token(bob.key, { session: a.session, scopes: ['watch'] })).status).toBe(403);
    expect((await token(bob.key, { session: 'no-such-session', scopes: ['watch'] })).status).toBe(404);

    // A's key, A's share-link token and a token A mints all reach the session.
    const own = await open(`/v1/watch/${a.session}?token=${a.watchToken}`);
    await waitFor(own, 'ready');
    own.ws.close();
    expect((await fetch(`${base}/v1/sessions/${a.session}/transcript`, { headers: bearer(alice.key) })).status).toBe(
      200,
    );
    const minted = (await (await token(alice.key, { session: a.session, scopes: ['watch'] })).json()) as {
      token: string;
    };
    expect((await fetch(`${base}/v1/sessions/${a.session}/transcript?token=${minted.token}`)).status).toBe(200);
    // And A's speaker was never disturbed.
    expect(a.peer.ws.readyState).toBe(WebSocket.OPEN);
    expect(a.peer.events.filter((e) => e.type === 'error')).toEqual([]);
    a.peer.ws.close();
  });

  it(`#14.2 a token bound to a session stays bound for the socket's life, even after a failing start (${mode})`, async () => {
    const s = await speak(alice.key);
    const t = await speak(alice.key);
    s.peer.ws.close();
    t.peer.ws.close();
    await Promise.all([s.peer.closed, t.peer.closed]);
    const { token: bound } = (await (await token(alice.key, { session: s.session, scopes: ['realtime'] })).json()) as {
      token: string;
    };

    // A start for S that fails (bad_sample_rate), then one for T: refused, T untouched.
    const first = await open(`/v1/realtime?token=${bound}`);
    first.send({ ...START, session: s.session, last_seq: 0, sample_rate: 1 });
    await expect.poll(() => first.events.map((e) => e.code)).toEqual(['bad_sample_rate']);
    first.send({ ...START, session: t.session, last_seq: 0 });
    expect(await first.closed).toEqual({ code: 4403, reason: 'forbidden' });
    expect(first.events.some((e) => e.type === 'ready')).toBe(false);

    // A first start that is not even valid (invalid_message), then a brand-new session: refused.
    const second = await open(`/v1/realtime?token=${bound}`);
    second.send({ type: 'start', session: s.session, sample_rate: 16000, encoding: 'mp3' });
    await expect.poll(() => second.events.map((e) => e.code)).toEqual(['invalid_message']);
    second.send(START);
    expect(await second.closed).toEqual({ code: 4403, reason: 'forbidden' });
    expect(second.events.some((e) => e.type === 'ready')).toBe(false);

    // What the token is for still works.
    const third = await open(`/v1/realtime?token=${bound}`);
    third.send({ ...START, session: s.session, last_seq: 0 });
    expect((await waitFor(third, 'ready')).session).toBe(s.session);
    third.ws.close();
  });

  it(
    `#14.3 the owner's second speaker socket replaces the first (coded close) and no utterance is lost (${mode})`,
    { timeout: 120_000 },
    async () => {
      const [john, youngMan, coldHearted] = ['0870', '0880', '0890'].map(
        (id) => librivoxRecordings().find((r) => r.id.endsWith(id))!.pcm,
      );
      const first = await speak(alice.key);
      // The first socket says one utterance and is heard, then goes on speaking while the second connects.
      await streamPcm((f) => first.peer.send(f), withPauses([john!]), 4);
      await waitFor(first.peer, 'final', 60_000);
      const still = streamPcm((f) => first.peer.send(f), withPauses([coldHearted!]), 4);

      const second = await open('/v1/realtime', bearer(alice.key));
      second.send({ ...START, session: first.session, last_seq: 0, protocol: 1.1 });
      expect(await first.peer.closed).toEqual({ code: 4409, reason: 'session_replaced' });
      expect(first.peer.events.at(-1)).toMatchObject({ type: 'error', code: 'session_replaced' });
      const ready = await waitFor(second, 'ready');
      expect(ready.session).toBe(first.session);
      await still;
      await streamPcm((f) => second.send(f), withPauses([youngMan!]), 4);
      second.send({ type: 'stop' });
      await waitFor(second, 'done', 90_000);

      const finals = second.events.filter((e) => e.type === 'final');
      // Every utterance once, under its own seq: the first socket's finals are all there, unchanged, and the
      // second socket's speech follows them.
      expect(finals.map((f) => f.seq)).toEqual([...new Set(finals.map((f) => f.seq))].sort((x, y) => x! - y!));
      for (const heard of first.peer.events.filter((e) => e.type === 'final'))
        expect(finals).toContainEqual(expect.objectContaining({ seq: heard.seq, text: heard.text }));
      expect(finals.map((f) => f.text).join(' ')).toMatch(/john/);
      expect(finals.at(-1)!.text).toMatch(/young man/);
      expect(second.events.filter((e) => e.type === 'error')).toEqual([]);
    },
  );

  it(
    `#14.8 viewers: capped per key and per edge, idle ones closed${mode === 'redis' ? ', no Redis connection each' : ''} (${mode})`,
    { timeout: 90_000 },
    async () => {
      // Per key: alice may have 2 viewers.
      const a = await speak(alice.key);
      const aliceViewers = [
        await open(`/v1/watch/${a.session}`, bearer(alice.key)),
        await open(`/v1/watch/${a.session}`, bearer(alice.key)),
      ];
      await Promise.all(aliceViewers.map((v) => waitFor(v, 'ready')));
      const third = await open(`/v1/watch/${a.session}`, bearer(alice.key));
      expect(await third.closed).toEqual({ code: 4429, reason: 'viewer_limit' });
      for (const v of aliceViewers) v.ws.close();
      a.peer.ws.close();

      // Twenty sessions, each speaker gone without `stop`, and a viewer on each.
      const sessions: string[] = [];
      for (let i = 0; i < 20; i++) {
        const s = await speak(carol.key);
        sessions.push(s.session);
        s.peer.ws.close();
        await s.peer.closed;
      }
      const probe = redis ? new Redis(redis.url) : undefined;
      const clients = async () => ((await probe!.client('LIST')) as string).trim().split('\n').length;
      const before = probe ? await clients() : 0;
      const viewers = await Promise.all(sessions.map((s) => open(`/v1/watch/${s}`, bearer(carol.key))));
      await Promise.all(viewers.map((v) => waitFor(v, 'ready')));
      if (probe) {
        // On main each watched session held its own blocking Redis connection (+20); now one reader serves them all.
        expect(await clients()).toBeLessThanOrEqual(before + 1);
        probe.disconnect();
      }

      // Per edge: 25 viewers at most.
      const more = await Promise.all(
        Array.from({ length: 5 }, () => open(`/v1/watch/${sessions[0]}`, bearer(carol.key))),
      );
      await Promise.all(more.map((v) => waitFor(v, 'ready')));
      const over = await open(`/v1/watch/${sessions[0]}`, bearer(carol.key));
      expect(await over.closed).toEqual({ code: 1013, reason: 'too_many_viewers' });
      expect(over.events.map((e) => e.code)).toEqual(['too_many_viewers']);

      // Nobody speaks into these sessions: after EARSHOT_VIEWER_IDLE_MS (1.5 s) their viewers are closed.
      const closes = await Promise.all([...viewers, ...more].map((v) => v.closed));
      expect(new Set(closes.map((c) => `${c.code} ${c.reason}`))).toEqual(new Set(['4410 idle_timeout']));
    },
  );
});
