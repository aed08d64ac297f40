/**
 * Shared pieces of the moonshine-onnx tests: the generated tiny model, engines on it, and transformers.js's
 * MoonshineForConditionalGeneration on the same files (the oracle). The inputs are the Whisper oracle's (real
 * speech from pocketsphinx-testdata, silence, noise, a tone) plus two half-second cuts.
 */
import {
  AutoProcessor,
  AutoTokenizer,
  env,
  MoonshineForConditionalGeneration,
  type PreTrainedTokenizer,
  type Processor,
} from '@huggingface/transformers';
import { MoonshineOnnxEngine } from '../../../gpu-runners/engines/moonshine-onnx/engine.ts';
import type { MoonshineOptions } from '../../../gpu-runners/engines/moonshine-onnx/options.ts';
import type { DtypeSetting } from '../../../gpu-runners/models/dtype.ts';
import { LayeredModelStore } from '../../../gpu-runners/models/model-store.ts';
import { oracleInputs, type Input } from '../whisper/support.ts';

export type { Input };

/** 24 inputs, 0.5 s to 30 s. */
export function moonshineInputs(): Input[] {
  const inputs = oracleInputs();
  const speech = inputs[0]!.samples;
  return [
    { name: 'librivox-0.5s', samples: speech.slice(0, 8000) },
    { name: 'librivox-0.5s-late', samples: speech.slice(24000, 32000) },
    ...inputs,
  ];
}

export async function engineFor(
  dir: string,
  moonshine: Partial<MoonshineOptions> = {},
  dtype: DtypeSetting = 'fp32',
): Promise<MoonshineOnnxEngine> {
  const engine = new MoonshineOnnxEngine({ model: dir, store: new LayeredModelStore(), moonshine, threads: 1, dtype });
  await engine.load();
  return engine;
}

export interface Reference {
  processor: Processor;
  tokenizer: PreTrainedTokenizer;
  model: MoonshineForConditionalGeneration;
}

/** transformers.js on the same model files, local only. */
export async function transformersMoonshine(dir: string, dtype = 'fp32'): Promise<Reference> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const model = (await MoonshineForConditionalGeneration.from_pretrained(dir, {
    local_files_only: true,
    dtype: dtype as 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: 1 },
  })) as MoonshineForConditionalGeneration;
  return { processor, tokenizer, model };
}

/** transformers.js's greedy tokens after the start token, up to (not including) `</s>`, and their text. */
export async function referenceDecode(
  ref: Reference,
  samples: Float32Array,
  maxNewTokens: number,
  eos = 2,
): Promise<{ tokens: number[]; text: string }> {
  const inputs = (await ref.processor(samples)) as Record<string, unknown>;
  const generate = ref.model.generate.bind(ref.model) as (
    o: Record<string, unknown>,
  ) => Promise<{ tolist(): bigint[][] }>;
  const out = await generate({
    input_values: inputs.input_values,
    max_new_tokens: maxNewTokens,
    do_sample: false,
    num_beams: 1,
  });
  const ids = out.tolist()[0]!.map(Number).slice(1);
  const end = ids.indexOf(eos);
  const tokens = end < 0 ? ids : ids.slice(0, end);
  return { tokens, text: tokens.length ? ref.tokenizer.decode(tokens, { skip_special_tokens: true }) : '' };
}
