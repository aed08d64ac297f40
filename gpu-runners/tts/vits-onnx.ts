/**
 * The production voice: an MMS-TTS / VITS model exported to ONNX as transformers.js runs it (`VitsModel`:
 * `input_ids` [+ `attention_mask`] → `waveform` [1, samples] at the config's `sampling_rate`), with its character
 * tokenizer (vits-tokenizer.ts). One text per run (VITS's stochastic duration predictor makes lengths differ, and
 * padding would leak into them). Proven against transformers.js on a random-weight model with the same interface
 * (test/gpu-runners/tts/vits-oracle.test.ts). One model speaks one language: `languages` lists it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { EarshotError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { floatToPcm16 } from '../../shared/audio/pcm.ts';
import { resample } from '../../shared/audio/resample.ts';
import { floatData, OnnxSession, type DeviceSpec } from '../backend/onnx.ts';
import { TTS_SAMPLE_RATE } from './espeak.ts';
import { boundedText, type TtsEngine, type TtsRequest, type TtsResult } from './types.ts';
import { VitsTokenizer } from './vits-tokenizer.ts';

export interface VitsOnnxOptions {
  /** A model directory: config.json, tokenizer.json, onnx/model.onnx. */
  dir: string;
  /** The language the voice speaks (ISO 639-1), e.g. `es` for facebook/mms-tts-spa. */
  language: string;
  device?: DeviceSpec;
  threads?: number;
  logger?: Logger;
}

export class VitsOnnxEngine implements TtsEngine {
  readonly name = 'vits-onnx';
  readonly #o: VitsOnnxOptions;
  #session: OnnxSession | undefined;
  #tokenizer: VitsTokenizer | undefined;
  #sampleRate = TTS_SAMPLE_RATE;

  constructor(options: VitsOnnxOptions) {
    this.#o = options;
  }

  get languages(): readonly string[] {
    return [this.#o.language];
  }

  speaks(language: string): boolean {
    return language.split('-')[0]!.toLowerCase() === this.#o.language;
  }

  async load(): Promise<void> {
    const config = JSON.parse(await readFile(join(this.#o.dir, 'config.json'), 'utf8')) as { sampling_rate?: number };
    this.#sampleRate = config.sampling_rate ?? TTS_SAMPLE_RATE;
    this.#tokenizer = await VitsTokenizer.load(this.#o.dir);
    this.#session = await OnnxSession.create(join(this.#o.dir, 'onnx/model.onnx'), {
      device: this.#o.device,
      threads: this.#o.threads,
      logger: this.#o.logger,
      failureCode: 'tts_failed',
    });
  }

  /** The model's waveform for `text` (float, at the model's rate): what the oracle compares. */
  async waveform(text: string): Promise<Float32Array> {
    const session = this.#session;
    const tokenizer = this.#tokenizer;
    if (!session || !tokenizer) throw new EarshotError('tts_failed', 'the VITS voice is not loaded');
    const ids = tokenizer.encode(boundedText(text));
    if (ids.length === 0) return new Float32Array(0);
    const dims = [1, ids.length];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), dims),
    };
    if (session.inputNames.includes('attention_mask'))
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), dims);
    const result = await session.run(feeds, ['waveform']);
    return Float32Array.from(floatData(result.waveform, 'waveform'));
  }

  async synthesize(batch: readonly TtsRequest[]): Promise<TtsResult[]> {
    const out: TtsResult[] = [];
    for (const request of batch) {
      if (!this.speaks(request.language))
        throw new EarshotError('unsupported_voice', `this voice speaks ${this.#o.language}, not "${request.language}"`);
      const wave = await this.waveform(request.text);
      const at16k = this.#sampleRate === TTS_SAMPLE_RATE ? wave : resample(wave, this.#sampleRate, TTS_SAMPLE_RATE);
      out.push({ id: request.id, pcm: floatToPcm16(at16k), sampleRate: TTS_SAMPLE_RATE });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#session?.release();
    this.#session = undefined;
  }
}
