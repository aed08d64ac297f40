/**
 * Auth on a real edge (EARSHOT_AUTH=on): each refusal status over HTTP (401, 403, 429, with the JSON body), the
 * same refusals over WebSockets (an error event, then close 4401/4403/4429), token exchange, tokens in the query
 * and in the subprotocol, per-key session slots, session-bound tokens, and the official OpenAI client's bearer key.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';

const full = createApiKey({ id: 'full', scopes: ['realtime', 'batch', 'watch'], max_sessions: 1 });
const listener = createApiKey({ id: 'listener', scopes: ['watch'] });
const limited = createApiKey({ id: 'limited', scopes: ['batch'], requests_per_minute: 2 });
const sharer = createApiKey({ id: 'sharer', scopes: ['realtime'] });

let server: Awaited<ReturnType<typeof startTestServer>>;
let base: string;
beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_AUTH: 'on',
    EARSHOT_API_KEYS: JSON.stringify([full.record, listener.record, limited.record, sharer.record]),
    EARSHOT_JWT_SECRET: 'test-secret-that-is-at-least-32-characters',
  });
  base = server.server.url;
});
afterAll(async () => {
  await server?.close(0);
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function expectError(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
}

interface Opened {
  ws: WebSocket;
  protocol: string;
  events: { type: string; code?: string }[];
  closed: Promise<{ code: number; reason: string }>;
}

/** A raw socket that records events and its close (the shared TestSocket cannot send headers or subprotocols). */
function connect(
  path: string,
  options: { headers?: Record<string, string>; protocols?: string[] } = {},
): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, options.protocols ?? [], {
      headers: options.headers,
    });
    const events: Opened['events'] = [];
    ws.on('message', (data) => events.push(JSON.parse(String(data)) as Opened['events'][number]));
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
    );
    ws.once('open', () => resolve({ ws, protocol: ws.protocol, events, closed }));
    ws.once('error', reject);
  });
}

