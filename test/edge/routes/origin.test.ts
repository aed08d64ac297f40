/**
 * The origin role (`WS /v1/origin/:session`) on its own, with in-process drivers and a `ws` client playing the
 * Workers relay: the secret is required and compared, jobs are queued and acknowledged, and the session's log is
 * streamed from the cursor the relay asks for, so a relay that reconnects misses nothing and gets nothing twice.
 */
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Hono } from 'hono';
import { silentLogger } from '../../../shared/logger.ts';
import { sttJobCodec } from '../../../shared/queue/codecs.ts';
import { createMemorySttQueue } from '../../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../../shared/queue/memory-result-log.ts';
import type { SttJob } from '../../../shared/queue/jobs.ts';
import { serveNode, type NodeServer } from '../../../edge/adapters/node/serve.ts';
import type { OriginMessage } from '../../../edge/realtime/origin-wire.ts';
import { mountOrigin, sameSecret } from '../../../edge/routes/origin.ts';

const SECRET = 'origin-secret-of-at-least-32-characters!';
const queue = createMemorySttQueue();
const results = new MemoryResultLog();
const capabilities = {
  sttLanguages: ['en'],
  defaultLanguage: 'en',
  translates: (s: string, t: string) => s === 'en' && t === 'es',
};
let withSecret: NodeServer;
let withoutSecret: NodeServer;

const serve = (secret: string) =>
  serveNode(
    (upgradeWebSocket) => {
      const app = new Hono();
      mountOrigin(app, { upgradeWebSocket, secret, sttQueue: queue, results, capabilities, logger: silentLogger });
      return app;
    },
    { host: '127.0.0.1', port: 0, maxPayload: 4 * 1024 * 1024 },
  );

beforeAll(async () => {
  [withSecret, withoutSecret] = await Promise.all([serve(SECRET), serve('')]);
});
afterAll(async () => {
  await Promise.all([withSecret.close(), withoutSecret.close()]);
});

/** A relay's socket: every origin message it received, and a way to wait for one. */
async function relay(server: NodeServer, session: string, cursor = '0', secret = SECRET) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/origin/${session}?cursor=${cursor}`, {
    headers: { authorization: `Bearer ${secret}` },
  });
  const messages: OriginMessage[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as OriginMessage));
  await once(ws, 'open');
  const waitFor = async (match: (m: OriginMessage) => boolean) => {
    const deadline = Date.now() + 5000;
    while (!messages.some(match)) {
      if (Date.now() > deadline) throw new Error(`no such message; got ${JSON.stringify(messages)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    return messages.find(match)!;
  };
  return { ws, messages, waitFor };
}

/** The HTTP status a refused upgrade gets. */
async function refusedWith(server: NodeServer, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/v1/origin/s1`, { headers });
  ws.on('error', () => undefined); // terminating a refused handshake reports one
  const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
  ws.terminate();
  return response.statusCode;
}

const job = (session: string, segment: number): SttJob => ({
  id: `${session}:${segment}`,
  session,
  segment,
  kind: 'final',
  pcm: new Int16Array([1, -2, 3, 32767, -32768]),
  language: 'en',
  start: 0,
  end: 1,
  targets: ['es'],
  enqueuedAt: 1,
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
});

describe('origin role', () => {
  it('refuses relays without the secret, with a wrong one, and everything when no secret is configured', async () => {
    expect(await refusedWith(withSecret, {})).toBe(401);
    expect(await refusedWith(withSecret, { authorization: 'Bearer wrong' })).toBe(401);
    expect(await refusedWith(withoutSecret, { authorization: `Bearer ${SECRET}` })).toBe(403);
    expect(await refusedWith(withoutSecret, {})).toBe(403);
    expect(await sameSecret(SECRET, SECRET)).toBe(true);
    expect(await sameSecret(`${SECRET}x`, SECRET)).toBe(false);
  });

  it('says what the pipeline can do, queues jobs and acknowledges them', async () => {
    const r = await relay(withSecret, 'sess-a');
    expect(await r.waitFor((m) => m.type === 'hello')).toEqual({
      type: 'hello',
      stt_languages: ['en'],
      default_language: 'en',
      pairs: ['en-es'],
    });
    r.ws.send(JSON.stringify({ type: 'job', n: 1, job: sttJobCodec.encode(job('sess-a', 1)) }));
    await r.waitFor((m) => m.type === 'ack' && m.n === 1);
    const [taken] = await queue.take(1);
    expect(taken).toEqual(job('sess-a', 1));
    await queue.complete(taken!);
    r.ws.close();
  });

  it('closes a relay that sends a job of another session', async () => {
    const r = await relay(withSecret, 'sess-b');
    r.ws.send(JSON.stringify({ type: 'job', n: 1, job: sttJobCodec.encode(job('sess-other', 1)) }));
    const [code] = (await once(r.ws, 'close')) as [number];
    expect(code).toBe(1008);
    expect((await queue.stats()).waiting).toBe(0);
  });

  it("streams the session's log from the relay's cursor, and takes the relay's `ended` marker", async () => {
    await results.append('sess-c', { type: 'final', seq: 1, text: 'one', start: 0, end: 1, targets: [] });
    const first = await relay(withSecret, 'sess-c');
    const one = await first.waitFor((m) => m.type === 'result');
    await results.append('sess-c', { type: 'final', seq: 2, text: 'two', start: 1, end: 2, targets: [] });
    await first.waitFor((m) => m.type === 'result' && m.result.type === 'final' && m.result.seq === 2);
    first.ws.close();

    // A relay that stored the first entry reconnects from its cursor: only what came after.
    const again = await relay(withSecret, 'sess-c', one.type === 'result' ? one.cursor : '');
    again.ws.send(JSON.stringify({ type: 'append', n: 7, result: { type: 'ended', segments: 2 } }));
    await again.waitFor((m) => m.type === 'ack' && m.n === 7);
    await again.waitFor((m) => m.type === 'result' && m.result.type === 'ended');
    const seen = again.messages.flatMap((m) =>
      m.type === 'result' ? [m.result.type === 'final' ? m.result.seq : m.result.type] : [],
    );
    expect(seen).toEqual([2, 'ended']);
    again.ws.close();
  });
});
