/**
 * The pipeline under test, in its own process (so its CPU and memory are its own and the load generator's event
 * loop is not blocked by the engine): the embedded server's parts (edge, in-process queue, STT runner, optional MT
 * runner) assembled here so the benchmark can switch scheduler features off and swap the engine for the baseline.
 *
 * Started by bench/load.ts with `--serve JSON` and an IPC channel: it sends `{type:'ready', url}`, answers
 * `{type:'stats'}` with its CPU, memory and engine counters, and exits on `{type:'close'}`.
 */
import { availableParallelism } from 'node:os';
import { loadConfig } from '../../shared/config.ts';
import { metrics } from '../../shared/metrics.ts';
import { sttUrgency } from '../../shared/queue/jobs.ts';
import { silentLogger } from '../../shared/logger.ts';
import { MemoryQueue } from '../../shared/queue/memory-queue.ts';
import type { SttJob } from '../../shared/queue/jobs.ts';
import { driversFor } from '../../cli/embedded.ts';
import { startEdge } from '../../edge/adapters/node/edge.ts';
import { startRunner } from '../../cli/compose/runners.ts';
import { createMtEngine, createSttEngine } from '../../gpu-runners/engines/registry.ts';
import type { SttEngine, SttRequest, SttResult, SttStream, SttStreaming } from '../../gpu-runners/engines/types.ts';
import { MoonshineOnnxEngine } from '../../gpu-runners/engines/moonshine-onnx/engine.ts';
import { WhisperOnnxEngine } from '../../gpu-runners/engines/whisper-onnx/engine.ts';
import { LayeredModelStore } from '../../gpu-runners/models/model-store.ts';
import { TransformersJsEngine } from './transformers-engine.ts';

export interface ServeOptions {
  /** `sphinx`, or a Whisper or Moonshine model directory. */
  stt: 'sphinx' | { dir: string; engine: 'whisper-onnx' | 'moonshine-onnx' };
  /** earshot's engine, or the baseline (transformers.js pipeline, one utterance per call). */
  engine: 'earshot' | 'baseline';
  batchSize: number;
  maxWaitMs: number;
  /** Finals ahead of partials in the STT queue. */
  priority: boolean;
  /** A newer partial snapshot of a session replaces its queued older one. */
  latestWins: boolean;
  partialIntervalMs: number;
  /** Token budget per utterance (every engine; Moonshine's tokens-per-second brake may stop it sooner). */
  maxNewTokens: number;
  device: string;
  /** `none`, `apertium`, or an NLLB model directory. */
  mt: 'none' | 'apertium' | { dir: string };
  /** The hallucination guard: random-weight models need it off, or it withholds their (meaningless) text. */
  guard: 'on' | 'off';
  /** earshot's encoder window policy (`--stt-window`). */
  window: 'fit' | 'full' | 'auto';
  /** Threads per operator (`--stt-threads`); 0: os.availableParallelism(). */
  threads: number;
  /** How live sessions reach the runner (`--lane`): stateless jobs, or the streaming lane's decoder states. */
  lane: 'stateless' | 'streaming';
}

export interface EngineCounters {
  batches: number;
  jobs: number;
  finals: number;
  partials: number;
  busySeconds: number;
  /** Of `busySeconds`, the engine calls on second passes (job ids ending `:refine`), finished or abandoned. */
  secondPassBusySeconds: number;
  maxBatch: number;
}

/** What the pipeline promised and did: utterances the edge queued, second passes queued and their fate. */
export interface PipelineCounters {
  utterances: number;
  /** Finals (first passes) whose engine output was empty with nothing withheld: the engine heard no words. */
  heardNothing: number;
  secondPasses: { queued: number; changed: number; unchanged: number; skipped: number };
}

export interface ServerStats {
  counters: PipelineCounters;
  cpu: NodeJS.CpuUsage;
  rssBytes: number;
  maxRssBytes: number;
  heapUsedBytes: number;
  engine: EngineCounters;
}

