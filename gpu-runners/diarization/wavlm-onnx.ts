/**
 * The production speaker embedder: a WavLM (or wav2vec2 / UniSpeech-SAT) x-vector model exported to ONNX, as
 * transformers.js runs it (`WavLMForXVector`: `input_values` [+ `attention_mask`] → `embeddings`). Audio is
 * prepared as transformers.js's Wav2Vec2FeatureExtractor does (zero mean, unit variance when `do_normalize`), one
 * utterance per run, so no padding changes an embedding. Proven against transformers.js on a random-weight model
 * (test/gpu-runners/diarization/wavlm-oracle.test.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { floatData, floatTensor, OnnxSession, type DeviceSpec } from '../backend/onnx.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SpeakerEmbedder } from './embedder.ts';

export interface WavlmOnnxOptions {
  /** A model directory: `preprocessor_config.json` and `onnx/model.onnx`. */
  dir: string;
  /** Same-speaker cosine distance (default 0.14: microsoft/wavlm-base-plus-sv's card suggests similarity 0.86). */
  threshold?: number;
  device?: DeviceSpec;
  threads?: number;
  logger?: Logger;
}

/** At most this much of an utterance is embedded (s): a voice needs seconds, and attention grows with length. */
const MAX_SECONDS = 20;
/** Shorter than this (samples) is no voice: a 25 ms receptive field at least. */
const MIN_SAMPLES = 400;

/** transformers.js's Wav2Vec2FeatureExtractor normalisation, with its arithmetic (so embeddings match bit for bit). */
export function zeroMeanUnitVariance(input: Float32Array): Float32Array {
  const sum = input.reduce((a, b) => a + b, 0);
  const mean = sum / input.length;
  const variance = input.reduce((a, b) => a + (b - mean) ** 2, 0) / input.length;
  return input.map((x) => (x - mean) / Math.sqrt(variance + 1e-7));
}

export class WavlmOnnxEmbedder implements SpeakerEmbedder {
  readonly name = 'wavlm-onnx';
  readonly threshold: number;
  readonly #o: WavlmOnnxOptions;
  #session: OnnxSession | undefined;
  #normalize = true;

  constructor(options: WavlmOnnxOptions) {
    this.#o = options;
    this.threshold = options.threshold ?? 0.14;
  }

  async load(): Promise<void> {
    const config = JSON.parse(await readFile(join(this.#o.dir, 'preprocessor_config.json'), 'utf8')) as {
      do_normalize?: boolean;
      sampling_rate?: number;
    };
    if (config.sampling_rate !== undefined && config.sampling_rate !== 16000)
      throw new Error(`speaker model expects ${config.sampling_rate} Hz; earshot feeds 16 kHz`);
    this.#normalize = config.do_normalize ?? true;
    this.#session = await OnnxSession.create(join(this.#o.dir, 'onnx/model.onnx'), {
      device: this.#o.device,
      threads: this.#o.threads,
      logger: this.#o.logger,
      failureCode: 'stt_failed',
    });
  }

  async embed(batch: readonly Int16Array[]): Promise<Float32Array[]> {
    const session = this.#session;
    if (!session) throw new Error('the speaker model is not loaded');
    const out: Float32Array[] = [];
    for (const pcm of batch) {
      if (pcm.length < MIN_SAMPLES) {
        out.push(new Float32Array(0));
        continue;
      }
      const audio = Float32Array.from(pcm.subarray(0, MAX_SECONDS * 16000), (x) => x / 32768);
      const values = this.#normalize ? zeroMeanUnitVariance(audio) : audio;
      const feeds: Record<string, ort.Tensor> = { input_values: floatTensor(values, [1, values.length]) };
      // Exports with a mask input get an all-ones one, as transformers.js's feature extractor makes.
      if (session.inputNames.includes('attention_mask'))
        feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(values.length).fill(1n), [1, values.length]);
      const result = await session.run(feeds, ['embeddings']);
      out.push(Float32Array.from(floatData(result.embeddings, 'embeddings')));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#session?.release();
    this.#session = undefined;
  }
}
