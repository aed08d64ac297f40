/**
 * `npm run bench:mt`: translation throughput of the nllb-onnx engine against the transformers.js translation
 * pipeline on the same random-weight NLLB-200-distilled-600M-shaped model and the same sentences, at batch sizes
 * 1, 8 and 32. Both generate exactly `--tokens` tokens per sentence where the model does not end earlier (random
 * weights rarely do), so the work is the same. Prints a table and writes JSON under bench/results/. With several
 * `--dtypes` (the variants onnx-community publishes, made by the fixture factory as Optimum makes them), each dtype
 * runs in its own process, so its peak memory is its own.
 *
 *   npm run bench:mt -- [--model nllb-600M|nllb-tiny] [--dtypes fp32] [--engines earshot,transformers.js] [--tokens 32] [--batches 1,8,32] [--single 4] [--threads 0] [--repeat 1] [--device cpu|cuda:0]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { env, pipeline, type TranslationPipeline } from '@huggingface/transformers';
import { parseDevice } from '../gpu-runners/backend/onnx.ts';
import { NllbOnnxEngine } from '../gpu-runners/engines/nllb-onnx/engine.ts';
import { nllbFixture } from '../test/fixtures/models/nllb-fixture.ts';
import type { VariantDtype } from '../test/fixtures/onnx/variants.ts';
import type { NllbFixtureName } from '../test/fixtures/models/nllb.ts';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'nllb-600M' },
    dtypes: { type: 'string', default: 'fp32' },
    engines: { type: 'string', default: 'earshot,transformers.js' },
    // The model directory (set by the parent process of a several-dtype run).
    fixture: { type: 'string' },
    tokens: { type: 'string', default: '32' },
    batches: { type: 'string', default: '1,8,32' },
    // Batch 1 runs this many sentences one after another (the larger batches run one full batch each).
    single: { type: 'string', default: '4' },
    threads: { type: 'string', default: '0' },
    device: { type: 'string', default: process.env.EARSHOT_DEVICE ?? 'cpu' },
    // Each cell is measured this many times (engines alternating) and the fastest run kept: shared machines are noisy.
    repeat: { type: 'string', default: '1' },
  },
});
const TOKENS = Number(args.tokens);
const BATCHES = args.batches.split(',').map(Number);
const SINGLE = Number(args.single);
const REPEAT = Number(args.repeat);

const SENTENCES = [
  'The weather is nice today and the children play in the garden.',
  'I would like a cup of coffee, please.',
  'Where is the train station?',
  'He was not an ill disposed young man, unless to be rather cold hearted is to be ill disposed.',
  'My brother lives in a small house near the river.',
  'She reads a book every week.',
  'The meeting starts at nine and should end before lunch.',
  'Thank you all for coming tonight.',
];
const OPENINGS = ['', 'Yesterday, ', 'As I said, ', 'In the morning, '];
/** `n` distinct sentences (identical requests would be translated once by earshot and skew the comparison). */
const sentences = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${OPENINGS[Math.floor(i / SENTENCES.length) % OPENINGS.length]}${SENTENCES[i % SENTENCES.length]!}`,
  );

interface Measurement {
  sentences: number;
  tokens: number;
  seconds: number;
  /** CPU time of the whole process (all onnxruntime threads): the work done, whatever else runs on the machine. */
  cpuSeconds: number;
}

interface Row extends Measurement {
  engine: 'earshot' | 'transformers.js';
  batch: number;
  sentencesPerSecond: number;
  tokensPerSecond: number;
  tokensPerCpuSecond: number;
}

const progress = (message: string) => process.stderr.write(`[bench:mt] ${message}\n`);

/** Runs `count` sentences in batches of `batch`. */
async function measure(batch: number, translate: (texts: string[]) => Promise<number>): Promise<Measurement> {
  const count = batch === 1 ? SINGLE : batch;
  const texts = sentences(count);
  let tokens = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < texts.length; i += batch) tokens += await translate(texts.slice(i, i + batch));
  const used = process.cpuUsage(cpu);
  return {
    sentences: count,
    tokens,
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

function row(engine: Row['engine'], batch: number, m: Measurement): Row {
  progress(
    `${engine} batch ${batch}: ${m.sentences} sentences, ${m.tokens} tokens in ${m.seconds.toFixed(1)} s (${m.cpuSeconds.toFixed(1)} CPU s)`,
  );
  return {
    engine,
    batch,
    ...m,
    sentencesPerSecond: m.sentences / m.seconds,
    tokensPerSecond: m.tokens / m.seconds,
    tokensPerCpuSecond: m.tokens / m.cpuSeconds,
  };
}

/** An engine under test: `translate` returns the tokens it generated. */
interface Contender {
  name: Row['engine'];
  loadSeconds: number;
  translate(texts: string[]): Promise<number>;
  close(): Promise<void>;
}

async function loadEarshot(dir: string): Promise<Contender> {
  const started = performance.now();
  // A fixed cap (no relative length) so both engines may generate the same number of tokens.
  const engine = new NllbOnnxEngine({
    model: dir,
    dtype: DTYPE,
    cacheSize: 0,
    maxBatch: Math.max(...BATCHES),
    maxLengthFactor: 0,
    maxLengthOffset: TOKENS,
    threads: Number(args.threads),
    device: parseDevice(args.device),
  });
  await engine.load();
  const translate = async (texts: string[]) => {
    const before = engine.stats.generatedTokens;
    await engine.translate(texts.map((text, i) => ({ id: String(i), text, source: 'en', target: 'es' })));
    return engine.stats.generatedTokens - before;
  };
  return { name: 'earshot', loadSeconds: (performance.now() - started) / 1000, translate, close: () => engine.close() };
}

async function loadTransformers(dir: string): Promise<Contender> {
  env.allowRemoteModels = false;
  env.localModelPath = '/';
  const started = performance.now();
  const translator = (await pipeline('translation', dir, {
    dtype: DTYPE,
    device: args.device.startsWith('cuda') ? 'cuda' : 'cpu',
  })) as TranslationPipeline;
  const tokenizer = translator.tokenizer as unknown as {
    _build_translation_inputs(t: string[], o: object, k: object): object;
    batch_decode(ids: unknown, o: object): string[];
  };
  // What the translation pipeline does, with the generated ids kept so tokens can be counted.
  const translate = async (texts: string[]) => {
    const kwargs = { src_lang: 'eng_Latn', tgt_lang: 'spa_Latn' };
    const inputs = tokenizer._build_translation_inputs(texts, { padding: true, truncation: true }, kwargs);
    const output = (await translator.model.generate({ ...inputs, ...kwargs, max_new_tokens: TOKENS })) as unknown as {
      data: BigInt64Array;
      dims: number[];
    };
    tokenizer.batch_decode(output, { skip_special_tokens: true });
    const width = output.dims[1]!;
    let tokens = 0;
    for (let r = 0; r < texts.length; r++) {
      // Tokens up to the row's first </s>: what the sentence needed, not the padding steps after it.
      const ids = Array.from(output.data.subarray(r * width + 1, (r + 1) * width), Number);
      tokens += ids.includes(2) ? ids.indexOf(2) + 1 : ids.length;
    }
    return tokens;
  };
  return {
    name: 'transformers.js',
    loadSeconds: (performance.now() - started) / 1000,
    translate,
    close: () => translator.dispose(),
  };
}

function table(rows: Row[]): string {
  const header =
    '| batch | engine | sentences | tokens | seconds | CPU seconds | sentences/s | tokens/s | tokens/CPU s |';
  const lines = rows
    .sort((a, b) => a.batch - b.batch || a.engine.localeCompare(b.engine))
    .map(
      (r) =>
        `| ${r.batch} | ${r.engine} | ${r.sentences} | ${r.tokens} | ${r.seconds.toFixed(2)} | ${r.cpuSeconds.toFixed(2)} | ${r.sentencesPerSecond.toFixed(2)} | ${r.tokensPerSecond.toFixed(1)} | ${r.tokensPerCpuSecond.toFixed(1)} |`,
    );
  return [header, '|---|---|---|---|---|---|---|---|---|', ...lines].join('\n');
}

const DTYPES = args.dtypes.split(',') as (VariantDtype | 'fp32')[];
const DTYPE = DTYPES[0]!;
const fixtureStarted = performance.now();
progress(`generating or reusing the ${args.model} fixture (the 600M shape writes 3.4 GB the first time)…`);
const dir =
  args.fixture ??
  nllbFixture(
    args.model as NllbFixtureName,
    DTYPES.filter((d): d is VariantDtype => d !== 'fp32'),
  );
if (DTYPES.length > 1) {
  // One process per dtype: peak memory is a process's own.
  for (const dtype of DTYPES) {
    const argv = process.argv
      .slice(2)
      .filter((a, i, all) => a !== '--dtypes' && all[i - 1] !== '--dtypes' && !a.startsWith('--dtypes='));
    spawnSync(process.execPath, ['--import', 'tsx', 'bench/mt.ts', ...argv, '--dtypes', dtype, '--fixture', dir], {
      stdio: 'inherit',
    });
  }
  process.exit(0);
}
progress(`fixture ready in ${((performance.now() - fixtureStarted) / 1000).toFixed(1)} s: ${dir}`);

const contenders: Contender[] = [];
const engines = args.engines.split(',');
for (const load of [
  ...(engines.includes('earshot') ? [loadEarshot] : []),
  ...(engines.includes('transformers.js') ? [loadTransformers] : []),
]) {
  const contender = await load(dir);
  progress(`${contender.name} loaded in ${contender.loadSeconds.toFixed(1)} s`);
  await contender.translate(['Hello.']); // warm-up: first-run allocations out of the timings
  contenders.push(contender);
}
// Engines take turns at each batch size, so load from other processes on the machine hits both alike.
const best = new Map<string, Row>();
for (let round = 0; round < REPEAT; round++) {
  for (const batch of BATCHES) {
    // Alternate who goes first, so neither always runs right after the other's allocations.
    for (const c of round % 2 === 0 ? contenders : [...contenders].reverse()) {
      const r = row(c.name, batch, await measure(batch, (texts) => c.translate(texts)));
      const key = `${c.name}@${batch}`;
      if (!best.has(key) || r.seconds < best.get(key)!.seconds) best.set(key, r);
    }
  }
}
const rows = [...best.values()];
const peakRssGiB = process.memoryUsage().rss / 2 ** 30;
const maxRssGiB = process.resourceUsage().maxRSS / 2 ** 20;
await Promise.all(contenders.map((c) => c.close()));
const result = {
  benchmark: 'mt',
  model: args.model,
  dtype: DTYPE,
  tokensPerSentence: TOKENS,
  repeat: REPEAT,
  machine: {
    device: args.device,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  loadSeconds: Object.fromEntries(contenders.map((c) => [c.name, c.loadSeconds])),
  rssGiBBothLoaded: peakRssGiB,
  peakRssGiB: maxRssGiB,
  rows,
};
const outDir = join(import.meta.dirname, 'results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `mt-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `\nNLLB (${args.model} shape, ${DTYPE}, random weights, ${TOKENS} tokens max per sentence, ${result.machine.cores} × ${result.machine.cpu})\n`,
);
console.log(table(rows));
console.log(
  `\nload: ${contenders.map((c) => `${c.name} ${c.loadSeconds.toFixed(1)} s`).join(', ')}; RSS with ${contenders.length === 1 ? 'it' : 'both'} loaded ${peakRssGiB.toFixed(1)} GiB, peak ${maxRssGiB.toFixed(1)} GiB — JSON: ${file}`,
);
