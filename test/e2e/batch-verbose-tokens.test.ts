/**
 * verbose_json through the real pipeline: one segment per utterance (three librivox recordings joined by silence),
 * and with whisper-onnx (a generated random-weight model: real decoding, meaningless text) each segment carries the
 * token ids the engine decoded, as OpenAI's verbose_json does; sphinx has no vocabulary ids, so its lists are empty.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhisperTokenizer } from '../../gpu-runners/engines/whisper-onnx/tokenizer.ts';
import { whisperFixture } from '../fixtures/whisper/write-model.ts';
import { LIBRIVOX_DIR } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { joinWithSilence } from '../support/sox.ts';

const dir = mkdtempSync(join(tmpdir(), 'earshot-verbose-'));
let wav: Buffer;
beforeAll(() => {
  const joined = joinWithSilence(
    dir,
    ['0880', '0890', '0930'].map((id) => `${LIBRIVOX_DIR}/sense_and_sensibility_01_austen_64kb-${id}.wav`),
  );
  wav = readFileSync(joined.wav);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Verbose {
  segments: { id: number; start: number; end: number; text: string; tokens: number[] }[];
}

async function verbose(env: Record<string, string>): Promise<Verbose> {
  const server = await startTestServer({ EARSHOT_MT: 'none', ...env });
  try {
    const form = new FormData();
    form.set('file', new Blob([new Uint8Array(wav)], { type: 'audio/wav' }), 'talk.wav');
    form.set('model', 'whisper-1');
    form.set('response_format', 'verbose_json');
    const res = await fetch(`${server.server.url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    return (await res.json()) as Verbose;
  } finally {
    await server.close(0);
  }
}

describe('verbose_json', { timeout: 180_000 }, () => {
  it('whisper-onnx: a segment per utterance, each with the token ids it decoded', async () => {
    // The guard off: a random model's few letters on seconds of speech are exactly what it withholds.
    const model = whisperFixture('tiny-random');
    const result = await verbose({
      EARSHOT_STT: 'whisper-onnx',
      EARSHOT_STT_MODEL: model,
      EARSHOT_MODEL_HUB: '',
      EARSHOT_HALLUCINATION_GUARD: 'off',
    });
    expect(result.segments.length).toBe(3);
    const tokenizer = new WhisperTokenizer(JSON.parse(readFileSync(join(model, 'tokenizer.json'), 'utf8')));
    for (const s of result.segments) {
      expect(s.tokens.length).toBeGreaterThan(0);
      // They are the segment's own tokens: decoded (timestamps aside), they spell its text.
      expect(tokenizer.decode(s.tokens).trim()).toBe(s.text);
    }
  });

  it('sphinx: a segment per utterance, with empty token lists (no vocabulary ids)', async () => {
    const result = await verbose({});
    expect(result.segments.map((s) => s.text).join(' ')).toContain('young man');
    expect(result.segments.length).toBeGreaterThanOrEqual(3);
    for (const s of result.segments) expect(s.tokens).toEqual([]);
  });
});
