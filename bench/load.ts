/**
 * `npm run bench:load`: the whole real-time pipeline under load. Opens N concurrent sessions that stream real speech
 * (pocketsphinx-testdata's librivox recordings and espeak-ng sentences, looped, each session from its own offset)
 * paced at real time, and measures what users feel: end of speech → final latency (end of speech = the wall time
 * the client sent the audio at the final's `end`; it includes the VAD's silence wait), time to the first partial
 * after speech onset, the interval between partials; and what it costs: real-time factor (engine seconds per audio
 * second), CPU and RSS of the pipeline process per session, queue depth over time (/health/full, every second),
 * errors. Prints a table, writes JSON and an SVG chart (latency percentiles against sessions) under bench/results/.
 *
 *   npm run bench:load -- --sessions 1,2,4 --model whisper-tiny [--duration 20] [--baseline]
 *   npm run bench:load -- --model whisper-base --capacity --bound-ms 1000 --baseline
 *   npm run bench:load -- --model whisper-tiny --sessions 4 --ablate          # each scheduler feature off in turn
 *   npm run bench:load -- --url ws://host:8080/v1/realtime --sessions 8        # a running deployment
 *
 * --model: `sphinx`, `whisper-tiny`, `whisper-base`, `whisper-large-v3`, `moonshine-tiny`, `moonshine-base`
 * (random-weight models of those shapes from the fixture factories: same compute, meaningless text) or a Whisper or
 * Moonshine model directory; a comma-separated list runs each in turn, side by side in one table and chart:
 *   npm run bench:load -- --model moonshine-tiny,moonshine-base,whisper-tiny,whisper-base --capacity --bound-ms 1200 --partial-bound-ms 1000
 * Each run starts a fresh pipeline in a child process (bench/load/server.ts) so its CPU and memory are its own.
 * --baseline adds the naive design beside earshot: each utterance alone through the transformers.js pipeline
 * (runner batch 1), a FIFO queue (no finals-first, no latest-wins partials).
 * --no-batching (runner batch 1), --no-priority, --no-latest-wins switch earshot's scheduler features off.
 * --stt-window fit|full|auto and --stt-threads N set earshot's encoder window policy and threads (as the server's).
 * --guard on|off: the hallucination guard. Default off for the random-weight models (it would withhold their
 * meaningless text and leave nothing to time) and on otherwise; the output says which.
 *
 * A benchmark that measured nothing must not look like a result: the run exits 1, saying why, when a contender
 * delivers no finals, fewer finals than the utterances the edge queued (less those in which the engine heard no
 * words at all, e.g. sphinx on a trailing breath), or any error (the files are still written).
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { corpus } from './load/corpus.ts';
import { runSession, type SessionRecord } from './load/session.ts';
import { summarize, svgChart, table, type RunResult } from './load/report.ts';
import type { ServeOptions, ServerStats } from './load/server.ts';

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '1' },
    model: { type: 'string', default: 'sphinx' },
    url: { type: 'string' },
    duration: { type: 'string', default: '20' },
    capacity: { type: 'boolean', default: false },
    'bound-ms': { type: 'string', default: '1000' },
    'partial-bound-ms': { type: 'string' },
    'max-sessions': { type: 'string', default: '64' },
    baseline: { type: 'boolean', default: false },
    'baseline-only': { type: 'boolean', default: false },
    ablate: { type: 'boolean', default: false },
    'no-batching': { type: 'boolean', default: false },
    'no-priority': { type: 'boolean', default: false },
    'no-latest-wins': { type: 'boolean', default: false },
    'stt-batch': { type: 'string', default: '8' },
    'max-wait-ms': { type: 'string', default: '0' },
    'partial-interval-ms': { type: 'string', default: '700' },
    'max-new-tokens': { type: 'string', default: '24' },
    device: { type: 'string', default: process.env.EARSHOT_DEVICE ?? 'cpu' },
    mt: { type: 'string', default: 'none' },
    targets: { type: 'string', default: '' },
    out: { type: 'string', default: 'bench/results' },
    name: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    guard: { type: 'string' },
    'stt-window': { type: 'string', default: 'auto' },
    'stt-threads': { type: 'string', default: '0' },
    lane: { type: 'string', default: 'stateless' },
  },
});

const MODELS = args.model
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean);
const RANDOM_WEIGHTS = MODELS.every((m) => /^(whisper|moonshine)-/.test(m));
const GUARD = (args.guard ?? (RANDOM_WEIGHTS ? 'off' : 'on')) as 'on' | 'off';
if (GUARD !== 'on' && GUARD !== 'off') throw new Error(`--guard must be on or off, got ${GUARD}`);
const WINDOW = args['stt-window'] as 'fit' | 'full' | 'auto';
if (!['fit', 'full', 'auto'].includes(WINDOW)) throw new Error(`--stt-window must be fit, full or auto, got ${WINDOW}`);

const LANES = args.lane.split(',') as ('stateless' | 'streaming')[];
if (LANES.some((l) => l !== 'stateless' && l !== 'streaming'))
  throw new Error(`--lane must be stateless, streaming or both (comma-separated), got ${args.lane}`);
const DURATION = Number(args.duration);
const BOUND_MS = Number(args['bound-ms']);
const PARTIAL_BOUND_MS = args['partial-bound-ms'] === undefined ? undefined : Number(args['partial-bound-ms']);
const PREROLL_S = 0.3;
const progress = (message: string) => {
  if (!args.quiet) process.stderr.write(`[bench:load ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
};

interface Contender {
  label: string;
  model: string;
  contender: RunResult['contender'];
  serve: ServeOptions | null;
}

async function modelDir(model: string): Promise<ServeOptions['stt']> {
  if (model === 'sphinx') return 'sphinx';
  if (model.startsWith('whisper-')) {
    const { whisperFixture } = await import('../test/fixtures/whisper/write-model.ts');
    progress(`${model}: generating the random-weight model (cached after the first run)`);
    return { dir: whisperFixture(model as 'whisper-tiny'), engine: 'whisper-onnx' };
  }
  if (model.startsWith('moonshine-')) {
    const { moonshineFixture } = await import('../test/fixtures/moonshine/write-model.ts');
    progress(`${model}: generating the random-weight model (cached after the first run)`);
    return { dir: moonshineFixture(model as 'moonshine-tiny'), engine: 'moonshine-onnx' };
  }
  const dir = isAbsolute(model) ? model : resolve(model);
  const type = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { model_type?: string }).model_type;
  return { dir, engine: type === 'moonshine' ? 'moonshine-onnx' : 'whisper-onnx' };
}

async function mtOption(mt: string): Promise<ServeOptions['mt']> {
  if (mt === 'none' || mt === 'apertium') return mt;
  if (mt === 'nllb-600M') {
    const { nllbFixture } = await import('../test/fixtures/models/nllb-fixture.ts');
    progress('nllb-600M: generating the random-weight model (cached after the first run; 3.4 GB)');
    return { dir: nllbFixture('nllb-600M') };
  }
  return { dir: resolve(mt) };
}

async function contenders(): Promise<Contender[]> {
  if (args.url) return [{ label: 'remote', model: 'remote', contender: 'remote', serve: null }];
  const list: Contender[] = [];
  for (const model of MODELS) list.push(...(await contendersOf(model, MODELS.length > 1 ? ` ${model}` : '')));
  return list;
}

async function contendersOf(model: string, suffix: string): Promise<Contender[]> {
  const stt = await modelDir(model);
  const mt = await mtOption(args.mt);
  const base = {
    stt,
    engine: 'earshot' as const,
    batchSize: args['no-batching'] ? 1 : Number(args['stt-batch']),
    maxWaitMs: Number(args['max-wait-ms']),
    priority: !args['no-priority'],
    latestWins: !args['no-latest-wins'],
    partialIntervalMs: Number(args['partial-interval-ms']),
    maxNewTokens: Number(args['max-new-tokens']),
    device: args.device,
    mt,
    guard: GUARD,
    window: WINDOW,
    threads: Number(args['stt-threads']),
    lane: LANES[0]!,
  };
  const off = [
    args['no-batching'] && 'no batching',
    args['no-priority'] && 'no priority',
    args['no-latest-wins'] && 'no latest-wins',
  ].filter(Boolean);
  const list: Contender[] = [];
  if (!args['baseline-only']) {
    // One contender per lane asked for; a lane is named only when the run compares lanes or is not the default.
    for (const lane of LANES) {
      const named = [...off, ...(LANES.length > 1 || lane !== 'stateless' ? [`${lane} lane`] : [])];
      list.push({
        label: `earshot${suffix}${named.length ? ` (${named.join(', ')})` : ''}`,
        model,
        contender: 'earshot',
        serve: { ...base, lane },
      });
    }
  }
  if (args.ablate) {
    list.push({
      label: `earshot${suffix} (no batching)`,
      model,
      contender: 'earshot',
      serve: { ...base, batchSize: 1 },
    });
    list.push({
      label: `earshot${suffix} (no priority)`,
      model,
      contender: 'earshot',
      serve: { ...base, priority: false },
    });
    list.push({
      label: `earshot${suffix} (no latest-wins)`,
      model,
      contender: 'earshot',
      serve: { ...base, latestWins: false },
    });
  }
  if (args.baseline || args['baseline-only']) {
    if (stt === 'sphinx' || stt.engine !== 'whisper-onnx') {
      if (MODELS.length > 1) return list;
      throw new Error('--baseline needs a Whisper model (--model whisper-tiny, whisper-base or a directory)');
    }
    list.push({
      label: `baseline${suffix} (transformers.js, 1 utterance per call)`,
      model,
      contender: 'baseline',
      serve: { ...base, engine: 'baseline', batchSize: 1, maxWaitMs: 0, priority: false, latestWins: false },
    });
  }
  return list;
}

interface Pipeline {
  url: string;
  stats(): Promise<ServerStats | null>;
  close(): Promise<void>;
}

/** A fresh pipeline in a child process. */
function startPipeline(options: ServeOptions): Promise<Pipeline> {
  return new Promise((resolveStart, reject) => {
    const child = fork(join(import.meta.dirname, 'load/server.ts'), [JSON.stringify(options)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const waiting: ((s: ServerStats) => void)[] = [];
    child.on('message', (m: { type: string; url?: string; stats?: ServerStats }) => {
      if (m.type === 'ready') {
        resolveStart({
          url: m.url!,
          stats: () =>
            new Promise((r) => (child.connected ? (waiting.push(r), child.send({ type: 'stats' })) : r(null as never))),
          close: () =>
            new Promise((r) => {
              const kill = setTimeout(() => child.kill('SIGKILL'), 15000);
              child.once('exit', () => (clearTimeout(kill), r()));
              child.send({ type: 'close' });
            }),
        });
      } else if (m.type === 'stats') waiting.shift()?.(m.stats!);
    });
    child.once('exit', (code) => reject(new Error(`pipeline process exited (${code}) before it was ready`)));
  });
}

async function queueDepth(url: string): Promise<{ stt: number; mt: number } | null> {
  try {
    const res = await fetch(`${url.replace(/^ws/, 'http').replace(/\/v1\/realtime.*$/, '')}/health/full`, {
      signal: AbortSignal.timeout(2000),
    });
    const body = (await res.json()) as {
      components?: {
        queue?: { stt?: { waiting: number; active: number } | null; mt?: { waiting: number; active: number } | null };
      };
    };
    const q = body.components?.queue;
    return { stt: (q?.stt?.waiting ?? 0) + (q?.stt?.active ?? 0), mt: (q?.mt?.waiting ?? 0) + (q?.mt?.active ?? 0) };
  } catch {
    return null;
  }
}

async function measure(c: Contender, sessions: number): Promise<RunResult> {
  const label = `${c.label} N=${sessions}`;
  const pipeline = c.serve ? await startPipeline(c.serve) : null;
  const url = pipeline?.url ?? args.url!;
  const loopSeconds = corpus().pcm.length / 16000;
  const before = await pipeline?.stats();
  const depth: RunResult['queueDepth'] = [];
  const records: SessionRecord[] = [];
  const started = performance.now();
  progress(`${label}: streaming ${DURATION} s of speech per session at real time`);
  let printed = 0;
  const sampler = setInterval(() => {
    void queueDepth(url).then((d) => {
      const t = +((performance.now() - started) / 1000).toFixed(1);
      if (d) depth.push({ t, ...d });
      if (Math.floor(t / 5) > printed) {
        printed = Math.floor(t / 5);
        progress(`${label}: t=${Math.round(t)} s, stt queue (waiting + in work) ${d?.stt ?? '?'}`);
      }
    });
  }, 1000);
  const runs = Array.from({ length: sessions }, async (_, index) => {
    // Spread the starts over the first second and the offsets over the loop, like independent speakers.
    await new Promise((r) => setTimeout(r, (index * 1000) / sessions));
    const record = await runSession({
      url,
      index,
      seconds: DURATION,
      offsetSeconds: (index * loopSeconds) / sessions + index * 0.37,
      prerollSeconds: PREROLL_S,
      drainMs: Math.max(30000, DURATION * 3000),
      targets: args.targets ? args.targets.split(',') : [],
    });
    records.push(record);
    return record;
  });
  await Promise.all(runs);
  clearInterval(sampler);
  const wallSeconds = (performance.now() - started) / 1000;
  const after = await pipeline?.stats();
  await pipeline?.close();

  const all = (pick: (r: SessionRecord) => number[]) => records.flatMap(pick);
  const errors: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  const audioSeconds = sessions * DURATION;
  const cpuCores =
    before && after
      ? (after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system) / 1e6 / wallSeconds
      : null;
  const engine = before && after ? diffEngine(before, after) : null;
  const result: RunResult = {
    label,
    contender: c.contender,
    model: args.url ? 'remote' : c.model,
    ...(c.serve && c.contender === 'earshot' ? { lane: c.serve.lane } : {}),
    features: c.serve
      ? {
          batching: c.serve.batchSize > 1,
          priority: c.serve.priority,
          latestWins: c.serve.latestWins,
          batchSize: c.serve.batchSize,
          maxWaitMs: c.serve.maxWaitMs,
        }
      : { batching: true, priority: true, latestWins: true, batchSize: 0, maxWaitMs: 0 },
    sessions,
    audioSecondsPerSession: DURATION,
    wallSeconds: +wallSeconds.toFixed(1),
    endOfSpeechToFinalMs: summarize(all((r) => r.finalLatencies)),
    firstPartialMs: summarize(all((r) => r.firstPartial)),
    partialIntervalMs: summarize(all((r) => r.partialIntervals)),
    finals: records.reduce((n, r) => n + r.finals, 0),
    utterances: after?.counters.utterances ?? null,
    heardNothing: after?.counters.heardNothing ?? null,
    corrections: records.reduce((n, r) => n + r.corrections, 0),
    secondPasses: after?.counters.secondPasses ?? null,
    partials: records.reduce((n, r) => n + r.partials, 0),
    realTimeFactor: engine ? +(engine.busySeconds / audioSeconds).toFixed(3) : null,
    // The same without second passes: what first passes (partials and finals) cost.
    realTimeFactorFirstPasses: engine
      ? +((engine.busySeconds - (engine.secondPassBusySeconds ?? 0)) / audioSeconds).toFixed(3)
      : null,
    cpuCoresTotal: cpuCores === null ? null : +cpuCores.toFixed(3),
    cpuCoresPerSession: cpuCores === null ? null : +(cpuCores / sessions).toFixed(4),
    rssMbIdle: before ? +(before.rssBytes / 2 ** 20).toFixed(1) : null,
    rssMbPeak: after ? +(after.maxRssBytes / 2 ** 20).toFixed(1) : null,
    rssMbPerSession: before && after ? +((after.maxRssBytes - before.rssBytes) / 2 ** 20 / sessions).toFixed(1) : null,
    engine,
    queueDepth: depth,
    maxQueueDepth: Math.max(0, ...depth.map((d) => d.stt)),
    errors,
    sessionsCompleted: records.filter((r) => r.completed).length,
  };
  const l = result.endOfSpeechToFinalMs;
  progress(
    `${label}: ${result.finals} finals of ${result.utterances ?? '?'} utterances, ${result.corrections} corrections, end of speech → final p50 ${l.p50} / p95 ${l.p95} / p99 ${l.p99} ms, RTF ${result.realTimeFactor ?? '–'}, errors ${JSON.stringify(errors)}`,
  );
  return result;
}

function diffEngine(before: ServerStats, after: ServerStats): NonNullable<RunResult['engine']> {
  const a = after.engine;
  const b = before.engine;
  const batches = a.batches - b.batches;
  const jobs = a.jobs - b.jobs;
  return {
    batches,
    jobs,
    finals: a.finals - b.finals,
    partials: a.partials - b.partials,
    meanBatch: batches ? +(jobs / batches).toFixed(2) : 0,
    maxBatch: a.maxBatch,
    busySeconds: +(a.busySeconds - b.busySeconds).toFixed(2),
    secondPassBusySeconds: +((a.secondPassBusySeconds ?? 0) - (b.secondPassBusySeconds ?? 0)).toFixed(2),
  };
}

/** Why a run measured nothing trustworthy; empty when it is sound. */
function problems(r: RunResult): string[] {
  const out: string[] = [];
  if (r.finals === 0) out.push('no finals delivered');
  // An utterance in which the engine heard no words owes no final (sphinx on a breath); one whose text the guard
  // withheld, or that never came back, does.
  else if (r.utterances !== null && r.finals < r.utterances - (r.heardNothing ?? 0))
    out.push(
      `${r.finals} finals for ${r.utterances} utterances queued (${r.heardNothing ?? 0} heard as no words; the rest missing or withheld)`,
    );
  if (Object.keys(r.errors).length > 0) out.push(`errors ${JSON.stringify(r.errors)}`);
  if (r.sessionsCompleted < r.sessions)
    out.push(`${r.sessions - r.sessionsCompleted} of ${r.sessions} sessions did not finish`);
  return out;
}

function capacityTable(
  capacity: Record<
    string,
    {
      largestWithinBound: number;
      steps: { sessions: number; p95: number | null; partialP95?: number | null; within: boolean }[];
    }
  >,
): string {
  const bound = `p95 end of speech → final ≤ ${BOUND_MS} ms${PARTIAL_BOUND_MS === undefined ? '' : ` and first partial ≤ ${PARTIAL_BOUND_MS} ms`}`;
  let out = `| contender | largest N with ${bound} | p95 final / first partial at each N (ms) |\n| --- | --- | --- |\n`;
  for (const [name, cap] of Object.entries(capacity))
    out += `| ${name} | ${cap.largestWithinBound} | ${cap.steps.map((s) => `N=${s.sessions}: ${s.p95 ?? '–'} / ${s.partialP95 ?? '–'}${s.within ? '' : ' ✗'}`).join(', ')} |\n`;
  return out.trimEnd();
}

const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(', ')}`;
  }
};

/** Within the bound: a p95 under it (and a first-partial p95 under --partial-bound-ms when given), every session finished, no errors. */
const withinBound = (r: RunResult) =>
  r.endOfSpeechToFinalMs.p95 !== null &&
  r.endOfSpeechToFinalMs.p95 <= BOUND_MS &&
  (PARTIAL_BOUND_MS === undefined || (r.firstPartialMs.p95 !== null && r.firstPartialMs.p95 <= PARTIAL_BOUND_MS)) &&
  r.sessionsCompleted === r.sessions &&
  Object.keys(r.errors).length === 0;

async function main(): Promise<void> {
  const uptimeAtStart = uptime();
  progress(`machine: ${uptimeAtStart}`);
  progress(
    `hallucination guard ${GUARD}${args.guard ? '' : RANDOM_WEIGHTS ? ' (random weights: their text is meaningless, and the guard would withhold it; --guard on to keep it)' : ''}; encoder window ${WINDOW}`,
  );
  const list = await contenders();
  const results: RunResult[] = [];
  const capacity: Record<
    string,
    {
      largestWithinBound: number;
      steps: { sessions: number; p95: number | null; partialP95: number | null; within: boolean }[];
    }
  > = {};
  for (const c of list) {
    if (args.capacity) {
      const steps: { sessions: number; p95: number | null; partialP95: number | null; within: boolean }[] = [];
      let largest = 0;
      for (let n = 1; n <= Number(args['max-sessions']); n *= 2) {
        const r = await measure(c, n);
        results.push(r);
        const ok = withinBound(r);
        steps.push({ sessions: n, p95: r.endOfSpeechToFinalMs.p95, partialP95: r.firstPartialMs.p95, within: ok });
        if (!ok) break;
        largest = n;
      }
      capacity[c.label] = { largestWithinBound: largest, steps };
      progress(
        `${c.label}: capacity ${largest} sessions within the bound (p95 final ≤ ${BOUND_MS} ms${PARTIAL_BOUND_MS === undefined ? '' : `, first partial ≤ ${PARTIAL_BOUND_MS} ms`})`,
      );
    } else for (const n of args.sessions.split(',').map(Number)) results.push(await measure(c, n));
  }

  const machine = {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadavg1mAtEnd: +loadavg()[0]!.toFixed(2),
    uptimeAtStart,
    uptimeAtEnd: uptime(),
    device: args.device,
  };
  const printed = table(results);
  let out = `\n${printed}\n`;
  if (args.capacity) {
    out += `\n${capacityTable(capacity)}\n`;
  }
  out += `\nmodel ${args.model}${RANDOM_WEIGHTS ? ' (random weights of that shape: same compute, meaningless text)' : ''}; hallucination guard ${GUARD}${GUARD === 'off' ? ' (switched off for this run)' : ''}; encoder window ${WINDOW}; ${DURATION} s of speech per session, paced at real time; token budget ${args['max-new-tokens']} per utterance.\n`;
  out += `RTF: engine seconds per audio second (partials included). CPU and RSS: the pipeline process. Machine: ${JSON.stringify(machine)} (shared with other work: short runs, noisy numbers).\n`;
  process.stdout.write(out);

  mkdirSync(args.out, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name =
    args.name ??
    `load-${args.url ? 'remote' : args.model.replace(/[^\w.-]+/g, '_')}${args.capacity ? '-capacity' : ''}-${stamp}`;
  const json = join(args.out, `${name}.json`);
  const svg = join(args.out, `${name}.svg`);
  const options = { ...args, duration: DURATION, boundMs: BOUND_MS, guard: GUARD, window: WINDOW };
  writeFileSync(
    json,
    `${JSON.stringify({ machine, options, corpus: corpus().pieces, runs: results, capacity: args.capacity ? capacity : undefined, capacityTable: args.capacity ? capacityTable(capacity) : undefined, table: printed }, null, 2)}\n`,
  );
  writeFileSync(
    svg,
    svgChart(results, `${args.model}: end of speech → final vs sessions`, args.capacity ? BOUND_MS : undefined),
  );
  progress(`wrote ${json} and ${svg}`);
  const failed = results.flatMap((r) => problems(r).map((p) => `${r.label}: ${p}`));
  if (failed.length > 0) {
    process.stderr.write(
      `\nbench:load FAILED — these runs measured nothing trustworthy:\n${failed.map((f) => `  - ${f}`).join('\n')}\n`,
    );
    process.exitCode = 1;
  }
}

await main();