/** Counts what the runner hands the engine: batch sizes, kinds, engine time. */
class CountingEngine implements SttEngine {
  readonly counters: EngineCounters = {
    batches: 0,
    jobs: 0,
    finals: 0,
    partials: 0,
    busySeconds: 0,
    secondPassBusySeconds: 0,
    maxBatch: 0,
  };
  heardNothing = 0;
  constructor(private readonly inner: SttEngine) {}
  get name() {
    return this.inner.name;
  }
  get languages() {
    return this.inner.languages;
  }
  get fitsWindows() {
    return this.inner.fitsWindows;
  }
  /** The streaming lane's calls count as engine time too: each feed, hypothesis, finish and whole decode. */
  #streaming: SttStreaming | undefined;
  get streaming(): SttStreaming | undefined {
    if (this.inner.streaming) this.#streaming ??= countingStreams(this.inner.streaming, this);
    return this.#streaming;
  }
  load() {
    return this.inner.load();
  }
  close() {
    return this.inner.close();
  }
  async transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]> {
    const c = this.counters;
    const started = performance.now();
    try {
      const results = await this.inner.transcribe(batch, signal);
      // A first-pass final (job ids of second passes end in `:refine`) with no words at all, not even withheld ones.
      this.heardNothing += results.filter(
        (r, i) => !batch[i]!.partial && !batch[i]!.id.endsWith(':refine') && !r.text.trim() && !r.withheld,
      ).length;
      return results;
    } finally {
      c.busySeconds += (performance.now() - started) / 1000;
      if (batch.some((r) => r.id.endsWith(':refine'))) c.secondPassBusySeconds += (performance.now() - started) / 1000;
      c.batches += 1;
      c.jobs += batch.length;
      c.partials += batch.filter((r) => r.partial).length;
      c.finals += batch.filter((r) => !r.partial).length;
      c.maxBatch = Math.max(c.maxBatch, batch.length);
    }
  }
}

function countingStreams(inner: SttStreaming, engine: CountingEngine): SttStreaming {
  const c = engine.counters;
  const timed = async <T>(work: Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await work;
    } finally {
      c.busySeconds += (performance.now() - started) / 1000;
      c.batches += 1;
      c.jobs += 1;
      c.maxBatch = Math.max(c.maxBatch, 1);
    }
  };
  const final = (text: string) => {
    c.finals += 1;
    if (!text.trim()) engine.heardNothing += 1;
    return text;
  };
  return {
    get maxStreams() {
      return inner.maxStreams;
    },
    get held() {
      return inner.held;
    },
    get loaded() {
      return inner.loaded;
    },
    load: () => inner.load(),
    close: () => inner.close(),
    decode: async (pcm) => final(await timed(inner.decode(pcm))),
    open: async () => {
      const stream = await inner.open();
      if (!stream) return null;
      const counted: SttStream = {
        get fed() {
          return stream.fed;
        },
        feed: (pcm) => timed(stream.feed(pcm)),
        hypothesis: async () => {
          c.partials += 1;
          return timed(stream.hypothesis());
        },
        finish: async () => final(await timed(stream.finish())),
        close: () => stream.close(),
      };
      return counted;
    },
  };
}

