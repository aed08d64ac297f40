/**
 * The edge's conformance suite, written once and run against every runtime's adapter (test/e2e/conformance.test.ts:
 * the Node edge in-process; test/e2e/workers-conformance.test.ts: the Workers edge under `wrangler dev`): auth and
 * scopes, per-key limits, start and idle timeouts, tenancy, resume, protocol v1.1 acks and captions for speakers
 * and viewers, watching, and bad input. A client must not be able to tell the two runtimes apart by any of it.
 *
 * Each suite's edge is started with CONFORMANCE_ENV (keys, token secret, short timeouts) and real engines behind it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import { LIBRIVOX_DIR, librivoxRecordings, streamPcm } from './librivox.ts';
import { START, withPauses } from './sessions.ts';

// Sphinx hears "Dashwood" in recording 0870 as "guess would" and Apertium keeps "John": the key's glossary fixes both.
const speaker = createApiKey({
  id: 'speaker',
  scopes: ['realtime', 'watch', 'batch'],
  max_viewers: 1,
  glossary: [{ term: 'Dashwood' }, { term: 'John', translations: { es: 'Juan' } }],
});
const other = createApiKey({ id: 'other', scopes: ['realtime', 'watch'] });
const listener = createApiKey({ id: 'listener', scopes: ['watch'] });
const single = createApiKey({ id: 'single', scopes: ['realtime'], max_sessions: 1 });
const hasty = createApiKey({ id: 'hasty', scopes: ['realtime'], requests_per_minute: 2 });

export const START_TIMEOUT_MS = 1500;
export const IDLE_TIMEOUT_MS = 4000;
/** The edge's (on Workers: the deployment's) session cap. */
export const MAX_SESSIONS = 3;

/** The settings every adapter under test runs with. */
export const CONFORMANCE_ENV: Record<string, string> = {
  EARSHOT_AUTH: 'on',
  EARSHOT_API_KEYS: JSON.stringify([speaker.record, other.record, listener.record, single.record, hasty.record]),
  EARSHOT_JWT_SECRET: 'conformance-secret-that-is-at-least-32-characters',
  EARSHOT_START_TIMEOUT_MS: String(START_TIMEOUT_MS),
  EARSHOT_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  EARSHOT_MAX_SESSIONS: String(MAX_SESSIONS),
};

export interface EdgeUnderTest {
  /** http://host:port of the edge. */
  url: string;
  stop(): Promise<void>;
}

interface Conn {
  ws: WebSocket;
  events: ServerEvent[];
  closed: Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  waitFor<T extends ServerEvent['type']>(type: T, timeoutMs?: number): Promise<Extract<ServerEvent, { type: T }>>;
}

const recording = librivoxRecordings()[1]!.pcm;
/** One utterance and a pause: the segmenter closes it, so a final follows. */
const utterance = withPauses([recording]);

