/**
 * `npm run bench:stt`: the whisper-onnx engine against the transformers.js ASR pipeline on the same random-weight
 * Whisper models (whisper-tiny and whisper-base shapes) and the same audio (librivox speech): load time, latency per
 * segment (p50/p95) for 2 s, 5 s and 15 s segments, real-time factor with 1, 4 and 16 concurrent segments, and peak
 * memory, for each weight dtype asked for (`--dtypes fp32,q8,fp16`: the variants onnx-community publishes, made by the
 * fixture factory the way Optimum makes them; transformers.js loads the same files by the same dtype). Both decode greedily without timestamps and stop at the same token budget; on these models they produce
 * the same tokens (the oracle test), so the work is the same. earshot batches concurrent segments the way its
 * runner does (one engine call); transformers.js gets one pipeline call per segment, all in flight at once.
 *
 * Each (model, engine) pair runs in its own process so peak memory is its own. Prints a table, writes JSON under
 * bench/results/, reports progress on stderr.
 *
 * A second table (bench/stt-windows.ts) gives encoder ms per window length (1, 2, 5, 10, 30 s) and decoder ms
 * per token for both engines on the same model (fp32): earshot's fitted windows against transformers.js's 30 s.
 *
 * `--device cuda:0` runs both engines on a GPU (the window table stays on the CPU).
 *
 *   npm run bench:stt -- [--models whisper-tiny,whisper-base] [--dtypes fp32] [--engines earshot,transformers.js] [--runs 5] [--concurrency 1,4,16] [--threads 0] [--device cpu]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline } from '@huggingface/transformers';
import { WhisperOnnxEngine } from '../gpu-runners/engines/whisper-onnx/engine.ts';
import type { Dtype } from '../gpu-runners/models/dtype.ts';
import { LayeredModelStore } from '../gpu-runners/models/model-store.ts';
import { floatToPcm16 } from '../shared/audio/pcm.ts';
import { librivoxRecordings } from '../test/support/librivox.ts';
import type { VariantDtype } from '../test/fixtures/onnx/variants.ts';
import { whisperFixture } from '../test/fixtures/whisper/write-model.ts';
import { earshotWindows, transformersWindows, windowsTable, type WindowTimings } from './stt-windows.ts';
import type { WhisperShapeName } from '../test/fixtures/whisper/shapes.ts';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'whisper-tiny,whisper-base' },
    dtypes: { type: 'string', default: 'fp32' },
    engines: { type: 'string', default: 'earshot,transformers.js' },
    runs: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,4,16' },
    threads: { type: 'string', default: '0' },
    device: { type: 'string', default: process.env.EARSHOT_DEVICE ?? 'cpu' },
    worker: { type: 'string' },
    dir: { type: 'string' },
  },
});
const LENGTHS = [2, 5, 15];
const RTF_SECONDS = 5;
const RUNS = Number(args.runs);
const CONCURRENCY = args.concurrency.split(',').map(Number);
const THREADS = Number(args.threads);
const DEVICE = args.device;
type EngineName = 'earshot' | 'transformers.js';

/** Tokens allowed per segment: about what speech of that length holds, the same for both engines. */
const budget = (seconds: number) => Math.round(3 * seconds) + 4;

interface Result {
  model: string;
  engine: EngineName;
  dtype: Dtype;
  loadSeconds: number;
  latencyMs: Record<string, { p50: number; p95: number; runs: number }>;
  rtf: Record<string, number>;
  peakRssMb: number;
  windows?: WindowTimings;
}

const progress = (message: string) => process.stderr.write(`[bench:stt] ${message}\n`);

/** Speech of `seconds` starting at `offset` in all librivox recordings joined (looped): distinct segments. */
function speech(seconds: number, offset: number): Float32Array {
  const all = librivoxRecordings().map((r) => Float32Array.from(r.pcm, (v) => v / 32768));
  const joined = new Float32Array(all.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of all) joined.set(a, (at += a.length) - a.length);
  const out = new Float32Array(seconds * 16000);
  for (let i = 0; i < out.length; i++) out[i] = joined[(offset * 16000 + i) % joined.length]!;
  return out;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

/** The engine under test: `run` transcribes segments that arrive together. */
interface Contender {
  run(segments: Float32Array[], maxNewTokens: number): Promise<void>;
}

/** earshot's engine; the token budget is an engine option, so a new budget loads a new engine (after the old one is closed). */
async function earshot(dir: string, dtype: Dtype): Promise<Contender> {
  const load = async (maxNewTokens: number) => {
    const engine = new WhisperOnnxEngine({
      model: dir,
      store: new LayeredModelStore(),
      device: DEVICE,
      threads: THREADS,
      dtype,
      whisper: { language: 'en', timestamps: false, temperatures: [0], maxNewTokens },
    });
    await engine.load();
    return engine;
  };
  let engine = await load(budget(2));
  return {
    async run(segments, maxNewTokens) {
      if (engine.options.maxNewTokens !== maxNewTokens) {
        await engine.close();
        engine = await load(maxNewTokens);
      }
      await engine.transcribe(segments.map((s, i) => ({ id: String(i), pcm: floatToPcm16(s), partial: false })));
    },
  };
}

async function transformersJs(dir: string, dtype: Dtype): Promise<Contender> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const asr = (await pipeline('automatic-speech-recognition', dir, {
    dtype,
    device: DEVICE.startsWith('cuda') ? 'cuda' : 'cpu',
    local_files_only: true,
    session_options: { intraOpNumThreads: THREADS },
  })) as unknown as (audio: Float32Array, options: object) => Promise<unknown>;
  return {
    async run(segments, maxNewTokens) {
      await Promise.all(
        segments.map((s) =>
          asr(s, { language: 'en', task: 'transcribe', return_timestamps: false, max_new_tokens: maxNewTokens }),
        ),
      );
    },
  };
}

