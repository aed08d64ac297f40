/**
 * The baseline's engine: the transformers.js automatic-speech-recognition pipeline, one utterance per call (the
 * runner gives it batches of 1). Greedy, no timestamps, no prompt, the same token budget as earshot's engine in
 * the benchmark, so both do the same work per utterance.
 */
import { env, pipeline } from '@huggingface/transformers';
import { pcm16ToFloat } from '../../shared/audio/pcm.ts';
import type { SttEngine, SttRequest, SttResult } from '../../gpu-runners/engines/types.ts';

type Asr = (audio: Float32Array, options: object) => Promise<{ text: string } | { text: string }[]>;

export class TransformersJsEngine implements SttEngine {
  readonly name = 'transformers.js';
  readonly languages = ['en'] as const;
  #asr: Asr | undefined;

  constructor(
    private readonly dir: string,
    private readonly maxNewTokens: number,
    private readonly device: 'cpu' | 'cuda' = 'cpu',
  ) {}

  async load(): Promise<void> {
    env.allowRemoteModels = false;
    env.localModelPath = '/';
    this.#asr = (await pipeline('automatic-speech-recognition', this.dir, {
      dtype: 'fp32',
      device: this.device,
      local_files_only: true,
    })) as unknown as Asr;
  }

  async transcribe(batch: readonly SttRequest[]): Promise<SttResult[]> {
    const asr = this.#asr;
    if (!asr) throw new Error('transformers.js: not loaded');
    const out: SttResult[] = [];
    // One call per utterance, one after another: the naive design.
    for (const request of batch) {
      const r = await asr(pcm16ToFloat(request.pcm), {
        language: 'en',
        task: 'transcribe',
        return_timestamps: false,
        max_new_tokens: this.maxNewTokens,
      });
      out.push({ id: request.id, text: (Array.isArray(r) ? r[0]?.text : r.text) ?? '' });
    }
    return out;
  }

  async close(): Promise<void> {
    this.#asr = undefined;
  }
}
