/**
 * Request bodies and error text on real edges (issue 14): every JSON body is bounded before a route reads it,
 * whatever the key's scopes, and the answer is a 413 with the JSON error body (auth on, in-process queue); ids that
 * would name another Redis key are unknown ids, and unexpected errors reach clients as a generic message with a
 * ref under which the log has the details (Redis mode, a real redis-server).
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav } from '../../shared/audio/wav.ts';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { TestRedis } from '../support/redis-server.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';

const watcher = createApiKey({ id: 'watcher', scopes: ['watch'] });
const MAX_JSON_BYTES = 4096;

let server: Awaited<ReturnType<typeof startTestServer>>;
let base: string;
beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_AUTH: 'on',
    EARSHOT_API_KEYS: JSON.stringify([watcher.record]),
    EARSHOT_JWT_SECRET: 'test-secret-that-is-at-least-32-characters',
    EARSHOT_MAX_JSON_BYTES: String(MAX_JSON_BYTES),
  });
  base = server.server.url;
});
afterAll(async () => {
  await server?.close(0);
});

const bearer = { authorization: `Bearer ${watcher.key}`, 'content-type': 'application/json' };
/** Valid JSON of about `bytes` bytes: what the route would accept if it read it. */
const padded = (body: Record<string, unknown>, bytes: number) => JSON.stringify({ ...body, pad: 'x'.repeat(bytes) });

/**
 * POSTs `total` bytes chunked, without Content-Length, so only counting what arrives can stop it; resolves with the
 * answer, which may come (and the server close) while the body is still being written.
 */
function postChunked(
  path: string,
  headers: Record<string, string>,
  total: number,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', (err) =>
      (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET'
        ? undefined
        : reject(err),
    );
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    req.write('{"scopes":["watch"],"pad":"');
    const more = () => {
      while (sent < total && !req.destroyed) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) return void req.once('drain', more);
      }
      if (!req.destroyed) req.end('"}');
    };
    more();
  });
}

