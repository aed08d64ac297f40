/**
 * The whole pipeline with `--stt sphinx --mt nllb-onnx` on the tiny generated NLLB model: a librivox recording
 * streamed over the WebSocket gets one Spanish `translation` per `final` (random weights: the text is meaningless,
 * its place in the event log is what counts), and an unknown target is refused with `unsupported_target`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { nllbFixture } from '../fixtures/models/nllb-fixture.ts';

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_STT: 'sphinx',
    EARSHOT_MT: 'nllb-onnx',
    EARSHOT_MT_MODEL: nllbFixture('nllb-tiny'),
  });
});
afterAll(async () => {
  await server?.close(0);
});

const START = { type: 'start', language: 'en', sample_rate: 16000, encoding: 'pcm16' } as const;

describe('realtime pipeline on nllb-onnx', () => {
  it('translates every final into the session target', async () => {
    const recording = librivoxRecordings()[0]!;
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({ ...START, targets: ['es'] });
    expect((await socket.waitFor('ready')).targets).toEqual(['es']);
    await streamPcm((frame) => socket.sendRaw(frame), recording.pcm, 0);
    socket.sendJson({ type: 'stop' });
    await socket.waitFor('done', 0, 60_000);

    const events = socket.events;
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    const finals = events.filter((e) => e.type === 'final');
    expect(finals.length).toBeGreaterThan(0);
    for (const final of finals) {
      const translations = events.filter((e) => e.type === 'translation' && e.seq === final.seq);
      expect(translations).toHaveLength(1);
      const translation = translations[0]!;
      expect(translation).toMatchObject({ type: 'translation', lang: 'es', text: expect.any(String) });
      expect(events.indexOf(translation)).toBeGreaterThan(events.indexOf(final));
    }
    socket.close();
  });

  it('refuses an unknown target with unsupported_target and keeps the known ones', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({ ...START, targets: ['es', 'xx'] });
    const error = await socket.waitFor('error');
    expect(error.code).toBe('unsupported_target');
    expect((await socket.waitFor('ready')).targets).toEqual(['es']);
    socket.close();
  });
});
