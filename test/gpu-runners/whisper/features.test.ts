/** Log-mel features: the FFT against a direct DFT, and the spectrogram against transformers.js's extractor. */
import { AutoFeatureExtractor, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { Fft } from '../../../gpu-runners/engines/whisper-onnx/fft.ts';
import { CHUNK_FRAMES, LogMelExtractor } from '../../../gpu-runners/engines/whisper-onnx/features.ts';
import { oracleInputs, tinyModel } from './support.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

describe('log-mel features', () => {
  it('FFT of 400 (2⁴·5²) points equals a direct DFT', () => {
    const n = 400;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.5 * Math.cos(i * 2.1) + (i % 7) / 10);
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    new Fft(n).realTransform(x, re, im);
    for (const k of [0, 1, 2, 57, 100, 199, 200, 201, 399]) {
      let dr = 0;
      let di = 0;
      for (let t = 0; t < n; t++) {
        dr += x[t]! * Math.cos((2 * Math.PI * k * t) / n);
        di -= x[t]! * Math.sin((2 * Math.PI * k * t) / n);
      }
      expect(re[k]).toBeCloseTo(dr, 9);
      expect(im[k]).toBeCloseTo(di, 9);
    }
  });

  for (const [mels, shape] of [
    [80, 'tiny-random'],
    [128, 'tiny-random-128'],
  ] as const) {
    it(`match transformers.js's WhisperFeatureExtractor with ${mels} mel bins (speech, silence, noise, 30 s)`, async () => {
      const reference = await AutoFeatureExtractor.from_pretrained(tinyModel({}, shape), { local_files_only: true });
      const mine = new LogMelExtractor(mels);
      const inputs = oracleInputs().filter((i) =>
        ['librivox-0870', 'librivox-joined-30s', 'silence-1s', 'noise-1s', 'librivox-quiet'].includes(i.name),
      );
      expect(inputs).toHaveLength(5);
      for (const input of inputs) {
        const ours = mine.extract(input.samples);
        const { input_features } = (await reference(input.samples)) as {
          input_features: { data: Float32Array; dims: number[] };
        };
        expect(input_features.dims).toEqual([1, mels, CHUNK_FRAMES]);
        let worst = 0;
        for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - input_features.data[i]!));
        expect({ input: input.name, worst: worst < 2e-5 }).toEqual({ input: input.name, worst: true });
      }
    });
  }
});