/** One (model, engine) measurement, in this process. */
async function work(model: string, engine: EngineName, dtype: Dtype, dir: string): Promise<Result> {
  const label = `${model} ${dtype} ${engine}`;
  let started = performance.now();
  const contender = engine === 'earshot' ? await earshot(dir, dtype) : await transformersJs(dir, dtype);
  const loadSeconds = (performance.now() - started) / 1000;
  progress(`${label}: loaded in ${loadSeconds.toFixed(2)} s`);

  const latencyMs: Result['latencyMs'] = {};
  for (const seconds of LENGTHS) {
    const times: number[] = [];
    await contender.run([speech(seconds, 200)], budget(seconds)); // warm-up (and earshot's engine for this budget)
    for (let r = 0; r < RUNS; r++) {
      started = performance.now();
      await contender.run([speech(seconds, r * 7)], budget(seconds));
      times.push(performance.now() - started);
      progress(`${label}: latency ${seconds} s segment ${r + 1}/${RUNS}: ${times.at(-1)!.toFixed(0)} ms`);
    }
    latencyMs[`${seconds}s`] = { p50: percentile(times, 50), p95: percentile(times, 95), runs: RUNS };
  }
  const rtf: Result['rtf'] = {};
  await contender.run([speech(RTF_SECONDS, 300)], budget(RTF_SECONDS));
  for (const c of CONCURRENCY) {
    const segments = Array.from({ length: c }, (_, i) => speech(RTF_SECONDS, i * 3));
    started = performance.now();
    await contender.run(segments, budget(RTF_SECONDS));
    rtf[String(c)] = (performance.now() - started) / 1000 / (c * RTF_SECONDS);
    progress(`${label}: concurrency ${c}: RTF ${rtf[String(c)]!.toFixed(3)}`);
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  if (dtype !== 'fp32' || DEVICE !== 'cpu') return { model, engine, dtype, loadSeconds, latencyMs, rtf, peakRssMb };
  progress(`${label}: encoder and decoder per window length`);
  const windows = await (engine === 'earshot' ? earshotWindows : transformersWindows)(dir, THREADS, RUNS, (seconds) =>
    speech(seconds, 11),
  );
  return { model, engine, dtype, loadSeconds, latencyMs, rtf, peakRssMb, windows };
}

/** Runs one measurement in a child process and returns its result. */
function child(model: string, engine: EngineName, dtype: Dtype, dir: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const argv = [
      '--import',
      'tsx',
      'bench/stt.ts',
      '--worker',
      `${model}:${engine}:${dtype}`,
      '--dir',
      dir,
      '--runs',
      String(RUNS),
      '--concurrency',
      CONCURRENCY.join(','),
      '--threads',
      String(THREADS),
      '--device',
      DEVICE,
    ];
    const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`${model} ${engine}: worker exited ${code}`)),
    );
  });
}

function table(results: Result[]): string {
  const ms = (v: number) => `${v.toFixed(0)}`;
  const header = [
    'model',
    'dtype',
    'engine',
    'load s',
    ...LENGTHS.map((l) => `${l}s p50/p95 ms`),
    ...CONCURRENCY.map((c) => `RTF c=${c}`),
    'peak RSS MB',
  ];
  const rows = results.map((r) => [
    r.model,
    r.dtype,
    r.engine,
    r.loadSeconds.toFixed(2),
    ...LENGTHS.map((l) => `${ms(r.latencyMs[`${l}s`]!.p50)} / ${ms(r.latencyMs[`${l}s`]!.p95)}`),
    ...CONCURRENCY.map((c) => r.rtf[String(c)]!.toFixed(3)),
    r.peakRssMb.toFixed(0),
  ]);
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  if (args.worker) {
    const [model, engine, dtype] = args.worker.split(':') as [string, EngineName, Dtype];
    process.stdout.write(JSON.stringify(await work(model, engine, dtype, args.dir!)));
    return;
  }
  const results: Result[] = [];
  for (const model of args.models.split(',') as WhisperShapeName[]) {
    progress(`${model}: generating the random-weight model (cached after the first run)`);
    const dtypes = args.dtypes.split(',') as Dtype[];
    const dir = whisperFixture(model, { variants: dtypes.filter((d): d is VariantDtype => d !== 'fp32') });
    for (const dtype of dtypes)
      for (const engine of args.engines.split(',') as EngineName[])
        results.push(await child(model, engine, dtype, dir));
  }
  const machine = {
    device: DEVICE,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    threads: THREADS,
    loadavgAtEnd: loadavg().map((v) => +v.toFixed(2)),
  };
  const printed = `${table(results)}\n\n${windowsTable(results)}`;
  process.stdout.write(
    `\n${printed}\n\nRTF: wall time / audio time (lower is faster). Encoder: earshot fits the window to the length; transformers.js always encodes 30 s. Machine: ${JSON.stringify(machine)}\n`,
  );
  mkdirSync('bench/results', { recursive: true });
  const file = join('bench/results', `stt-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine, lengths: LENGTHS, concurrency: CONCURRENCY, runs: RUNS, results, table: printed }, null, 2)}\n`,
  );
  progress(`wrote ${file}`);
}

await main();
