/**
 * `WS /v1/watch/:session` and the web pages on the real embedded server: viewers (live and late) receive the
 * speaker's captions in order from the shared log, a viewer leaving costs the speaker nothing, unknown sessions
 * are refused with 4404, and the static client is served with its security headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WatchEvent, type ServerEvent } from '../../shared/protocol.ts';
import { startTestServer } from '../support/server.ts';
import { START, expectDeliveryRules } from '../support/sessions.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
const recording = librivoxRecordings().find((r) => r.id.endsWith('0880'))!;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close(0);
});

interface Watched {
  events: WatchEvent[];
  closed: Promise<{ code: number; reason: string }>;
  ws: WebSocket;
}

function watch(session: string): Watched {
  const ws = new WebSocket(`${server.server.url.replace('http', 'ws')}/v1/watch/${session}`);
  const events: WatchEvent[] = [];
  ws.on('message', (data) => events.push(WatchEvent.parse(JSON.parse(String(data)))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return { events, closed, ws };
}

const captions = (events: (ServerEvent | WatchEvent)[]) =>
  events.filter((e) => e.type === 'final' || e.type === 'translation' || e.type === 'done');

describe('WS /v1/watch/:session', () => {
  it('gives live and late viewers the speaker’s finals and translations in order, then done and close 1000', async () => {
    const speaker = await TestSocket.open(server.wsUrl);
    speaker.sendJson(START);
    const ready = await speaker.waitFor('ready');
    const live = watch(ready.session);
    const leaver = watch(ready.session);
    await new Promise((r) => leaver.ws.once('open', r));
    leaver.ws.terminate(); // a viewer vanishing mid-session must not disturb anything
    await streamPcm((f) => speaker.sendRaw(f), recording.pcm, 4);
    speaker.sendJson({ type: 'stop' });
    await speaker.waitFor('done', 0, 60_000);
    expectDeliveryRules(speaker.events);

    expect(await live.closed).toEqual({ code: 1000, reason: 'done' });
    expect(live.events[0]).toEqual({
      type: 'ready',
      session: ready.session,
      protocol: 1,
      targets: ['es'],
      language: 'en',
    });
    expect(captions(live.events)).toEqual(captions(speaker.events));
    expect(
      captions(live.events)
        .map((e) => (e.type === 'final' ? e.text : ''))
        .join(' '),
    ).toContain('young man');

    const late = watch(ready.session);
    expect(await late.closed).toEqual({ code: 1000, reason: 'done' });
    expect(captions(late.events)).toEqual(captions(speaker.events));
    // History comes without partials that finals already replaced.
    expect(late.events.filter((e) => e.type === 'partial')).toEqual([]);
  });

  it('serves twenty viewers of one session, some paused, with the speaker’s session unchanged', async () => {
    const speaker = await TestSocket.open(server.wsUrl);
    speaker.sendJson(START);
    const ready = await speaker.waitFor('ready');
    const viewers = Array.from({ length: 20 }, () => watch(ready.session));
    await Promise.all(viewers.map((v) => new Promise((r) => v.ws.once('open', r))));
    // Paused viewers stop reading their socket; the speaker must not wait for them.
    const paused = viewers.slice(0, 5);
    for (const v of paused) v.ws.pause();
    await streamPcm((f) => speaker.sendRaw(f), recording.pcm, 0);
    speaker.sendJson({ type: 'stop' });
    await speaker.waitFor('done', 0, 60_000);
    expectDeliveryRules(speaker.events);
    for (const v of viewers.slice(5)) expect((await v.closed).code).toBe(1000);
    for (const v of paused) v.ws.resume();
    for (const v of paused) {
      await v.closed;
      expect(captions(v.events)).toEqual(captions(speaker.events));
    }
  });

  it('refuses an unknown session with unknown_session and close 4404', async () => {
    const viewer = watch('no-such-session');
    expect(await viewer.closed).toEqual({ code: 4404, reason: 'unknown_session' });
    expect(viewer.events).toMatchObject([{ type: 'error', code: 'unknown_session' }]);
  });

  it('answers a plain GET with 426', async () => {
    const res = await fetch(`${server.server.url}/v1/watch/abc`);
    expect(res.status).toBe(426);
  });
});

describe('web client files', () => {
  it('serves the speaker page, the watch page and their modules with types and a strict CSP', async () => {
    for (const [path, type] of [
      ['/', 'text/html'],
      ['/watch/some-session', 'text/html'],
      ['/web/speaker.js', 'text/javascript'],
      ['/web/pcm16-worklet.js', 'text/javascript'],
      ['/web/style.css', 'text/css'],
      ['/web/icon.svg', 'image/svg+xml'],
    ] as const) {
      const res = await fetch(`${server.server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
    }
    expect(await (await fetch(`${server.server.url}/watch/x`)).text()).toContain('/web/watch.js');
  });

  it("serves the pages' scripts as self-contained bundles of client/web, built from the client library", async () => {
    const speaker = await (await fetch(`${server.server.url}/web/speaker.js`)).text();
    // One file per page: no module imports left for the browser to fetch (the page's CSP allows only 'self' anyway).
    expect(speaker).not.toMatch(/\bimport\s*[{*\w][^;]*from\s*["']\.{0,2}\//);
    // The same resilient session the CLI uses (its replay and reconnect messages), not a copy of it.
    expect(speaker).toContain('gave up after');
    const worklet = await (await fetch(`${server.server.url}/web/pcm16-worklet.js`)).text();
    expect(worklet).toContain('pcm16-16k');
    // The band-limited resampler of shared/audio (its own argument check), not a second one.
    expect(worklet).toContain('must be a positive integer');
    expect(worklet).not.toMatch(/\bimport\b[^;]*from/);
  });

  it("serves nothing outside the web client's pages and bundles", async () => {
    for (const path of [
      '/web/..%2Fapp.ts',
      '/web/%2E%2E%2Fapp.ts',
      '/web/tsconfig.json',
      '/web/nope.js',
      '/web/.hidden.js',
      '/web/speaker.ts',
      '/web/captions.js',
    ]) {
      expect((await fetch(`${server.server.url}${path}`)).status, path).toBe(404);
    }
  });
});