async function waitForEvent(socket: Opened, type: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!socket.events.some((e) => e.type === type)) {
    if (Date.now() > deadline) throw new Error(`no ${type}: ${JSON.stringify(socket.events)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const START = JSON.stringify({ type: 'start', language: 'en', targets: [], sample_rate: 16000, encoding: 'pcm16' });

describe('HTTP', { timeout: 60_000 }, () => {
  it('keeps /health open for probes', async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
  });

  it('401 without a credential or with an unknown key, 403 without the scope, 429 over the per-minute limit', async () => {
    await expectError(await fetch(`${base}/v1/jobs/x`), 401, 'unauthorized');
    await expectError(await fetch(`${base}/v1/jobs/x`, { headers: bearer('esk_not-a-real-key') }), 401, 'unauthorized');
    await expectError(await fetch(`${base}/v1/jobs/x`, { headers: bearer(listener.key) }), 403, 'forbidden');
    await expectError(await fetch(`${base}/v1/jobs/x`, { headers: bearer(limited.key) }), 404, 'unknown_job');
    await expectError(await fetch(`${base}/v1/jobs/x`, { headers: bearer(limited.key) }), 404, 'unknown_job');
    const over = await fetch(`${base}/v1/jobs/x`, { headers: bearer(limited.key) });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectError(over, 429, 'rate_limited');
  });

  it('exchanges a key for a token with a subset of its scopes, and nothing else for one', async () => {
    const res = await fetch(`${base}/v1/tokens`, {
      method: 'POST',
      headers: { ...bearer(full.key), 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['watch'], ttl_seconds: 60 }),
    });
    expect(res.status).toBe(201);
    const token = (await res.json()) as { token: string; token_type: string; expires_in: number; scopes: string[] };
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 60, scopes: ['watch'] });
    // The token carries only "watch": the batch API refuses it.
    await expectError(await fetch(`${base}/v1/jobs/x`, { headers: bearer(token.token) }), 403, 'forbidden');
    await expectError(
      await fetch(`${base}/v1/tokens`, {
        method: 'POST',
        headers: bearer(listener.key),
        body: JSON.stringify({ scopes: ['batch'] }),
      }),
      403,
      'forbidden',
    );
    await expectError(
      await fetch(`${base}/v1/tokens`, { method: 'POST', headers: bearer(token.token), body: '{}' }),
      403,
      'forbidden',
    );
    await expectError(
      await fetch(`${base}/v1/tokens`, { method: 'POST', headers: bearer(full.key), body: '{"ttl_seconds":"soon"}' }),
      400,
      'invalid_request',
    );
    await expectError(await fetch(`${base}/v1/tokens`, { method: 'POST' }), 401, 'unauthorized');
  });

  it('lets the official OpenAI client in with its API key as the bearer', async () => {
    const client = new OpenAI({ apiKey: full.key, baseURL: `${base}/v1` });
    const wav = readFileSync(`${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-0870.wav`);
    const text = await client.audio.transcriptions.create({
      file: new File([wav], 'a.wav'),
      model: 'whisper-1',
      response_format: 'text',
    });
    expect(text).toMatch(/john/);
    const denied = new OpenAI({ apiKey: listener.key, baseURL: `${base}/v1`, maxRetries: 0 });
    await expect(
      denied.audio.transcriptions.create({ file: new File([wav], 'a.wav'), model: 'whisper-1' }),
    ).rejects.toMatchObject({ status: 403 });
  });
});

describe('WebSockets', () => {
  it('refuses over the socket: an error event naming the code, then close 4401 or 4403', async () => {
    const anonymous = await connect('/v1/realtime');
    expect(await anonymous.closed).toEqual({ code: 4401, reason: 'unauthorized' });
    expect(anonymous.events).toEqual([{ type: 'error', code: 'unauthorized', message: expect.any(String) }]);
    const watchOnly = await connect('/v1/realtime', { headers: bearer(listener.key) });
    expect((await watchOnly.closed).code).toBe(4403);
    expect(watchOnly.events[0]).toMatchObject({ type: 'error', code: 'forbidden' });
  });

  it('accepts a token in ?token= and in the earshot.bearer subprotocol (browsers cannot set headers)', async () => {
    const { token } = (await (
      await fetch(`${base}/v1/tokens`, {
        method: 'POST',
        headers: bearer(full.key),
        body: JSON.stringify({ scopes: ['realtime'] }),
      })
    ).json()) as { token: string };
    const byQuery = await connect(`/v1/realtime?token=${token}`);
    byQuery.ws.send(START);
    await waitForEvent(byQuery, 'ready');
    byQuery.ws.close();
    await byQuery.closed;
    const byProtocol = await connect('/v1/realtime', { protocols: ['earshot', `earshot.bearer.${token}`] });
    expect(byProtocol.protocol).toBe('earshot'); // the server echoes the plain protocol, not the token
    byProtocol.ws.send(START);
    await waitForEvent(byProtocol, 'ready');
    byProtocol.ws.close();
    await byProtocol.closed;
  });

  it('holds a key to its concurrent sessions (4429 session_limit) and frees the slot when a socket closes', async () => {
    const first = await connect('/v1/realtime', { headers: bearer(full.key) });
    first.ws.send(START);
    await waitForEvent(first, 'ready');
    const second = await connect('/v1/realtime', { headers: bearer(full.key) });
    expect((await second.closed).code).toBe(4429);
    expect(second.events[0]).toMatchObject({ type: 'error', code: 'session_limit' });
    first.ws.close();
    await first.closed;
    await new Promise((r) => setTimeout(r, 50));
    const third = await connect('/v1/realtime', { headers: bearer(full.key) });
    third.ws.send(START);
    await waitForEvent(third, 'ready');
    third.ws.close();
    await third.closed;
  });

  it('holds a session-bound token to its session: new sessions, other viewers and other transcripts are refused', async () => {
    // A token is bound to a session of the key's own (a session that does not exist gets none).
    await expectError(
      await fetch(`${base}/v1/tokens`, {
        method: 'POST',
        headers: bearer(full.key),
        body: JSON.stringify({ session: 'session-a' }),
      }),
      404,
      'unknown_session',
    );
    const owner = await connect('/v1/realtime', { headers: bearer(full.key) });
    owner.ws.send(START);
    await waitForEvent(owner, 'ready');
    const sessionA = (owner.events.find((e) => e.type === 'ready') as unknown as { session: string }).session;
    owner.ws.close();
    await owner.closed;
    await new Promise((r) => setTimeout(r, 50)); // the key's one session slot frees
    const res = await fetch(`${base}/v1/tokens`, {
      method: 'POST',
      headers: bearer(full.key),
      body: JSON.stringify({ session: sessionA }),
    });
    const { token } = (await res.json()) as { token: string };
    const speaker = await connect(`/v1/realtime?token=${token}`);
    speaker.ws.send(START);
    expect((await speaker.closed).code).toBe(4403);
    expect(speaker.events.at(-1)).toMatchObject({ type: 'error', code: 'forbidden' });
    // Nor resume another session.
    const intruder = await connect(`/v1/realtime?token=${token}`);
    intruder.ws.send(JSON.stringify({ ...JSON.parse(START), session: 'session-b', last_seq: 0 }));
    expect((await intruder.closed).code).toBe(4403);
    const viewer = await connect(`/v1/watch/session-b?token=${token}`);
    expect((await viewer.closed).code).toBe(4403);
    await expectError(await fetch(`${base}/v1/sessions/session-b/transcript?token=${token}`), 403, 'forbidden');
    expect((await fetch(`${base}/v1/sessions/${sessionA}/transcript?token=${token}`)).status).toBe(200);
  });

  it('revokes a watch link: the token stops working on the next connection, and only its key can revoke it', async () => {
    const speaker = await connect('/v1/realtime', { headers: bearer(full.key) });
    speaker.ws.send(START);
    await waitForEvent(speaker, 'ready');
    const session = (speaker.events.find((e) => e.type === 'ready') as unknown as { session: string }).session;
    // Another tenant's key cannot mint a link to this session at all.
    await expectError(
      await fetch(`${base}/v1/tokens`, {
        method: 'POST',
        headers: bearer(listener.key),
        body: JSON.stringify({ scopes: ['watch'], session }),
      }),
      403,
      'forbidden',
    );
    const issued = await fetch(`${base}/v1/tokens`, {
      method: 'POST',
      headers: bearer(full.key),
      body: JSON.stringify({ scopes: ['watch'], session }),
    });
    const { token } = (await issued.json()) as { token: string };

    const before = await connect(`/v1/watch/${session}?token=${token}`);
    await waitForEvent(before, 'ready');
    before.ws.close();

    await expectError(
      await fetch(`${base}/v1/tokens/revoke`, {
        method: 'POST',
        headers: bearer(listener.key),
        body: JSON.stringify({ token }),
      }),
      403,
      'forbidden',
    );
    const revoked = await fetch(`${base}/v1/tokens/revoke`, {
      method: 'POST',
      headers: bearer(full.key),
      body: JSON.stringify({ token }),
    });
    expect(revoked.status).toBe(200);

    const after = await connect(`/v1/watch/${session}?token=${token}`);
    expect((await after.closed).code).toBe(4401);
    expect(after.events.at(-1)).toMatchObject({ type: 'error', code: 'unauthorized' });
    await expectError(await fetch(`${base}/v1/sessions/${session}/transcript?token=${token}`), 401, 'unauthorized');
    speaker.ws.close();
  });

  it("gives the speaker a share-link token that watches this session only, and that the speaker's key revokes", async () => {
    const speaker = await connect('/v1/realtime', { headers: bearer(sharer.key) });
    speaker.ws.send(START);
    await waitForEvent(speaker, 'ready');
    const ready = speaker.events.find((e) => e.type === 'ready') as unknown as {
      session: string;
      watch_token?: string;
    };
    expect(ready.watch_token).toBeDefined();
    const token = ready.watch_token!;

    const viewer = await connect(`/v1/watch/${ready.session}?token=${token}`);
    await waitForEvent(viewer, 'ready');
    viewer.ws.close();
    const elsewhere = await connect(`/v1/watch/some-other-session?token=${token}`);
    expect((await elsewhere.closed).code).toBe(4403);
    // It cannot speak either: watching is all it allows.
    const speaking = await connect(`/v1/realtime?token=${token}`);
    expect((await speaking.closed).code).toBe(4403);

    const revoked = await fetch(`${base}/v1/tokens/revoke`, {
      method: 'POST',
      headers: bearer(sharer.key),
      body: JSON.stringify({ token }),
    });
    expect(revoked.status).toBe(200);
    const after = await connect(`/v1/watch/${ready.session}?token=${token}`);
    expect((await after.closed).code).toBe(4401);
    speaker.ws.close();
  });
});
