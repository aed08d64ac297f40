/**
 * `npm run bench:moonshine`: what Moonshine costs against Whisper on the CPU, on random-weight models of the released
 * shapes (same compute, meaningless text), and how to batch it. Timed in CPU milliseconds of this process (one
 * operator thread), which a shared machine's load inflates far less than wall time; wall time is printed beside.
 *
 * 1. One utterance of 1, 2, 5, 10 and 30 s: encoder cost, and a decoder step's cost (KV cache), per model. Whisper
 *    encodes a fitted window (whole seconds, its rewritten encoder) — its best case for live partials.
 * 2. Batching 8 sessions' utterances of different lengths (2–5.5 s), moonshine-tiny: grouped by length (earshot's
 *    choice: exact, one encoder call per length, decoder rows shared only at equal positions) against padding all
 *    to the longest in one call (faster, but not exact: the published exports take no attention mask and the first
 *    GroupNorm spans the padding, so a padded row's tokens differ from the same audio alone — counted here).
 * 3. Speculation (moonshine-tiny): a live utterance decoded as it grows (a partial every 0.7 s up to 6 s, then the
 *    same audio as its final), with and without verifying the previous result as a guess; the random weights keep
 *    few tokens between partials, so the final (a right guess, taken whole) shows what a stable prefix saves.
 * `--parts costs,batching,speculation` picks sections (default all).
 * Writes bench/results/moonshine-<time>.json and prints the tables.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { MoonshineModel, type KvCache } from '../gpu-runners/engines/moonshine-onnx/model.ts';
import { MoonshineOnnxEngine } from '../gpu-runners/engines/moonshine-onnx/engine.ts';
import { lastLogits } from '../gpu-runners/engines/moonshine-onnx/model.ts';
import { argmax } from '../gpu-runners/engines/whisper-onnx/logit-rules.ts';
import { LogMelExtractor } from '../gpu-runners/engines/whisper-onnx/features.ts';
import { WhisperModel } from '../gpu-runners/engines/whisper-onnx/model.ts';
import { LayeredModelStore } from '../gpu-runners/models/model-store.ts';
import { silentLogger } from '../shared/logger.ts';
import { moonshineFixture } from '../test/fixtures/moonshine/write-model.ts';
import { whisperFixture } from '../test/fixtures/whisper/write-model.ts';
import { oracleInputs } from '../test/gpu-runners/whisper/support.ts';

const SECONDS = [1, 2, 5, 10, 30] as const;
const STEPS = 16;
const RUNS = 3;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Median CPU and wall ms of `f` over RUNS runs after a warm-up. */
async function timed(f: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  await f();
  const c: number[] = [];
  const w: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const [c0, w0] = [cpu(), performance.now()];
    await f();
    c.push(cpu() - c0);
    w.push(performance.now() - w0);
  }
  return { cpu: +median(c).toFixed(1), wall: +median(w).toFixed(1) };
}

const joined = oracleInputs().find((i) => i.name === 'librivox-joined-30s')!.samples;
const speech = (seconds: number) => joined.slice(0, Math.round(seconds * 16000));
const cpuDevice = { kind: 'cpu' as const, index: 0 };

type Row = {
  model: string;
  seconds: number;
  encoder: { cpu: number; wall: number };
  step: { cpu: number; wall: number };
};

