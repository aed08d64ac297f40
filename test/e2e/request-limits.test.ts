/**
 * Request bodies and error text on a real edge with auth on (issue 14): every JSON body is bounded before a route
 * reads it, whatever the key's scopes, and the answer is a 413 with the JSON error body.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { startTestServer } from '../support/server.ts';

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
function postChunked(path: string, headers: Record<string, string>, total: number): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', (err) => (err as NodeJS.ErrnoException).code === 'EPIPE' || (err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err));
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
    const small = await fetch(`${base}/v1/tokens`, { method: 'POST', headers: bearer, body: padded({ scopes: ['watch'] }, 100) });
    expect(small.status).toBe(201);
    const res = await fetch(`${base}/v1/tokens`, { method: 'POST', headers: bearer, body: padded({ scopes: ['watch'] }, 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({ error: { code: 'body_too_large', message: expect.stringMatching(/EARSHOT_MAX_JSON_BYTES/) } });
  });

  it('#14.6 POST /v1/tokens/revoke is bounded as well', async () => {
    const res = await fetch(`${base}/v1/tokens/revoke`, { method: 'POST', headers: bearer, body: padded({ token: 'x' }, 1024 * 1024) });
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
