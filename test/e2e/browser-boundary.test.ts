/**
 * Issue 14, items 12 and 13: what a browser page, a proxy log or an anonymous prober can get from an edge. The
 * embedded server runs with auth off on loopback (the default a page could most easily abuse); the browser is the
 * real Debian Chromium, with its resolver pointed at 127.0.0.1 for a made-up name (DNS rebinding).
 */
import { createServer, request, type Server } from 'node:http';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, hasChromium } from '../support/chromium.ts';
import { startTestServer } from '../support/server.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
let base: string;
let port: number;
beforeAll(async () => {
  server = await startTestServer({ EARSHOT_ALLOWED_ORIGINS: 'http://captions.example' });
  base = server.server.url;
  port = server.server.port;
}, 60_000);
afterAll(async () => {
  await server?.close(0);
});

/** A raw HTTP request (fetch cannot set Host or Origin): status and body. */
function raw(
  path: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    // A WebSocket upgrade the server accepts answers 101 and never "ends": report that.
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

const upgrade = (extra: Record<string, string>) => ({
  connection: 'Upgrade',
  upgrade: 'websocket',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  host: `127.0.0.1:${port}`,
  ...extra,
});

describe('credentials in subprotocols', () => {
  it('#14.12 never answers an upgrade with an earshot.bearer.<key> subprotocol, only with a plain one', async () => {
    const answered = (protocols: string[]) =>
      new Promise<string | undefined>((resolve) => {
        const ws = new WebSocket(`${base.replace('http', 'ws')}/v1/realtime`, protocols);
        ws.on('upgrade', (res) => resolve(res.headers['sec-websocket-protocol'] as string | undefined));
        ws.on('error', () => undefined); // the client gives up when no protocol is answered: expected
        ws.on('open', () => ws.close());
      });
    const credential = 'earshot.bearer.esk_this-is-a-secret-key';
    expect(await answered([credential])).toBeUndefined();
    expect(await answered([credential, 'earshot'])).toBe('earshot');
    expect(await answered(['earshot', credential])).toBe('earshot');
  });
});

describe('origins and hosts', () => {
  it('#14.13 refuses WebSocket upgrades and POSTs from foreign origins; admits its own origin, allowed ones and programs without Origin', async () => {
    // (The Node adapter drops the body of a refused upgrade; the status is what a client sees.)
    expect((await raw('/v1/realtime', upgrade({ origin: 'http://evil.example' }))).status).toBe(403);
    expect((await raw('/v1/watch/x', upgrade({ origin: 'null' }))).status).toBe(403);
    const post = await raw('/v1/tokens', { origin: 'http://evil.example', host: `127.0.0.1:${port}` }, 'POST');
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body)).toMatchObject({
      error: { code: 'forbidden', message: expect.stringMatching(/EARSHOT_ALLOWED_ORIGINS/) },
    });
    // Own origin, an allowed one, none at all: the upgrade goes through (101).
    expect((await raw('/v1/realtime', upgrade({ origin: `http://127.0.0.1:${port}` }))).status).toBe(101);
    expect((await raw('/v1/realtime', upgrade({ origin: 'http://captions.example' }))).status).toBe(101);
    expect((await raw('/v1/realtime', upgrade({}))).status).toBe(101);
    // Reading is not guarded by Origin (a page cannot read the answer without CORS anyway).
    expect((await raw('/health', { origin: 'http://evil.example', host: `127.0.0.1:${port}` })).status).toBe(200);
  });

  it('#14.13 a loopback edge answers only to loopback Host names (DNS rebinding)', async () => {
    expect((await raw('/health', { host: `evil.example:${port}` })).status).toBe(403);
    expect(
      (await raw('/v1/realtime', upgrade({ host: `evil.example:${port}`, origin: `http://evil.example:${port}` })))
        .status,
    ).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      expect((await raw('/health', { host })).status, host).toBe(200);
  });

  it("#14.13 pages: CSP allows connections and framing by the page's own origin only", async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/connect-src 'self';/);
    expect(csp).not.toMatch(/ws:|wss:/);
    expect(csp).toMatch(/frame-ancestors 'self' http:\/\/captions\.example/);
  });

  it('#14.13 /health/full names no machine: runner ids are neither hostname nor pid', async () => {
    const res = await fetch(`${base}/health/full`);
    const body = await res.text();
    const runners = (JSON.parse(body) as { components: { runners: { stt: { id: string }[] } } }).components.runners.stt;
    expect(runners.length).toBeGreaterThan(0);
    for (const runner of runners) expect(runner.id).toMatch(/^[0-9a-f]{12}$/);
    expect(body).not.toContain(hostname());
    expect(body).not.toContain(`-${process.pid}-`);
  });
});

/** In-page script (a string: the test file's own `WebSocket` import must not leak into it): the first event's type. */
const trySession = (url: string) => `new Promise((resolve) => {
  const ws = new window.WebSocket(${JSON.stringify(url)});
  ws.onmessage = (e) => resolve(JSON.parse(e.data).type);
  ws.onerror = () => resolve('error');
  ws.onopen = () => ws.send(JSON.stringify({ type: 'start', sample_rate: 16000, encoding: 'pcm16' }));
})`;

describe.skipIf(!hasChromium)('a real browser (Chromium)', () => {
  let browser: Browser;
  let attacker: Server;
  let attackerUrl: string;
  beforeAll(async () => {
    // Chromium resolves rebound.test to 127.0.0.1, as a DNS-rebinding attacker's name would after the rebind.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP rebound.test 127.0.0.1'],
    });
    // Another origin (another port): a page that tries to use the edge and to frame its microphone page.
    attacker = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><iframe id="f" src="${base}/"></iframe><script>
        window.socket = new Promise((resolve) => {
          const ws = new WebSocket(${JSON.stringify(`${base.replace('http', 'ws')}/v1/realtime`)});
          ws.onmessage = (e) => resolve('message ' + e.data);
          ws.onerror = () => resolve('error');
          ws.onopen = () => ws.send(JSON.stringify({ type: 'start', sample_rate: 16000, encoding: 'pcm16' }));
        });
      </script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => attacker?.close(r));
  });

  it(
    '#14.13 a page on another origin can neither open a session nor frame the microphone page',
    { timeout: 60_000 },
    async () => {
      const page = await browser.newPage();
      await page.goto(attackerUrl);
      expect(await page.evaluate(() => (window as unknown as { socket: Promise<string> }).socket)).toBe('error');
      // The framed page is blocked by frame-ancestors: it never runs, so it has no document of the edge's.
      await page.waitForTimeout(500);
      const framed = page.frames().find((f) => f !== page.mainFrame());
      expect(await framed?.evaluate(() => document.querySelector('script[src]') !== null).catch(() => false)).toBe(
        false,
      );
      // The edge's own page, on its own origin, connects.
      const own = await browser.newPage();
      await own.goto(`${base}/`);
      expect(await own.evaluate(trySession(`${base.replace('http', 'ws')}/v1/realtime`))).toBe('ready');
      await Promise.all([page.close(), own.close()]);
    },
  );

  it('#14.13 a DNS-rebound name for the loopback edge gets nothing', { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    const res = await page.goto(`http://rebound.test:${port}/`);
    expect(res?.status()).toBe(403);
    // Same-origin now in the browser's eyes, yet the socket is refused.
    expect(await page.evaluate(trySession(`ws://rebound.test:${port}/v1/realtime`))).toBe('error');
    await page.close();
  });
});
