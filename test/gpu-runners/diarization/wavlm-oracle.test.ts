/**
 * The production speaker embedder against transformers.js (`WavLMForXVector` with its Wav2Vec2FeatureExtractor) on
 * a random-weight x-vector model with the same inputs and outputs (test/fixtures/models/xvector-fixture.ts; no model
 * hub is reachable here): the same embeddings for real recordings, in a batch or alone.
 */
import { readFileSync, rmSync } from 'node:fs';
import { AutoFeatureExtractor, env, WavLMForXVector } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WavlmOnnxEmbedder } from '../../../gpu-runners/diarization/wavlm-onnx.ts';
import { writeXvectorFixture, XVECTOR_DIM } from '../../fixtures/models/xvector-fixture.ts';
import { librivoxRecordings } from '../../support/librivox.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

const raw = (file: string) => {
  const bytes = readFileSync(`/usr/share/pocketsphinx/test/data/${file}`);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
};

describe('wavlm-onnx speaker embedder against transformers.js (random weights, x-vector interface)', () => {
  let dir: string;
  let engine: WavlmOnnxEmbedder;
  beforeAll(async () => {
    dir = writeXvectorFixture();
    engine = new WavlmOnnxEmbedder({ dir, threads: 1 });
    await engine.load();
  });
  afterAll(async () => {
    await engine?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives the embeddings transformers.js gives, for real recordings, batched or alone', async () => {
    const utterances = [
      ...librivoxRecordings()
        .slice(0, 3)
        .map((r) => r.pcm),
      raw('goforward.raw'),
      raw('numbers.raw'),
    ];
    const extractor = await AutoFeatureExtractor.from_pretrained(dir, { local_files_only: true });
    const model = (await WavLMForXVector.from_pretrained(dir, {
      local_files_only: true,
      dtype: 'fp32',
      device: 'cpu',
    })) as WavLMForXVector;
    const mine = await engine.embed(utterances);
    for (const [i, pcm] of utterances.entries()) {
      const inputs = await extractor(Float32Array.from(pcm, (x) => x / 32768));
      const { embeddings } = (await model(inputs)) as { embeddings: { data: Float32Array; dims: number[] } };
      expect(embeddings.dims).toEqual([1, XVECTOR_DIM]);
      expect(mine[i]!.length).toBe(XVECTOR_DIM);
      for (let d = 0; d < XVECTOR_DIM; d++) expect(mine[i]![d]).toBeCloseTo(embeddings.data[d]!, 5);
      const [alone] = await engine.embed([pcm]);
      expect(Array.from(alone!)).toEqual(Array.from(mine[i]!));
    }
    await model.dispose();
  });

  it('gives an utterance too short to hold a voice no embedding', async () => {
    expect(await engine.embed([new Int16Array(100)])).toEqual([new Float32Array(0)]);
  });
});