describe('#14.6 JSON bodies are bounded (EARSHOT_MAX_JSON_BYTES)', { timeout: 60_000 }, () => {
  it('#14.6 POST /v1/tokens with a watch-only key and a body over the limit gets 413 body_too_large, JSON', async () => {
    const small = await fetch(`${base}/v1/tokens`, {
      method: 'POST',
      headers: bearer,
      body: padded({ scopes: ['watch'] }, 100),
    });
    expect(small.status).toBe(201);
    const res = await fetch(`${base}/v1/tokens`, {
      method: 'POST',
      headers: bearer,
      body: padded({ scopes: ['watch'] }, 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({
      error: { code: 'body_too_large', message: expect.stringMatching(/EARSHOT_MAX_JSON_BYTES/) },
    });
  });

  it('#14.6 POST /v1/tokens/revoke is bounded as well', async () => {
    const res = await fetch(`${base}/v1/tokens/revoke`, {
      method: 'POST',
      headers: bearer,
      body: padded({ token: 'x' }, 1024 * 1024),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'body_too_large' } });
  });

  it('#14.6 a chunked body with no Content-Length is cut off at the limit too (16 MB sent, refused, the edge stays small)', async () => {
    const before = process.memoryUsage().rss;
    const res = await postChunked('/v1/tokens', bearer, 16 * 1024 * 1024);
    expect(res).toMatchObject({ status: 413, body: { error: { code: 'body_too_large' } } });
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('#14.11 internal error text stays in the log (Redis mode)', { timeout: 120_000 }, () => {
  const prefix = `r-${randomUUID().slice(0, 8)}`;
  const logLines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  // A file where the blob directory should be: storing an async job's audio fails with an ENOTDIR naming the path.
  const notADirectory = join(tmpdir(), `earshot-blobs-${randomUUID()}`);
  let redis: TestRedis;
  let edge: Awaited<ReturnType<typeof startTestServer>>;
  let url: string;
  /** A session that spoke, so its Redis keys exist: the hash, its results stream, its latest-partial string. */
  let spoken: string;
  beforeAll(async () => {
    writeFileSync(notADirectory, 'not a directory');
    redis = await TestRedis.start();
    edge = await startTestServer(
      { REDIS_URL: redis.url, EARSHOT_REDIS_PREFIX: prefix, EARSHOT_BLOB_DIR: notADirectory },
      logger,
    );
    url = edge.server.url;
  }, 60_000);
  afterAll(async () => {
    await edge?.close(0);
    await redis?.stop();
  });

  it('#14.11 GET /v1/sessions/<S>:results/transcript is 404 unknown_session, not a 500 with Redis WRONGTYPE', async () => {
    const socket = await TestSocket.open(edge.wsUrl);
    socket.sendJson({ type: 'start', language: 'en', targets: [], sample_rate: 16000, encoding: 'pcm16' });
    const { session } = await socket.waitFor('ready');
    spoken = session;
    await streamPcm((f) => socket.sendRaw(f), librivoxRecordings()[1]!.pcm, 0);
    socket.sendJson({ type: 'stop' });
    await socket.waitFor('done', 0, 60_000);
    socket.close();
    expect((await fetch(`${url}/v1/sessions/${session}/transcript`)).status).toBe(200); // its results stream exists
    for (const key of [`${session}:results`, `${session}:partial`]) {
      const res = await fetch(`${url}/v1/sessions/${key}/transcript`);
      const body = await res.text();
      expect(res.status).toBe(404);
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'unknown_session' } });
      expect(body).not.toMatch(/WRONGTYPE|redis/i);
    }
  });

  it('#14.11 a start resuming <S>:results is invalid_message, not a Redis error', async () => {
    const socket = await TestSocket.open(edge.wsUrl);
    socket.sendJson({
      type: 'start',
      language: 'en',
      targets: [],
      sample_rate: 16000,
      encoding: 'pcm16',
      session: `${spoken}:results`,
    });
    const error = await socket.waitFor('error');
    socket.close();
    expect(error.code).toBe('invalid_message');
    expect(error.message).not.toMatch(/WRONGTYPE/);
  });

  it('#14.11 watching <S>:results is refused with 404 unknown_session before any Redis read', async () => {
    const ws = new WebSocket(`${edge.wsUrl.replace(/\/v1\/realtime.*$/, '')}/v1/watch/${spoken}:results`);
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      ws.on('open', () => reject(new Error('the watch socket opened')));
      ws.on('error', () => {});
    });
    expect(status).toBe(404); // the Node upgrade path answers with the status only
    expect(body).not.toMatch(/WRONGTYPE/);
    expect(logLines.some((l) => /WRONGTYPE/.test(JSON.stringify(l)))).toBe(false);
  });

  it('#14.11 GET /v1/jobs/stalled-check (a BullMQ key, not a job) is 404 unknown_job', async () => {
    const client = new Redis(redis.url);
    const deadline = Date.now() + 30_000;
    while (!(await client.exists(`${prefix}:bull:batch:stalled-check`)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    client.disconnect();
    for (const id of ['stalled-check', 'meta', 'id']) {
      const res = await fetch(`${url}/v1/jobs/${id}`);
      const body = await res.text();
      expect(res.status).toBe(404);
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'unknown_job' } });
      expect(body).not.toMatch(/WRONGTYPE/);
    }
  });

  it('#14.11 an unexpected failure answers 500 internal with a ref and no server path; the log has the details under that ref', async () => {
    const form = new FormData();
    form.set('file', new Blob([encodeWav(new Int16Array(16000), 16000) as Uint8Array<ArrayBuffer>]), 'a.wav');
    const res = await fetch(`${url}/v1/audio/transcriptions?async=true`, { method: 'POST', body: form });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(500);
    expect(body.error.code).toBe('internal');
    expect(body.error.message).not.toContain(notADirectory);
    expect(body.error.message).not.toMatch(/ENOTDIR|mkdir|\//);
    const ref = /ref ([0-9a-f]{8})/.exec(body.error.message)?.[1];
    expect(ref).toBeDefined();
    const logged = logLines.find((l) => l.ref === ref);
    expect(JSON.stringify(logged)).toMatch(/ENOTDIR/);
  });
});