async function moonshineCosts(shape: 'moonshine-tiny' | 'moonshine-base'): Promise<Row[]> {
  const model = await MoonshineModel.load(moonshineFixture(shape), {
    device: cpuDevice,
    logger: silentLogger,
    threads: 1,
    interOpThreads: 1,
    files: { encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' },
  });
  const rows: Row[] = [];
  for (const seconds of SECONDS) {
    const encoder = await timed(() => model.encode([speech(seconds)]));
    const states = await model.encode([speech(seconds)]);
    const step = await stepCost(
      (tokens, cache) => model.step(tokens, cache),
      async () => (await model.prefill(1, states, Math.round(seconds * 16000))).cache,
    );
    rows.push({ model: shape, seconds, encoder, step });
  }
  await model.release();
  return rows;
}

async function whisperCosts(shape: 'whisper-tiny' | 'whisper-base'): Promise<Row[]> {
  const model = await WhisperModel.load(whisperFixture(shape), {
    device: cpuDevice,
    logger: silentLogger,
    threads: 1,
    interOpThreads: 1,
  });
  const features = new LogMelExtractor(model.dims.nMels);
  const rows: Row[] = [];
  for (const seconds of SECONDS) {
    const input = features.extract(speech(seconds), 100 * seconds);
    const encoder = await timed(() => model.encode([input]));
    const states = await model.encode([input]);
    const prompt = [50258, 50259, 50359, 50363];
    const step = await stepCost(
      (tokens, cache) => model.step(tokens, cache),
      async () => (await model.prefill([prompt], states)).cache,
    );
    rows.push({ model: `${shape} (fitted window)`, seconds, encoder, step });
  }
  await model.release();
  return rows;
}

/** Per-step cost: STEPS cached steps after a prefill, divided by STEPS. */
async function stepCost<C extends object>(
  step: (tokens: number[], cache: C) => Promise<{ cache: C }>,
  prefill: () => Promise<C>,
): Promise<{ cpu: number; wall: number }> {
  const total = { cpu: [] as number[], wall: [] as number[] };
  for (let r = 0; r <= RUNS; r++) {
    let cache: C = await prefill();
    const [c0, w0] = [cpu(), performance.now()];
    for (let i = 0; i < STEPS; i++) cache = (await step([300 + i], cache)).cache;
    if (r === 0) continue; // warm-up
    total.cpu.push((cpu() - c0) / STEPS);
    total.wall.push((performance.now() - w0) / STEPS);
  }
  return { cpu: +median(total.cpu).toFixed(2), wall: +median(total.wall).toFixed(2) };
}

/** 8 utterances of different lengths: grouped by length (earshot) against padded to the longest in one call. */
async function batching(): Promise<{
  grouped: { cpu: number; wall: number };
  padded: { cpu: number; wall: number };
  paddedDiffers: number;
  rows: number;
}> {
  const dir = moonshineFixture('moonshine-tiny');
  const lengths = [2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5];
  const audio = lengths.map((s, i) => joined.slice(i * 16000, i * 16000 + Math.round(s * 16000)));
  const engine = new MoonshineOnnxEngine({
    model: dir,
    store: new LayeredModelStore(),
    threads: 1,
    interOpThreads: 1,
    dtype: 'fp32',
    moonshine: { maxNewTokens: STEPS },
  });
  await engine.load();
  const grouped = await timed(() => engine.transcribeDetailed(audio.map((samples) => ({ samples }))));
  const alone = await engine.transcribeDetailed(audio.map((samples) => ({ samples })));
  const model = await MoonshineModel.load(dir, {
    device: cpuDevice,
    logger: silentLogger,
    threads: 1,
    interOpThreads: 1,
    files: { encoder: 'onnx/encoder_model.onnx', decoder: 'onnx/decoder_model_merged.onnx' },
  });
  const longest = Math.max(...audio.map((a) => a.length));
  let paddedTokens: number[][] = [];
  const padded = await timed(async () => {
    const states = await model.encode(audio.map((a) => Float32Array.from({ length: longest }, (_, i) => a[i] ?? 0)));
    const first = await model.prefill(audio.length, states, longest);
    let cache: KvCache = first.cache;
    let logits = first.logits;
    paddedTokens = audio.map(() => []);
    for (let step = 0; step < STEPS; step++) {
      const next = audio.map((_, row) => argmax(lastLogits(logits, row)));
      next.forEach((t, row) => paddedTokens[row]!.push(t));
      ({ cache, logits } = await model.step(next, cache));
    }
  });
  const paddedDiffers = audio.filter(
    (_, i) => paddedTokens[i]!.slice(0, alone[i]!.tokens.length).join() !== alone[i]!.tokens.join(),
  ).length;
  await engine.close();
  await model.release();
  return { grouped, padded, paddedDiffers, rows: audio.length };
}

/** CPU and wall ms of a growing utterance's partials and of its final, with or without speculation. */
async function speculation(): Promise<
  Record<
    'with' | 'without',
    { partials: { cpu: number; wall: number }; final: { cpu: number; wall: number }; accepted: number; tokens: number }
  >
> {
  const dir = moonshineFixture('moonshine-tiny');
  const out = {} as Record<
    'with' | 'without',
    { partials: { cpu: number; wall: number }; final: { cpu: number; wall: number }; accepted: number; tokens: number }
  >;
  for (const mode of ['without', 'with'] as const) {
    const engine = new MoonshineOnnxEngine({
      model: dir,
      store: new LayeredModelStore(),
      threads: 1,
      interOpThreads: 1,
      dtype: 'fp32',
      moonshine: { maxNewTokens: 24, speculate: mode === 'with' },
    });
    await engine.load();
    await engine.transcribeDetailed([{ samples: joined.slice(16000 * 20, 16000 * 22) }]); // warm-up, another utterance
    let [c0, w0] = [cpu(), performance.now()];
    let accepted = 0;
    let tokens = 0;
    for (let end = 0.7; end <= 6; end += 0.7) {
      const [r] = await engine.transcribeDetailed([{ samples: speech(end) }]);
      accepted += r!.accepted;
      tokens += r!.tokens.length;
    }
    const partials = { cpu: +(cpu() - c0).toFixed(1), wall: +(performance.now() - w0).toFixed(1) };
    [c0, w0] = [cpu(), performance.now()];
    const [final] = await engine.transcribeDetailed([{ samples: speech(5.6) }]);
    out[mode] = {
      partials,
      final: { cpu: +(cpu() - c0).toFixed(1), wall: +(performance.now() - w0).toFixed(1) },
      accepted: accepted + final!.accepted,
      tokens: tokens + final!.tokens.length,
    };
    await engine.close();
  }
  return out;
}

const parts = new Set(
  (process.argv.find((a) => a.startsWith('--parts='))?.slice(8) ?? 'costs,batching,speculation').split(','),
);
const started = uptime();
process.stderr.write(`machine: ${started}\n`);
const costs = parts.has('costs')
  ? [
      ...(await moonshineCosts('moonshine-tiny')),
      ...(await moonshineCosts('moonshine-base')),
      ...(await whisperCosts('whisper-tiny')),
      ...(await whisperCosts('whisper-base')),
    ]
  : [];
const batch = parts.has('batching') ? await batching() : undefined;
const spec = parts.has('speculation') ? await speculation() : undefined;
const ended = uptime();

const models = [...new Set(costs.map((c) => c.model))];
let out = '';
if (costs.length > 0) {
  out += `| model | ${SECONDS.map((s) => `${s} s: encoder / step`).join(' | ')} |\n| --- | ${SECONDS.map(() => '---').join(' | ')} |\n`;
  for (const m of models)
    out += `| ${m} | ${SECONDS.map((s) => costs.find((c) => c.model === m && c.seconds === s)!)
      .map((c) => `${c.encoder.cpu} / ${c.step.cpu}`)
      .join(' | ')} |\n`;
  out += `\nCPU ms (one operator thread), median of ${RUNS}: one encoder call for an utterance of that length / one cached decoder step.\n\n`;
}
if (batch) {
  out += `| 8 utterances of 2–5.5 s, moonshine-tiny, ${STEPS} tokens each | CPU ms | wall ms | rows whose tokens differ from the same audio alone |\n| --- | --- | --- | --- |\n`;
  out += `| grouped by length (earshot) | ${batch.grouped.cpu} | ${batch.grouped.wall} | 0 |\n| padded to the longest, one call | ${batch.padded.cpu} | ${batch.padded.wall} | ${batch.paddedDiffers} of ${batch.rows} |\n\n`;
}
if (spec) {
  out += `| moonshine-tiny, one utterance growing to 5.6 s, 24-token budget | partials (8) CPU / wall ms | final CPU / wall ms | tokens taken from guesses / generated |\n| --- | --- | --- | --- |\n`;
  for (const mode of ['without', 'with'] as const)
    out += `| ${mode} speculation | ${spec[mode].partials.cpu} / ${spec[mode].partials.wall} | ${spec[mode].final.cpu} / ${spec[mode].final.wall} | ${spec[mode].accepted} / ${spec[mode].tokens} |\n`;
  out += '\n';
}
out += `Machine: ${cpus().length} × ${cpus()[0]?.model}; at start: ${started}; at end: ${ended}.\n`;
process.stdout.write(out);
mkdirSync('bench/results', { recursive: true });
const file = join('bench/results', `moonshine-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ bench: 'bench:moonshine', machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', uptimeAtStart: started, uptimeAtEnd: ended, loadavgAtEnd: loadavg().map((v) => +v.toFixed(2)), threads: 1 }, costs, batching: batch, speculation: spec, table: out }, null, 2)}\n`,
);
process.stderr.write(`wrote ${file}\n`);
