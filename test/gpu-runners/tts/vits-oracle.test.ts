/**
 * The production voice against transformers.js (`VitsTokenizer` + `VitsModel`) on a random-weight model with VITS's
 * interface and an MMS-style tokenizer (test/fixtures/models/vits-fixture.ts; no model hub is reachable here): the
 * same token ids and the same waveform for Spanish translations, punctuation and case included.
 */
import { rmSync } from 'node:fs';
import { AutoTokenizer, env, VitsModel } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VitsOnnxEngine } from '../../../gpu-runners/tts/vits-onnx.ts';
import { VitsTokenizer } from '../../../gpu-runners/tts/vits-tokenizer.ts';
import { VITS_SAMPLES_PER_TOKEN, writeVitsFixture } from '../../fixtures/models/vits-fixture.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

const TEXTS = [
  'no era un joven mal dispuesto',
  '¡Hola, señor Dashwood!  ¿Qué tal?',
  'él podría incluso haber sido amable',
  'PALABRAS en MAYÚSCULAS — y 42 números',
  '   ',
];

describe('vits-onnx voice against transformers.js (random weights, VITS interface)', () => {
  let dir: string;
  let engine: VitsOnnxEngine;
  beforeAll(async () => {
    dir = writeVitsFixture();
    engine = new VitsOnnxEngine({ dir, language: 'es', threads: 1 });
    await engine.load();
  });
  afterAll(async () => {
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tokenizes like transformers.js and gives its waveform, sample for sample', async () => {
    const mine = await VitsTokenizer.load(dir);
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const model = (await VitsModel.from_pretrained(dir, {
      local_files_only: true,
      dtype: 'fp32',
      device: 'cpu',
    })) as VitsModel;
    for (const text of TEXTS) {
      const inputs = tokenizer(text) as { input_ids: { data: BigInt64Array } };
      const ids = Array.from(inputs.input_ids.data, Number);
      expect({ text, ids: mine.encode(text) }).toEqual({ text, ids });
      const wave = await engine.waveform(text);
      if (ids.length === 0) {
        expect(wave.length).toBe(0);
        continue;
      }
      // Blanks between characters: 2n + 1 tokens.
      expect(ids.length % 2).toBe(1);
      const { waveform } = (await model(inputs)) as { waveform: { data: Float32Array } };
      expect(wave.length).toBe(ids.length * VITS_SAMPLES_PER_TOKEN);
      expect(Array.from(wave)).toEqual(Array.from(waveform.data));
    }
    await model.dispose();
  });

  it('speaks its language at 16 kHz and refuses others', async () => {
    const [spoken] = await engine.synthesize([{ id: '1', text: 'hola', language: 'es' }]);
    expect(spoken!.sampleRate).toBe(16000);
    expect(spoken!.pcm.length).toBe(9 * VITS_SAMPLES_PER_TOKEN);
    expect(engine.speaks('es-419')).toBe(true);
    await expect(engine.synthesize([{ id: '2', text: 'hello', language: 'en' }])).rejects.toMatchObject({
      code: 'unsupported_voice',
    });
  });
});