export async function serve(
  o: ServeOptions,
): Promise<{ url: string; stats(): Promise<ServerStats>; close(): Promise<void> }> {
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    EARSHOT_STT: o.stt === 'sphinx' ? 'sphinx' : o.stt.engine,
    EARSHOT_MT: o.mt === 'none' ? 'none' : o.mt === 'apertium' ? 'apertium' : 'nllb-onnx',
    ...(typeof o.mt === 'object' ? { EARSHOT_MT_MODEL: o.mt.dir, EARSHOT_MT_DEVICE: o.device } : {}),
    EARSHOT_STT_BATCH: String(o.batchSize),
    EARSHOT_STT_MAX_WAIT_MS: String(o.maxWaitMs),
    EARSHOT_PARTIAL_INTERVAL_MS: String(o.partialIntervalMs),
    EARSHOT_MAX_SESSIONS: '1000',
    EARSHOT_IDLE_TIMEOUT_MS: '600000',
    EARSHOT_MODEL_HUB: '',
    EARSHOT_HALLUCINATION_GUARD: o.guard,
    EARSHOT_STT_WINDOW: o.window,
    EARSHOT_STT_THREADS: String(o.threads),
    EARSHOT_STT_LANE: o.lane,
  });
  const logger = silentLogger;
  let inner: SttEngine;
  if (o.stt === 'sphinx') inner = createSttEngine(config, logger);
  else if (o.engine === 'baseline')
    inner = new TransformersJsEngine(o.stt.dir, o.maxNewTokens, o.device.startsWith('cuda') ? 'cuda' : 'cpu');
  else if (o.stt.engine === 'moonshine-onnx')
    inner = new MoonshineOnnxEngine({
      model: o.stt.dir,
      store: new LayeredModelStore(),
      device: o.device,
      threads: config.sttThreads || availableParallelism(),
      interOpThreads: 1,
      moonshine: { maxNewTokens: o.maxNewTokens },
      logger,
    });
  else
    inner = new WhisperOnnxEngine({
      model: o.stt.dir,
      store: new LayeredModelStore(),
      device: o.device,
      threads: config.sttThreads || availableParallelism(),
      interOpThreads: 1,
      // The same work as the baseline's pipeline call: greedy at temperature 0 only, no timestamps, no prompt.
      whisper: {
        language: 'en',
        timestamps: false,
        temperatures: [0],
        maxNewTokens: o.maxNewTokens,
        conditionOnPreviousText: false,
      },
      logger,
    });
  const engine = new CountingEngine(inner);
  const mtEngine = createMtEngine(config, logger);
  await Promise.all([engine.load(), mtEngine?.load()]);

  const base = driversFor(config, logger);
  const sttQueue = new MemoryQueue<SttJob>({
    urgency: o.priority ? sttUrgency : undefined,
    coalesceKey: o.latestWins ? (job) => (job.kind === 'partial' ? job.session : undefined) : undefined,
    attempts: config.sttMaxAttempts,
  });
  const utterances = new Set<string>();
  let secondPassesQueued = 0;
  const enqueue = sttQueue.add.bind(sttQueue);
  sttQueue.add = (job: SttJob) => {
    if (job.kind === 'final') utterances.add(job.id);
    if (job.kind === 'refine') secondPassesQueued += 1;
    return enqueue(job);
  };
  const revisions = async () => {
    const values = (await metrics.sttRevisions.get()).values;
    const count = (changed: string) =>
      values.filter((v) => v.labels.changed === changed).reduce((n, v) => n + v.value, 0);
    return { queued: secondPassesQueued, changed: count('true'), unchanged: count('false'), skipped: count('skipped') };
  };
  // The streaming lane's finals go to the runner's own queue: count them there too.
  const streamQueue = base.streams.queue.bind(base.streams);
  const streams = Object.assign(Object.create(base.streams) as typeof base.streams, {
    queue: (runner: string) => {
      const queue = streamQueue(runner);
      return {
        add: (job: SttJob) => (job.kind === 'final' && utterances.add(job.id), queue.add(job)),
        take: (max: number, signal?: AbortSignal) => queue.take(max, signal),
        complete: (job: SttJob) => queue.complete(job),
        fail: (job: SttJob, error: Parameters<typeof queue.fail>[1]) => queue.fail(job, error),
        stats: () => queue.stats(),
        close: () => queue.close(),
      };
    },
    reclaim: base.streams.reclaim.bind(base.streams),
    runners: base.streams.runners.bind(base.streams),
    close: base.streams.close.bind(base.streams),
  });
  const drivers = { ...base, sttQueue, streams, close: async () => (await sttQueue.close(), await base.close()) };
  const stt = await startRunner('stt', config, logger, drivers, { stt: engine });
  const mt = mtEngine ? await startRunner('mt', config, logger, drivers, { mt: mtEngine }) : null;
  const edge = await startEdge({
    config,
    logger,
    drivers,
    capabilities: {
      sttLanguages: engine.languages,
      defaultLanguage: engine.languages[0] ?? 'en',
      translates: (s, t) => mtEngine?.supports(s, t) ?? false,
    },
  });
  return {
    url: `${edge.server.url.replace('http', 'ws')}/v1/realtime`,
    stats: async () => {
      const m = process.memoryUsage();
      return {
        counters: { utterances: utterances.size, heardNothing: engine.heardNothing, secondPasses: await revisions() },
        cpu: process.cpuUsage(),
        rssBytes: m.rss,
        heapUsedBytes: m.heapUsed,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        engine: { ...engine.counters },
      };
    },
    async close() {
      await edge.close(0);
      await stt.close();
      await mt?.close();
      await drivers.close();
      await Promise.all([engine.close(), mtEngine?.close()]);
    },
  };
}

/** Child-process entry: `tsx bench/load/server.ts JSON`, with an IPC channel. */
if (process.argv[1]?.endsWith('server.ts') && process.send) {
  const server = await serve(JSON.parse(process.argv[2]!) as ServeOptions);
  process.send({ type: 'ready', url: server.url });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') void server.stats().then((stats) => process.send!({ type: 'stats', stats }));
    if (m.type === 'close') void server.close().finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}
