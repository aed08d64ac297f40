/**
 * Shared pieces of the whisper-onnx tests: the generated tiny model, a set of inputs (real speech from Debian's
 * pocketsphinx-testdata, silence, noise, tones, 1–30 s), engines on the model, and transformers.js on the same
 * files (the oracle).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { AutoProcessor, env, WhisperForConditionalGeneration, type Processor } from '@huggingface/transformers';
import { decodeWav } from '../../../shared/audio/wav.ts';
import { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import type { WhisperOptions } from '../../../gpu-runners/engines/whisper-onnx/options.ts';
import type { DtypeSetting } from '../../../gpu-runners/models/dtype.ts';
import { LayeredModelStore } from '../../../gpu-runners/models/model-store.ts';
import { uniformGenerator } from '../../fixtures/onnx/prng.ts';
import { whisperFixture, type WhisperFixtureOptions } from '../../fixtures/whisper/write-model.ts';
import type { WhisperShapeName } from '../../fixtures/whisper/shapes.ts';

const TESTDATA = '/usr/share/pocketsphinx/test/data';
const RATE = 16000;

export interface Input {
  name: string;
  samples: Float32Array;
}

function librivox(): Input[] {
  const dir = `${TESTDATA}/librivox`;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => ({
      name: f.replace(/^sense_and_sensibility_01_austen_64kb-/, 'librivox-').replace('.wav', ''),
      samples: decodeWav(readFileSync(`${dir}/${f}`)).samples[0]!,
    }));
}

/** Headerless 16 kHz PCM16 recordings of the same test data. */
function raw(name: string): Input {
  const bytes = readFileSync(`${TESTDATA}/${name}.raw`);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1);
  return { name, samples: Float32Array.from(pcm, (v) => v / 32768) };
}

function noise(name: string, seconds: number, level: number): Input {
  const next = uniformGenerator(7, name);
  return { name, samples: Float32Array.from({ length: Math.round(seconds * RATE) }, () => (next() * 2 - 1) * level) };
}

const silence = (seconds: number): Input => ({
  name: `silence-${seconds}s`,
  samples: new Float32Array(seconds * RATE),
});
const concat = (name: string, parts: Float32Array[], seconds: number): Input => {
  const out = new Float32Array(Math.round(seconds * RATE));
  let at = 0;
  for (let i = 0; at < out.length; i++) {
    const part = parts[i % parts.length]!.subarray(0, out.length - at);
    out.set(part, at);
    at += part.length;
  }
  return { name, samples: out };
};

/** 22 inputs: speech (whole, cut, joined up to 30 s, quieter, noisy), silence, noise, a tone; 1 s to 30 s. */
export function oracleInputs(): Input[] {
  const speech = librivox();
  const [a, b, c, d, e] = speech.map((s) => s.samples) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const tone = Float32Array.from({ length: 3 * RATE }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * i) / RATE));
  const n = noise('noise-mix', d.length / RATE, 0.02).samples;
  return [
    ...speech,
    { name: 'librivox-1s', samples: a.slice(0, RATE) },
    { name: 'librivox-1.5s-mid', samples: b.slice(RATE, 2.5 * RATE) },
    concat('librivox-joined-24s', [a, b, c, d, e], 24),
    concat('librivox-joined-30s', [e, d, c, b, a], 30),
    { name: 'librivox-quiet', samples: c.map((v) => v * 0.2) },
    { name: 'librivox-noisy', samples: d.map((v, i) => v + n[i]!) },
    silence(1),
    silence(10),
    silence(30),
    noise('noise-1s', 1, 0.3),
    noise('noise-5s-low', 5, 0.01),
    noise('noise-20s-loud', 20, 0.5),
    raw('goforward'),
    raw('numbers'),
    raw('something'),
    { name: 'tone-440hz-3s', samples: tone },
  ];
}

/** A generated tiny Whisper model (cached between runs). */
export function tinyModel(options: WhisperFixtureOptions = {}, shape: WhisperShapeName = 'tiny-random'): string {
  return whisperFixture(shape, options);
}

/** An engine on `dir`, loaded; `fit: false` keeps the stock encoder graph (no window rewrite). */
export async function engineFor(
  dir: string,
  whisper: Partial<WhisperOptions> = {},
  device = 'cpu',
  dtype: DtypeSetting = 'fp32',
  fit = true,
): Promise<WhisperOnnxEngine> {
  const engine = new WhisperOnnxEngine({
    model: dir,
    store: new LayeredModelStore(),
    whisper,
    device,
    threads: 1,
    dtype,
    fit,
  });
  await engine.load();
  return engine;
}

export interface Reference {
  processor: Processor;
  model: WhisperForConditionalGeneration;
}

/** transformers.js on the same model files, local only. */
export async function transformersWhisper(dir: string, dtype = 'fp32'): Promise<Reference> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const processor = await AutoProcessor.from_pretrained(dir, { local_files_only: true });
  const model = (await WhisperForConditionalGeneration.from_pretrained(dir, {
    local_files_only: true,
    dtype: dtype as 'fp32',
    device: 'cpu',
    session_options: { intraOpNumThreads: 1 },
  })) as WhisperForConditionalGeneration;
  return { processor, model };
}

/** transformers.js's greedy tokens after the prompt, cut after the first end-of-text. */
export async function referenceTokens(
  ref: Reference,
  samples: Float32Array,
  options: { language?: string; task?: string; maxNewTokens: number; prompt?: number[] },
  eot: number,
): Promise<number[]> {
  const { input_features } = await ref.processor(samples);
  const generate = ref.model.generate.bind(ref.model) as (o: Record<string, unknown>) => Promise<unknown>;
  const out = (await generate({
    inputs: input_features,
    // Left out when not given, so the export's pinned language/task (generation_config) applies.
    ...(options.language ? { language: options.language } : {}),
    ...(options.task ? { task: options.task } : {}),
    max_new_tokens: options.maxNewTokens,
    do_sample: false,
    num_beams: 1,
    ...(options.prompt ? { decoder_input_ids: options.prompt } : {}),
  })) as { tolist(): bigint[][] };
  const ids = out.tolist()[0]!.map(Number);
  const promptLength = options.prompt?.length ?? 4;
  const generated = ids.slice(promptLength);
  const end = generated.indexOf(eot);
  return end < 0 ? generated : generated.slice(0, end);
}
