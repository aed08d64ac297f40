/**
 * Hostile and broken clients against the real embedded server: each bad input gets an `error` event with its
 * code, the offending session stays usable, and a healthy session streaming at the same time is unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';

const START = { type: 'start', language: 'en', targets: ['es'], sample_rate: 16000, encoding: 'pcm16' };
let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close(0);
});

async function expectError(socket: TestSocket, send: () => void, code: string): Promise<void> {
  const from = socket.events.length;
  send();
  const event = await socket.waitFor('error', from, 5000);
  expect(event.code).toBe(code);
  expect(event.message.length).toBeGreaterThan(5);
}

describe('bad input on /v1/realtime', () => {
  it('gets typed errors for every bad input while another session streams undisturbed', async () => {
    const [recording] = librivoxRecordings().filter((r) => r.id.endsWith('0880'));
    const healthy = await TestSocket.open(server.wsUrl);
    healthy.sendJson(START);
    await healthy.waitFor('ready');
    const streaming = streamPcm((f) => healthy.sendRaw(f), recording!.pcm, 2);

    const bad = await TestSocket.open(server.wsUrl);
    await expectError(bad, () => bad.sendRaw('this is not json'), 'bad_json');
    await expectError(bad, () => bad.sendJson({ type: 'subscribe' }), 'unknown_type');
    await expectError(bad, () => bad.sendJson({ hello: 1 }), 'unknown_type');
    await expectError(bad, () => bad.sendRaw(new Uint8Array(3200)), 'not_started');
    await expectError(bad, () => bad.sendJson({ ...START, sample_rate: 4000 }), 'bad_sample_rate');
    await expectError(bad, () => bad.sendJson({ ...START, sample_rate: 192000 }), 'bad_sample_rate');
    await expectError(bad, () => bad.sendJson({ ...START, encoding: 'opus' }), 'invalid_message');
    await expectError(bad, () => bad.sendJson({ type: 'stop' }), 'not_started');

    // None of that started the session: a valid start still works.
    bad.sendJson(START);
    const ready = await bad.waitFor('ready');
    expect(ready.targets).toEqual(['es']);
    await expectError(bad, () => bad.sendRaw(new Uint8Array(3201)), 'bad_frame');
    await expectError(bad, () => bad.sendRaw(new Uint8Array(1024 * 1024 + 2)), 'frame_too_large');
    await expectError(bad, () => bad.sendJson(START), 'already_started');

    // The misbehaving session still transcribes.
    await streamPcm((f) => bad.sendRaw(f), recording!.pcm, 0);
    bad.sendJson({ type: 'stop' });
    const badFinal = await bad.waitFor('final');
    expect(badFinal.text).toContain('young man');
    await bad.waitFor('done');

    await streaming;
    healthy.sendJson({ type: 'stop' });
    await healthy.waitFor('done');
    expect(healthy.events.filter((e) => e.type === 'error')).toEqual([]);
    const finals = healthy.events.filter((e) => e.type === 'final');
    expect(finals.map((f) => f.text).join(' ')).toContain('young man');
    expect(healthy.events.some((e) => e.type === 'translation' && e.lang === 'es')).toBe(true);
  });

  it('an unsupported translation target is reported and the session continues without it', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({ ...START, targets: ['es', 'xx'] });
    const error = await socket.waitFor('error');
    expect(error.code).toBe('unsupported_target');
    expect((await socket.waitFor('ready')).targets).toEqual(['es']);
    socket.close();
  });

  it('an unsupported language is refused with a code', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({ ...START, language: 'de' });
    expect((await socket.waitFor('error')).code).toBe('unsupported_language');
    socket.close();
  });

  it('HTTP callers get JSON errors; health answers', async () => {
    const plain = await fetch(`${server.server.url}/v1/realtime`);
    expect(plain.status).toBe(426);
    expect((await plain.json()).error.code).toBe('invalid_message');
    expect((await fetch(`${server.server.url}/health`)).status).toBe(200);
    const full = await (await fetch(`${server.server.url}/health/full`)).json();
    expect(full.status).toBe('ok');
    expect(full.components.stt_runner.engine).toBe('sphinx');
    expect(full.components.mt_runner.engine).toBe('apertium');
    expect(full.components.queue.driver).toBe('memory');
  });
});

describe('limits', () => {
  it('refuses sessions beyond EARSHOT_MAX_SESSIONS with an error event and close 1013; plain HTTP gets 503 JSON', async () => {
    const small = await startTestServer({ EARSHOT_MAX_SESSIONS: '1' });
    try {
      const first = await TestSocket.open(small.wsUrl);
      const second = await TestSocket.open(small.wsUrl);
      expect((await second.waitFor('error')).code).toBe('too_many_sessions');
      await expect.poll(() => second.closed).toEqual({ code: 1013, reason: 'too_many_sessions' });
      const plain = await fetch(`${small.server.url}/v1/realtime`);
      expect(plain.status).toBe(503);
      expect((await plain.json()).error.code).toBe('too_many_sessions');
      first.close();
      await new Promise((r) => setTimeout(r, 200));
      const again = await TestSocket.open(small.wsUrl);
      again.close();
    } finally {
      await small.close(0);
    }
  });

  it('ends a session at EARSHOT_MAX_SESSION_SECONDS with session_too_long, delivering what was said', async () => {
    const small = await startTestServer({ EARSHOT_MAX_SESSION_SECONDS: '2' });
    try {
      const [recording] = librivoxRecordings().filter((r) => r.id.endsWith('0870'));
      const socket = await TestSocket.open(small.wsUrl);
      socket.sendJson(START);
      await socket.waitFor('ready');
      await streamPcm((f) => socket.sendRaw(f), recording!.pcm, 0);
      expect((await socket.waitFor('error')).code).toBe('session_too_long');
      await socket.waitFor('done');
      const finals = socket.events.filter((e) => e.type === 'final');
      expect(finals.length).toBeGreaterThan(0);
      expect(finals.every((f) => f.end <= 2.0001)).toBe(true);
    } finally {
      await small.close(0);
    }
  });
});
