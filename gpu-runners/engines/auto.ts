/**
 * `--stt auto` / `--mt auto` (the defaults): the better engine when its model is on disk or can be fetched, the
 * embedded one otherwise, decided once at start and said in one log line with the reason and the way to the better
 * one. Whisper and NLLB are used when found locally (model dir, Hugging Face cache); else, when a hub or bucket is
 * configured and the hub answers within `hubProbeMs`, they are downloaded now (the progress bar shows it); else
 * pocketsphinx and apertium. An empty hub setting never probes: offline starts at once.
 */
import type { Config } from '../../shared/config.ts';
import type { Logger } from '../../shared/logger.ts';
import { parseDtypeSetting } from '../models/dtype.ts';
import { LayeredModelStore } from '../models/model-store.ts';
import type { ProgressReporter } from '../models/progress.ts';
import { resolveGraphs, type GraphsRequest } from '../models/resolve-graphs.ts';
import { modelStoreFromConfig } from '../models/store-from-config.ts';
import { NLLB_FILES, NLLB_GRAPHS, NLLB_MANIFEST } from './nllb-onnx/engine.ts';
import { WHISPER_FILES, WHISPER_GRAPHS } from './whisper-onnx/model.ts';

export interface AutoChoice {
  engine: string;
  model?: string;
  reason: string;
  /** How to get the better engine, when the embedded one was chosen. */
  better?: string;
}

export interface AutoOptions {
  roles?: readonly ('stt' | 'mt')[];
  env?: Record<string, string | undefined>;
  progress?: ProgressReporter;
}

/** Whether `hub` answers for `model` within `ms` (any HTTP answer but 404 counts: the hub is there). */
export async function probeHub(
  hub: string,
  model: string,
  ms: number,
  token?: string,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const url = `${hub.replace(/\/$/, '')}/${model}/resolve/main/config.json`;
  try {
    const response = await fetch(url, {
      method: 'HEAD',
      redirect: 'manual',
      signal: AbortSignal.timeout(ms),
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return response.status === 404 ? { ok: false, reason: `${hub} has no ${model}` } : { ok: true };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const reason = e.name === 'TimeoutError' ? `no answer within ${ms} ms` : (e.cause?.message ?? e.message);
    return { ok: false, reason: `${hub} unreachable (${reason})` };
  }
}

/** The config with `auto` engines replaced by the chosen ones; logs the choice once. */
export async function resolveAutoEngines(config: Config, logger: Logger, options: AutoOptions = {}): Promise<Config> {
  const roles = options.roles ?? ['stt', 'mt'];
  const env = options.env ?? process.env;
  const choices: Record<string, AutoChoice> = {};
  const out: Record<string, unknown> = { ...config };
  const device = (d: string) => (d.startsWith('cuda') ? 'cuda' : 'cpu') as 'cpu' | 'cuda';
  if (roles.includes('stt') && config.stt === 'auto') {
    const request = {
      model: config.sttModel,
      files: WHISPER_FILES,
      graphs: WHISPER_GRAPHS,
      dtype: parseDtypeSetting(config.dtype),
      device: device(config.device),
    };
    const found = await find(config, logger, env, request, options.progress);
    choices.stt = found.ok
      ? { engine: 'whisper-onnx', model: config.sttModel, reason: found.reason }
      : {
          engine: 'sphinx',
          reason: found.reason,
          better: `for Whisper, run \`earshot models pull ${config.sttModel}\` where the hub is reachable (or set EARSHOT_MODEL_DIR to a copy), or pass --stt whisper-onnx --model DIR`,
        };
    out.stt = choices.stt.engine;
  }
  if (roles.includes('mt') && config.mt === 'auto') {
    const request = {
      model: config.mtModel,
      files: NLLB_FILES,
      optional: NLLB_MANIFEST.optional,
      graphs: NLLB_GRAPHS,
      dtype: parseDtypeSetting(config.mtDtype),
      device: device(config.mtDevice),
    };
    const found = await find(config, logger, env, request, options.progress);
    choices.mt = found.ok
      ? { engine: 'nllb-onnx', model: config.mtModel, reason: found.reason }
      : {
          engine: 'apertium',
          reason: found.reason,
          better: `for NLLB (200 languages), run \`earshot models pull ${config.mtModel}\` where the hub is reachable, or pass --mt nllb-onnx --mt-model DIR`,
        };
    out.mt = choices.mt.engine;
  }
  if (Object.keys(choices).length > 0) {
    const text = Object.entries(choices)
      .map(
        ([role, c]) =>
          `${role}: ${c.engine}${c.model ? ` (${c.model})` : ''}, ${c.reason}${c.better ? `; ${c.better}` : ''}`,
      )
      .join(' | ');
    logger.info({ auto: choices }, `auto engines: ${text}`);
  }
  return Object.freeze(out) as Config;
}

/** The model on disk, or downloaded now; a reason either way. */
async function find(
  config: Config,
  logger: Logger,
  env: Record<string, string | undefined>,
  request: GraphsRequest,
  progress?: ProgressReporter,
): Promise<{ ok: boolean; reason: string }> {
  const local = new LayeredModelStore({ modelDir: config.modelDir || undefined, logger });
  try {
    const { dir, description } = await resolveGraphs(local, request);
    return { ok: true, reason: `found on disk (${description}) in ${dir}` };
  } catch {
    // Not on disk: try the remote sources below.
  }
  if (!config.modelHub && !config.modelS3)
    return { ok: false, reason: 'the model is not on disk and EARSHOT_MODEL_HUB is empty (offline)' };
  if (config.modelHub && !config.modelS3) {
    const probe = await probeHub(config.modelHub, request.model, config.hubProbeMs, env.HF_TOKEN || undefined);
    if (!probe.ok) return { ok: false, reason: `the model is not on disk and ${probe.reason}` };
  }
  try {
    const store = modelStoreFromConfig(config, logger, env, progress);
    const { description } = await resolveGraphs(store, request);
    return { ok: true, reason: `downloaded (${description}) into ${(store as LayeredModelStore).modelDir}` };
  } catch (err) {
    return {
      ok: false,
      reason: `the model is not on disk and could not be downloaded: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}
