/**
 * The whole pipeline on `moonshine-onnx` with a generated tiny Moonshine (real decoding, meaningless text): a
 * librivox recording streamed over the WebSocket gives partials and finals with timestamps to done; the batch API
 * gives one segment per utterance carrying the token ids the engine decoded; /v1/capabilities names the engine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MoonshineTokenizer } from '../../gpu-runners/engines/moonshine-onnx/tokenizer.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import { moonshineFixture } from '../fixtures/moonshine/write-model.ts';
import { LIBRIVOX_DIR, librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { joinWithSilence } from '../support/sox.ts';

const model = moonshineFixture('tiny-random');
const recording = librivoxRecordings().find((r) => r.id.endsWith('0870'))!;
const ENV = {
  EARSHOT_STT: 'moonshine-onnx',
  EARSHOT_STT_MODEL: model,
  EARSHOT_MT: 'none',
  EARSHOT_MODEL_HUB: '',
  EARSHOT_STT_MAX_WAIT_MS: '20',
};
const tmp = mkdtempSync(join(tmpdir(), 'earshot-moonshine-e2e-'));
let server: Awaited<ReturnType<typeof startTestServer>>;

// The guard off: a random model's word pieces on seconds of speech are exactly what it would withhold.
beforeAll(async () => (server = await startTestServer({ ...ENV, EARSHOT_HALLUCINATION_GUARD: 'off' })));
afterAll(async () => {
  await server?.close(0);
  rmSync(tmp, { recursive: true, force: true });
});

type Final = Extract<ServerEvent, { type: 'final' }>;

describe('moonshine-onnx through the pipeline', { timeout: 180_000 }, () => {
  it('realtime: partials, then finals with increasing seq and timestamps, to done without errors', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({ type: 'start', language: 'en', targets: [], sample_rate: 16000, encoding: 'pcm16' });
    await socket.waitFor('ready');
    await streamPcm((frame) => socket.sendRaw(frame), recording.pcm, 2);
    socket.sendJson({ type: 'stop' });
    await socket.waitFor('done', 0, 90_000);
    socket.close();
    expect(socket.events.filter((e) => e.type === 'error')).toEqual([]);
    const finals = socket.events.filter((e): e is Final => e.type === 'final');
    expect(finals.length).toBeGreaterThan(0);
    expect(finals.some((f) => f.text.length > 0)).toBe(true);
    expect(socket.events.some((e) => e.type === 'partial')).toBe(true);
    for (const [i, f] of finals.entries()) {
      expect(f.end).toBeGreaterThan(f.start);
      expect(f.end).toBeLessThanOrEqual(recording.pcm.length / 16000 + 0.5);
      if (i > 0) expect(f.seq).toBeGreaterThan(finals[i - 1]!.seq);
    }
  });

  it('batch verbose_json: a segment per utterance with its token ids; capabilities name the engine', async () => {
    const joined = joinWithSilence(
      tmp,
      ['0880', '0890', '0930'].map((id) => `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-${id}.wav`),
    );
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(readFileSync(joined.wav))], { type: 'audio/wav' }), 'talk.wav');
    form.set('model', 'whisper-1');
    form.set('response_format', 'verbose_json');
    const res = await fetch(`${server.server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { segments: { start: number; end: number; text: string; tokens: number[] }[] };
    expect(body.segments.length).toBe(3);
    const tokenizer = new MoonshineTokenizer(JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')));
    for (const s of body.segments) {
      expect(s.end).toBeGreaterThan(s.start);
      expect(tokenizer.decode(s.tokens).trim()).toBe(s.text);
    }
    // Capabilities name the engine and say that it cannot use a glossary (Moonshine takes no prompt).
    const capabilities = (await (await fetch(`${server.server.url}/v1/capabilities`)).json()) as { stt: object };
    expect(capabilities.stt).toEqual({
      engines: ['moonshine-onnx'],
      languages: ['en'],
      default_language: 'en',
      glossary: { 'moonshine-onnx': 'none' },
    });
  });
});
