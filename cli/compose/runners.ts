/**
 * Starts a runner of a role on a set of drivers: loads its engine, runs the loop, and sends heartbeats saying
 * what it can do. Standalone runners (`earshot runner`) also serve /health, /health/full and /metrics.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Drivers } from '../../shared/queue/drivers.ts';
import type { RunnerInfo } from '../../shared/queue/runner-registry.ts';
import { KNOWN_LANGUAGES } from '../../shared/languages.ts';
import { createMtEngine, createSttEngine } from '../../gpu-runners/engines/registry.ts';
import { moonshineModel } from '../../gpu-runners/engines/moonshine-onnx/names.ts';
import { guardFromConfig } from '../../gpu-runners/guard/from-config.ts';
import type { MtEngine, SttEngine } from '../../gpu-runners/engines/types.ts';
import { MtRunner } from '../../gpu-runners/mt-runner.ts';
import { SttRunner } from '../../gpu-runners/stt-runner.ts';
import { startStreamingLane, type StreamingLane } from '../../gpu-runners/streaming/start-lane.ts';
import { TtsRunner } from '../../gpu-runners/tts-runner.ts';
import { createTtsEngine } from '../../gpu-runners/tts/registry.ts';
import type { TtsEngine } from '../../gpu-runners/tts/types.ts';
import { MfccSpeakerEmbedder, type SpeakerEmbedder } from '../../gpu-runners/diarization/embedder.ts';
import { WavlmOnnxEmbedder } from '../../gpu-runners/diarization/wavlm-onnx.ts';
import { parseDevice } from '../../gpu-runners/backend/onnx.ts';

const HEARTBEAT_MS = 2000;

/** The speaker embedder of STT runners (diarization), or null when it is off. */
function speakerEmbedder(config: Config): SpeakerEmbedder | null {
  const threshold = config.speakerThreshold || undefined;
  switch (config.diarization) {
    case 'off':
      return null;
    case 'wavlm-onnx':
      if (!config.diarizationModel)
        throw new Error('EARSHOT_DIARIZATION=wavlm-onnx needs EARSHOT_DIARIZATION_MODEL (a model directory)');
      return new WavlmOnnxEmbedder({ dir: config.diarizationModel, threshold, device: parseDevice(config.device) });
    case 'mfcc':
      return new MfccSpeakerEmbedder(threshold);
  }
}

export interface StartedRunner {
  id: string;
  role: 'stt' | 'mt' | 'tts';
  runner: SttRunner | MtRunner | TtsRunner;
  info(): RunnerInfo;
  /** Finishes the batch in hand, then stops. */
  close(): Promise<void>;
}

export interface RunnerEngines {
  stt?: SttEngine;
  mt?: MtEngine | null;
  tts?: TtsEngine | null;
}

