/**
 * Hostile clients against the real server: each is limited or disconnected with a clear reason (an error event
 * with a code, then close 1008), while a healthy session streaming at the same time gets all its captions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { START } from '../support/sessions.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_MAX_AUDIO_RATE: '3',
    EARSHOT_AUDIO_BURST_SECONDS: '10',
    EARSHOT_START_TIMEOUT_MS: '500',
    EARSHOT_IDLE_TIMEOUT_MS: '1500',
  });
});
afterAll(async () => {
  await server?.close(0);
});

async function expectPolicyClose(socket: TestSocket, code: string): Promise<void> {
  expect((await socket.waitFor('error', 0, 10_000)).code).toBe(code);
  await expect.poll(() => socket.closed, { timeout: 5000 }).toEqual({ code: 1008, reason: code });
}

describe('hostile clients', { timeout: 60_000 }, () => {
  it('are cut off with a reason while a healthy session keeps its captions', async () => {
    const [recording] = librivoxRecordings().filter((r) => r.id.endsWith('0880'));
    const healthy = await TestSocket.open(server.wsUrl);
    healthy.sendJson(START);
    await healthy.waitFor('ready');
    const healthyStream = streamPcm((f) => healthy.sendRaw(f), recording!.pcm, 1);

    // 1. Audio as fast as possible, far beyond the allowed rate and burst.
    const flooder = await TestSocket.open(server.wsUrl);
    flooder.sendJson(START);
    await flooder.waitFor('ready');
    const minute = new Uint8Array(16000 * 2);
    for (let i = 0; i < 60 && !flooder.closed && flooder.ws.readyState === 1; i++) flooder.sendRaw(minute);
    await expectPolicyClose(flooder, 'rate_limited');

    // 2. Opens a session and never sends anything.
    const mute = await TestSocket.open(server.wsUrl);
    await expectPolicyClose(mute, 'start_timeout');

    // 3. Starts, then goes quiet.
    const idle = await TestSocket.open(server.wsUrl);
    idle.sendJson(START);
    await idle.waitFor('ready');
    await expectPolicyClose(idle, 'idle_timeout');

    // 4. Ten thousand tiny frames.
    const tiny = await TestSocket.open(server.wsUrl);
    tiny.sendJson(START);
    await tiny.waitFor('ready');
    const frame = new Uint8Array(2);
    for (let i = 0; i < 10_000 && tiny.ws.readyState === 1; i++) tiny.sendRaw(frame);
    await expectPolicyClose(tiny, 'rate_limited');

    // 5. Oversized headers: refused by the HTTP layer, the server carries on.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.server.url}/health`, { headers: { 'x-junk': 'a'.repeat(32 * 1024) } }, (res) =>
        resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect((await fetch(`${server.server.url}/health`)).status).toBe(200);

    await healthyStream;
    healthy.sendJson({ type: 'stop' });
    await healthy.waitFor('done', 0, 30_000);
    expect(healthy.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(
      healthy.events
        .filter((e) => e.type === 'final')
        .map((e) => (e.type === 'final' ? e.text : ''))
        .join(' '),
    ).toContain('young man');
  });

  it('a client that never reads is cut off (slow_consumer) while a healthy session keeps its captions', async () => {
    // A frame-rate limit high enough for the flood below to fill the kernel's socket buffers within seconds.
    const tight = await startTestServer({
      EARSHOT_MAX_SEND_BUFFER_BYTES: '65536',
      EARSHOT_MAX_FRAMES_PER_SECOND: '50000',
    });
    try {
      const [recording] = librivoxRecordings().filter((r) => r.id.endsWith('0880'));
      const healthy = await TestSocket.open(tight.wsUrl);
      healthy.sendJson(START);
      await healthy.waitFor('ready');
      const healthyStream = streamPcm((f) => healthy.sendRaw(f), recording!.pcm, 1);

      const deaf = await TestSocket.open(tight.wsUrl);
      deaf.sendJson(START);
      await deaf.waitFor('ready');
      // Stop reading from the socket: every reply now piles up in the kernel's buffers, then in the server's.
      const tcp = (deaf.ws as unknown as { _socket: import('node:net').Socket })._socket;
      tcp.pause();
      // Bad messages (each earns an error reply) under the frame-rate limit, until the server gives up on this
      // client: its replies must not be buffered without bound.
      const cutOff = async () =>
        /earshot_clients_cut_off_total\{reason="slow_consumer"\} 1/.test(
          await (await fetch(`${tight.server.url}/metrics`)).text(),
        );
      let sent = 0;
      for (let round = 0; round < 300 && !(await cutOff()); round++) {
        for (let i = 0; i < 2000 && deaf.ws.readyState === 1; i++, sent++) deaf.sendJson({ type: 'bogus' });
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await cutOff()).toBe(true);
      // Reading again, the client finds its connection gone (dropped a second after the close, not held open).
      tcp.resume();
      await expect.poll(() => deaf.closed, { timeout: 10_000 }).toBeDefined();
      expect(deaf.events.length).toBeLessThan(sent);

      await healthyStream;
      healthy.sendJson({ type: 'stop' });
      await healthy.waitFor('done', 0, 30_000);
      expect(healthy.events.filter((e) => e.type === 'error')).toEqual([]);
      expect(
        healthy.events
          .filter((e) => e.type === 'final')
          .map((e) => (e.type === 'final' ? e.text : ''))
          .join(' '),
      ).toContain('young man');
    } finally {
      await tight.close(0);
    }
  });
});
