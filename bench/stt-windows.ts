/**
 * Part of `npm run bench:stt`: what one encoder window and one decoded token cost, per window length (1, 2, 5, 10,
 * 30 s). earshot encodes a fitted window of exactly that length (the rewritten encoder); transformers.js always
 * encodes 30 s (its stock encoder cannot take less), so its numbers show what fitting saves on the same model.
 *
 * earshot is timed on its model directly: one encoder call; then cached decoder steps after a 4-token prompt.
 * transformers.js is timed through its public `generate`: 1 token (encoder + prompt pass) and 17 tokens with
 * end-of-text forbidden; per token = the difference over the extra tokens generated.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { AutoProcessor, env, WhisperForConditionalGeneration } from '@huggingface/transformers';
import { LogMelExtractor } from '../gpu-runners/engines/whisper-onnx/features.ts';
import { WhisperModel } from '../gpu-runners/engines/whisper-onnx/model.ts';
import { WhisperTokenizer } from '../gpu-runners/engines/whisper-onnx/tokenizer.ts';
import { silentLogger } from '../shared/logger.ts';

export const WINDOW_SECONDS = [1, 2, 5, 10, 30] as const;
const STEPS = 16;

export interface WindowTimings {
  /** Median ms of one encoder call (batch 1), by window length in seconds. */
  encoderMs: Record<string, number>;
  /** Median ms per decoded token (batch 1, KV cache), by window length. */
  decoderMsPerToken: Record<string, number>;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const started = performance.now();
    await f();
    times.push(performance.now() - started);
  }
  return median(times);
}

export async function earshotWindows(
  dir: string,
  threads: number,
  runs: number,
  speech: (seconds: number) => Float32Array,
): Promise<WindowTimings> {
  const model = await WhisperModel.load(dir, {
    device: { kind: 'cpu', index: 0 },
    logger: silentLogger,
    threads: threads || availableParallelism(),
    interOpThreads: 1,
  });
  const specials = new WhisperTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'))).specials;
  const prompt = [specials.sot, specials.languages.get('en')!, specials.transcribe, specials.noTimestamps];
  const features = new LogMelExtractor(model.dims.nMels);
  const out: WindowTimings = { encoderMs: {}, decoderMsPerToken: {} };
  for (const seconds of WINDOW_SECONDS) {
    const input = features.extract(speech(seconds), 100 * seconds);
    out.encoderMs[seconds] = +(await timed(runs, () => model.encode([input]))).toFixed(1);
    const states = await model.encode([input]);
    const steps = await timed(runs, async () => {
      let { cache } = await model.prefill([prompt], states);
      const started = performance.now();
      for (let i = 0; i < STEPS; i++) ({ cache } = await model.step([220 + i], cache));
      return performance.now() - started;
    });
    // `timed` measured prefill + steps; time the prefill alone to leave the steps.
    const prefill = await timed(runs, () => model.prefill([prompt], states));
    out.decoderMsPerToken[seconds] = +((steps - prefill) / STEPS).toFixed(2);
  }
  await model.release();
  return out;
}

export async function transformersWindows(
  dir: string,
  threads: number,
  runs: number,
  speech: (seconds: number) => Float32Array,
): Promise<WindowTimings> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
  const model = (await WhisperForConditionalGeneration.from_pretrained(dir, {
    local_files_only: true,
    dtype: 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: threads },
  })) as WhisperForConditionalGeneration;
  const generation = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as {
    suppress_tokens: number[];
    eos_token_id: number;
  };
  const generate = model.generate.bind(model) as (o: Record<string, unknown>) => Promise<{ dims: number[] }>;
  const out: WindowTimings = { encoderMs: {}, decoderMsPerToken: {} };
  for (const seconds of WINDOW_SECONDS) {
    const { input_features } = (await processor(speech(seconds))) as { input_features: unknown };
    let generated = 0;
    const run = async (tokens: number) => {
      const ids = await generate({
        inputs: input_features,
        language: 'en',
        task: 'transcribe',
        max_new_tokens: tokens,
        suppress_tokens: [...generation.suppress_tokens, generation.eos_token_id],
      });
      generated = (ids.dims[1] ?? 4) - 4;
    };
    const one = await timed(runs, () => run(1));
    const many = await timed(runs, () => run(1 + STEPS));
    out.encoderMs[seconds] = +one.toFixed(1);
    out.decoderMsPerToken[seconds] = +((many - one) / Math.max(1, generated - 1)).toFixed(2);
  }
  return out;
}

export function windowsTable(rows: { model: string; engine: string; windows?: WindowTimings }[]): string {
  const header = [
    'model',
    'engine',
    ...WINDOW_SECONDS.map((s) => `encoder ${s} s ms`),
    ...WINDOW_SECONDS.map((s) => `decoder ms/token @${s} s`),
  ];
  const body = rows
    .filter((r) => r.windows)
    .map((r) => [
      r.model,
      r.engine,
      ...WINDOW_SECONDS.map((s) => String(r.windows!.encoderMs[s])),
      ...WINDOW_SECONDS.map((s) => String(r.windows!.decoderMsPerToken[s])),
    ]);
  return [header, header.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