export function conformanceSuite(runtime: string, start: () => Promise<EdgeUnderTest>): void {
  let edge: EdgeUnderTest;
  const ws = (path: string) => `${edge.url.replace('http', 'ws')}${path}`;
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  function connect(path: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(ws(path), protocols, { headers });
      const events: ServerEvent[] = [];
      socket.on('message', (data) => events.push(JSON.parse(String(data)) as ServerEvent));
      const closed = new Promise<{ code: number; reason: string }>((r) =>
        socket.on('close', (code, reason) => r({ code, reason: String(reason) })),
      );
      let isClosed: { code: number; reason: string } | undefined;
      void closed.then((how) => (isClosed = how));
      socket.once('open', () =>
        resolve({
          ws: socket,
          events,
          closed,
          send: (message) =>
            socket.send(
              typeof message === 'string' || message instanceof Uint8Array ? message : JSON.stringify(message),
            ),
          async waitFor(type, timeoutMs = 30_000) {
            const deadline = Date.now() + timeoutMs;
            for (;;) {
              const found = events.find((e) => e.type === type);
              if (found) return found as never;
              if (isClosed || Date.now() > deadline)
                throw new Error(
                  `no "${type}" (closed: ${JSON.stringify(isClosed)}); got ${JSON.stringify(events.slice(-5)).slice(0, 800)}`,
                );
              await new Promise((r) => setTimeout(r, 50));
            }
          },
        }),
      );
      socket.once('error', reject);
    });
  }

  /** A refused socket: the error event's code, then the close code. */
  async function refusal(
    path: string,
    headers: Record<string, string> = {},
    send?: unknown,
  ): Promise<{ code?: string; close: number }> {
    const conn = await connect(path, headers);
    if (send !== undefined) conn.send(send);
    const { code } = await conn.closed;
    return { code: (conn.events.find((e) => e.type === 'error') as { code?: string } | undefined)?.code, close: code };
  }

  /** The HTTP answer to an upgrade the edge refuses before it happens. */
  function upgradeStatus(path: string, headers: Record<string, string>): Promise<{ status: number; code?: string }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(ws(path), { headers });
      socket.once('open', () => reject(new Error(`${path} was upgraded`)));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += String(d)));
        // Node's upgrade path answers a refused upgrade without a body; Workers' with the JSON error.
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(body ? { code: (JSON.parse(body) as { error?: { code?: string } }).error?.code } : {}),
          }),
        );
      });
      socket.once('error', () => undefined);
    });
  }

  async function token(key: string, body: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${edge.url}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { token: string }).token;
  }

  describe(`edge conformance: ${runtime}`, () => {
    beforeAll(async () => {
      edge = await start();
    }, 90_000);
    afterAll(async () => {
      await edge?.stop();
    });

    it('refuses callers without a credential: 401 over HTTP, unauthorized and close 4401 over WebSockets', async () => {
      const res = await fetch(`${edge.url}/v1/tokens`, { method: 'POST' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      expect(await refusal('/v1/realtime')).toEqual({ code: 'unauthorized', close: 4401 });
      expect(await refusal('/v1/realtime', bearer('esk_not-a-key'))).toEqual({ code: 'unauthorized', close: 4401 });
      expect(await refusal('/v1/watch/abc')).toEqual({ code: 'unauthorized', close: 4401 });
    });

    it('caps concurrent sessions (too_many_sessions, 1013) and admits again once one ends', async () => {
      const open: Conn[] = [];
      for (let i = 0; i < MAX_SESSIONS; i++) {
        const conn = await connect('/v1/realtime', bearer(speaker.key));
        conn.send(START);
        await conn.waitFor('ready');
        open.push(conn);
      }
      expect(await refusal('/v1/realtime', bearer(speaker.key))).toEqual({ code: 'too_many_sessions', close: 1013 });
      open[0]!.ws.close();
      await open[0]!.closed;
      await new Promise((r) => setTimeout(r, 300));
      const next = await connect('/v1/realtime', bearer(speaker.key));
      next.send(START);
      expect((await next.waitFor('ready')).type).toBe('ready');
      for (const conn of [...open.slice(1), next]) conn.ws.close();
      await Promise.all([...open.slice(1), next].map((c) => c.closed));
      await new Promise((r) => setTimeout(r, 300));
    });

    it('holds credentials to their scopes: a watch-only key or a watch token cannot speak (4403)', async () => {
      expect(await refusal('/v1/realtime', bearer(listener.key))).toEqual({ code: 'forbidden', close: 4403 });
      const watchOnly = await token(speaker.key, { scopes: ['watch'] });
      expect(await refusal(`/v1/realtime?token=${watchOnly}`)).toEqual({ code: 'forbidden', close: 4403 });
      // A token cannot mint tokens.
      const res = await fetch(`${edge.url}/v1/tokens`, { method: 'POST', headers: bearer(watchOnly) });
      expect(res.status).toBe(403);
    });

    it("enforces a key's concurrent-session limit (session_limit, 4429) and frees the slot when a session ends", async () => {
      const first = await connect('/v1/realtime', bearer(single.key));
      first.send(START);
      await first.waitFor('ready');
      expect(await refusal('/v1/realtime', bearer(single.key))).toEqual({ code: 'session_limit', close: 4429 });
      first.ws.close();
      await first.closed;
      await new Promise((r) => setTimeout(r, 300));
      const again = await connect('/v1/realtime', bearer(single.key));
      again.send(START);
      expect((await again.waitFor('ready')).type).toBe('ready');
      again.ws.close();
    });

    it('takes a key in the earshot.bearer subprotocol, answering `earshot` and never the credential', async () => {
      const conn = await connect('/v1/realtime', {}, ['earshot', `earshot.bearer.${speaker.key}`]);
      expect(conn.ws.protocol).toBe('earshot');
      conn.send(START);
      expect((await conn.waitFor('ready')).type).toBe('ready');
      conn.ws.close();
    });

    it('checks batch callers at the edge (401, 403) and transcribes files for the `batch` scope', async () => {
      const wav = readFileSync(join(LIBRIVOX_DIR, 'sense_and_sensibility_01_austen_64kb-0880.wav'));
      const upload = (headers: Record<string, string>) => {
        const form = new FormData();
        form.append('file', new Blob([wav], { type: 'audio/wav' }), 'a.wav');
        form.append('model', 'whisper-1');
        return fetch(`${edge.url}/v1/audio/transcriptions`, { method: 'POST', headers, body: form });
      };
      expect((await upload({})).status).toBe(401);
      expect((await upload(bearer(listener.key))).status).toBe(403);
      const res = await upload(bearer(speaker.key));
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { text: string }).text).toMatch(/young man/);
    });

    it("enforces a key's request rate: 429 rate_limited with Retry-After", async () => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${edge.url}/v1/tokens`, { method: 'POST', headers: bearer(hasty.key) });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([201, 201, 429]);
      expect(((await last!.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('closes a connection that never starts (start_timeout) and a session that stops sending audio (idle_timeout)', async () => {
      const silent = await refusal('/v1/realtime', bearer(speaker.key));
      expect(silent).toEqual({ code: 'start_timeout', close: 1008 });
      const idle = await refusal('/v1/realtime', bearer(speaker.key), START);
      expect(idle).toEqual({ code: 'idle_timeout', close: 1008 });
    }, 30_000);

    it('answers bad input with typed errors and keeps the connection', async () => {
      const conn = await connect('/v1/realtime', bearer(speaker.key));
      conn.send('not json');
      conn.send({ type: 'bogus' });
      conn.send(new Uint8Array(320));
      conn.send({ type: 'start', sample_rate: 5 });
      await new Promise((r) => setTimeout(r, 300));
      conn.send(START);
      await conn.waitFor('ready');
      conn.send(new Uint8Array(3));
      conn.send({ type: 'stop' });
      await conn.waitFor('done');
      const codes = conn.events.filter((e) => e.type === 'error').map((e) => (e as { code: string }).code);
      expect(codes).toEqual(['bad_json', 'unknown_type', 'not_started', 'invalid_message', 'bad_frame']);
      // A malformed session id in a watch URL: 404 before any upgrade.
      expect(await upgradeStatus('/v1/watch/not.an.id', bearer(speaker.key))).toMatchObject({ status: 404 });
      // …and in a resume URL: 400, whichever runtime (a malformed id must never name a relay or a Redis key).
      expect(await upgradeStatus('/v1/realtime?session=not.an.id', bearer(speaker.key))).toMatchObject({ status: 400 });
    });

    it('streams v1.1 (acks), shares the session with a v1.1 viewer, keeps it from other tenants, and resumes it', async () => {
      const conn = await connect('/v1/realtime', bearer(speaker.key));
      conn.send({ ...START, protocol: 1.1 });
      const ready = await conn.waitFor('ready');
      expect(ready.protocol).toBe(1.1);
      const id = ready.session;
      // A watch token bound to the session (the share link), and a viewer on protocol 1.1 with it.
      const share = await token(speaker.key, { scopes: ['watch'], session: id });
      const viewer = await connect(`/v1/watch/${id}?protocol=1.1&token=${share}`);
      expect((await viewer.waitFor('ready')).protocol).toBe(1.1);
      // The key's viewer limit (1) holds across the edge (on Workers: across relays).
      expect(await refusal(`/v1/watch/${id}`, bearer(speaker.key))).toEqual({ code: 'viewer_limit', close: 4429 });
      // Other tenants can neither watch nor take over the session.
      expect(await refusal(`/v1/watch/${id}`, bearer(other.key))).toEqual({ code: 'forbidden', close: 4403 });
      await streamPcm((frame) => conn.send(frame), utterance, 4);
      // Silence while the engines work, so the idle timeout (short here) does not end the session meanwhile.
      const silence = setInterval(() => conn.ws.readyState === WebSocket.OPEN && conn.send(new Uint8Array(3200)), 500);
      const final = await conn.waitFor('final').finally(() => clearInterval(silence));
      expect(final.text.length).toBeGreaterThan(0);
      expect((final as { rev?: number }).rev).toBe(1);
      expect((await conn.waitFor('ack')).audio_end).toBeGreaterThan(0);
      expect((await viewer.waitFor('final')).text).toBe(final.text);
      const thief = await refusal(`/v1/realtime?session=${id}`, bearer(other.key), {
        ...START,
        session: id,
        last_seq: 0,
      });
      expect(thief).toEqual({ code: 'forbidden', close: 4403 });
      // The speaker's connection drops; it resumes the session by id and gets what it missed.
      conn.ws.close();
      await conn.closed;
      const resumed = await connect(`/v1/realtime?session=${id}`, bearer(speaker.key));
      resumed.send({ ...START, session: id, last_seq: 0, protocol: 1.1 });
      const again = await resumed.waitFor('ready');
      expect(again.session).toBe(id);
      expect(again.resume_from).toBeGreaterThan(0);
      expect((await resumed.waitFor('final')).text).toBe(final.text);
      resumed.send({ type: 'stop' });
      await resumed.waitFor('done');
      await viewer.waitFor('done');
      expect(viewer.events.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text)).toEqual([
        final.text,
      ]);
      // A bound token reads its session's transcript, and nothing of other sessions.
      const transcript = await fetch(`${edge.url}/v1/sessions/${id}/transcript?format=txt&token=${share}`);
      expect(transcript.status).toBe(200);
      expect(await transcript.text()).toBe(`${final.text}\n`);
    }, 60_000);

    it("applies the API key's default glossary to a session that sends none", async () => {
      const conn = await connect('/v1/realtime', bearer(speaker.key));
      conn.send(START);
      await conn.waitFor('ready');
      await streamPcm((frame) => conn.send(frame), librivoxRecordings().find((r) => r.id.endsWith('0870'))!.pcm, 4);
      conn.send({ type: 'stop' });
      await conn.waitFor('done', 60_000);
      const text = (type: string) =>
        conn.events.flatMap((e) => (e.type === type && 'text' in e ? [e.text] : [])).join(' ');
      expect(text('final')).toContain('Dashwood');
      expect(text('translation')).toContain('Juan');
    }, 90_000);

    it("refuses a new session on a URL naming another session (an id is never the caller's choice)", async () => {
      const conn = await connect('/v1/realtime', bearer(speaker.key));
      conn.send(START);
      const { session: id } = await conn.waitFor('ready');
      conn.ws.close();
      // A fresh `start` on a connection that named a session must resume it, not create or replace one.
      const res = await refusal(`/v1/realtime?session=${id}`, bearer(speaker.key), START);
      expect(res.close).toBe(4403);
    });
  });
}