export async function startRunner(
  role: 'stt' | 'mt' | 'tts',
  config: Config,
  logger: Logger,
  drivers: Drivers,
  engines: RunnerEngines = {},
): Promise<StartedRunner> {
  const id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const log = logger.child({ runnerId: id });
  let runner: SttRunner | MtRunner | TtsRunner;
  let describe: () => Partial<RunnerInfo>;
  let closeEngine: () => Promise<void>;
  let lane: StreamingLane | null = null;

  if (role === 'stt') {
    const guard = await guardFromConfig(config); // before the engine loads: a bad blocklist file fails fast
    const engine = engines.stt ?? createSttEngine(config, log);
    if (!engines.stt) await engine.load();
    const embedder = speakerEmbedder(config);
    await embedder?.load();
    const options = {
      queue: drivers.sttQueue,
      mtQueue: config.mt === 'none' ? null : drivers.mtQueue,
      results: drivers.results,
      engine,
      logger: log,
      batchSize: config.sttBatchSize,
      maxWaitMs: config.sttMaxWaitMs,
      defaultLanguage: engine.languages[0] ?? 'en',
      failJobs: config.faultSttFail ? new RegExp(config.faultSttFail) : undefined,
      translatePartials: config.translatePartials,
      twoPass: config.sttTwoPass,
      window: config.sttWindow,
      refineMaxAgeMs: config.sttRefineMaxAgeMs,
      queueBudgetMs: config.catchUp === 'on' ? config.budgetQueueMs : undefined,
      guard,
      embedder,
    };
    // The streaming lane when asked for and the engine streams; otherwise (and for everything else) the stateless lane.
    lane =
      config.sttLane !== 'stateless' ? await startStreamingLane({ id, engine, drivers, options, logger: log }) : null;
    if (config.sttLane === 'streaming' && !lane)
      log.warn({ engine: engine.name }, 'the engine does not stream: this runner serves the stateless lane only');
    runner = lane?.shared ?? new SttRunner(options);
    // The default language first: distributed edges take the first as the default of sessions naming none.
    describe = () => ({
      engine: engine.name,
      languages: [...new Set([...(engine.defaultLanguage ? [engine.defaultLanguage] : []), ...engine.languages])],
      ...(engine.name === 'whisper-onnx'
        ? { model: config.sttModel }
        : engine.name === 'moonshine-onnx'
          ? { model: moonshineModel(config.sttModel) }
          : {}),
    });
    closeEngine = async () => {
      await embedder?.close();
      if (!engines.stt) await engine.close();
    };
  } else if (role === 'tts') {
    const engine = engines.tts ?? createTtsEngine(config);
    if (!engine) throw new Error('a TTS runner needs a voice (EARSHOT_TTS is "none", or espeak-ng is not installed)');
    if (!engines.tts) await engine.load();
    runner = new TtsRunner({
      queue: drivers.ttsQueue,
      results: drivers.results,
      engine,
      logger: log,
      batchSize: 4,
      maxWaitMs: 0,
    });
    describe = () => ({ engine: engine.name, languages: [...engine.languages] });
    closeEngine = () => (engines.tts ? Promise.resolve() : engine.close());
  } else {
    const engine = engines.mt ?? createMtEngine(config, log);
    if (!engine) throw new Error('an MT runner needs an MT engine (EARSHOT_MT is "none")');
    if (!engines.mt) await engine.load();
    // Spoken translations are queued only where a voice is configured (`earshot all` with one, or `--role tts` runners).
    const ttsQueue = config.tts === 'none' ? null : drivers.ttsQueue;
    runner = new MtRunner({
      queue: drivers.mtQueue,
      results: drivers.results,
      engine,
      logger: log,
      batchSize: 16,
      maxWaitMs: 0,
      ttsQueue,
      maxTtsWaiting: config.ttsMaxQueue,
    });
    const pairs = KNOWN_LANGUAGES.flatMap((s) =>
      KNOWN_LANGUAGES.filter((t) => t !== s && engine.supports(s, t)).map((t) => `${s}-${t}`),
    );
    describe = () => ({
      engine: engine.name,
      pairs,
      ...(engine.name === 'nllb-onnx' ? { model: config.mtModel } : {}),
    });
    closeEngine = () => (engines.mt ? Promise.resolve() : engine.close());
  }

  const startedAt = Date.now();
  const info = (): RunnerInfo => ({
    id,
    role,
    engine: '',
    ...describe(),
    ...(lane?.streams() ? { streams: lane.streams() } : {}),
    startedAt,
    processed: runner.processed + (lane?.own.processed ?? 0),
    failed: runner.failed + (lane?.own.failed ?? 0),
    state: runner.state,
    at: Date.now(),
  });
  const beat = () =>
    drivers.runners
      .beat(info(), HEARTBEAT_MS * 3)
      .then(() => lane?.reclaim())
      .catch((err: unknown) => log.debug({ err }, 'heartbeat failed'));
  runner.start();
  lane?.own.start();
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_MS);
  heartbeat.unref();
  log.info({ role, ...describe(), pairs: undefined }, 'runner started');

  return {
    id,
    role,
    runner,
    info,
    async close() {
      clearInterval(heartbeat);
      // Edges stop binding sessions here at once, rather than when the heartbeat expires.
      if (lane) await drivers.runners.beat({ ...info(), state: 'stopping' }, HEARTBEAT_MS * 3).catch(() => undefined);
      await lane?.close();
      await runner.stop();
      await closeEngine();
      log.info({ processed: runner.processed, failed: runner.failed }, 'runner stopped');
    },
  };
}
