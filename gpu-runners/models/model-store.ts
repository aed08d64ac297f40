/**
 * Turns a model name (`onnx-community/whisper-base`) or a directory into a local directory holding the model's
 * files. Local copies are tried first (a directory, earshot's model dir, the Hugging Face cache); then remote
 * sources (an S3 bucket, the hub), whose download lands in the model dir so the next start finds it locally.
 * With no copy anywhere the error names every way to provide the model.
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { EarshotError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { silentLogger } from '../../shared/logger.ts';
import { hfCacheSnapshot } from './hf-cache.ts';
import type { ProgressReporter } from './progress.ts';

/** The files an engine needs from a model; optional ones (external weight data) are fetched when present. */
export interface ModelManifest {
  required: readonly string[];
  optional?: readonly string[];
}

/** A place a model can be downloaded from. */
export interface RemoteSource {
  /** Shown in logs and in the not-found error. */
  readonly description: string;
  /**
   * Copies the manifest's files for `name` into `dest`. Returns false when the source does not have the model;
   * throws when the source cannot be reached.
   */
  fetch(name: string, manifest: ModelManifest, dest: string, progress: ProgressReporter): Promise<boolean>;
}

export interface ModelStoreOptions {
  /** Where downloaded models are kept: `<modelDir>/<name>/…`. */
  modelDir?: string;
  /** The Hugging Face cache root (`$HF_HOME/hub`); searched, never written. */
  hfCacheDir?: string;
  /** Remote sources in order of preference (S3 before the hub: a fleet's own bucket is closer). */
  remotes?: readonly RemoteSource[];
  progress?: ProgressReporter;
  logger?: Logger;
}

/** Resolves model names to local directories. */
export interface ModelStore {
  resolve(name: string, manifest: ModelManifest): Promise<string>;
}

/** earshot's default model directory: `$XDG_CACHE_HOME/earshot/models` or `~/.cache/earshot/models`. */
export function defaultModelDir(env: Record<string, string | undefined> = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'earshot', 'models');
}

/** The Hugging Face hub cache: `$HF_HUB_CACHE`, `$HF_HOME/hub`, or `~/.cache/huggingface/hub`. */
export function defaultHfCacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.HF_HUB_CACHE || join(env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface'), 'hub');
}

const NAME = /^[\w.-]+(\/[\w.-]+)?$/;

/** The files of `manifest.required` missing from `dir`. */
export function missingFiles(dir: string, manifest: ModelManifest): string[] {
  return manifest.required.filter((f) => !existsSync(join(dir, f)));
}

export class LayeredModelStore implements ModelStore {
  readonly #modelDir: string;
  readonly #hfCacheDir: string;
  readonly #remotes: readonly RemoteSource[];
  readonly #progress: ProgressReporter;
  readonly #logger: Logger;

  constructor(options: ModelStoreOptions = {}) {
    this.#modelDir = options.modelDir || defaultModelDir();
    this.#hfCacheDir = options.hfCacheDir || defaultHfCacheDir();
    this.#remotes = options.remotes ?? [];
    this.#progress = options.progress ?? (() => {});
    this.#logger = options.logger ?? silentLogger;
  }

  async resolve(name: string, manifest: ModelManifest): Promise<string> {
    // A path wins over a name: `models/whisper-base` that exists here is that directory, not a hub repository.
    if (isAbsolute(name) || name.startsWith('.') || existsSync(name)) return this.#directory(resolvePath(name), manifest);
    if (!NAME.test(name)) throw new EarshotError('engine_unavailable', `"${name}" is neither a directory nor a model name like onnx-community/whisper-base`);

    const own = join(this.#modelDir, name);
    if (existsSync(own) && missingFiles(own, manifest).length === 0) return this.#found(name, own, 'model dir');
    const cached = hfCacheSnapshot(this.#hfCacheDir, name);
    if (cached && missingFiles(cached, manifest).length === 0) return this.#found(name, cached, 'Hugging Face cache');

    const failures: string[] = [];
    for (const remote of this.#remotes) {
      const partial = `${own}.partial-${process.pid}`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      try {
        this.#logger.info({ model: name, source: remote.description }, 'downloading model');
        if (!(await remote.fetch(name, manifest, partial, this.#progress))) {
          failures.push(`${remote.description}: not there`);
          continue;
        }
        const missing = missingFiles(partial, manifest);
        if (missing.length > 0) {
          failures.push(`${remote.description}: incomplete (no ${missing.join(', ')})`);
          continue;
        }
        // A whole directory appears at once: a crash mid-download never leaves a half model that looks complete.
        rmSync(own, { recursive: true, force: true });
        renameSync(partial, own);
        return this.#found(name, own, remote.description);
      } catch (err) {
        failures.push(`${remote.description}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        rmSync(partial, { recursive: true, force: true });
      }
    }
    throw notFound(name, manifest, [`${own} (model dir)`, `${join(this.#hfCacheDir, `models--${name.replace('/', '--')}`)} (Hugging Face cache)`], failures);
  }

  #directory(dir: string, manifest: ModelManifest): string {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new EarshotError('engine_unavailable', `model directory ${dir} does not exist`);
    const missing = missingFiles(dir, manifest);
    if (missing.length > 0) throw new EarshotError('engine_unavailable', `model directory ${dir} lacks ${missing.join(', ')}`);
    return dir;
  }

  #found(name: string, dir: string, where: string): string {
    this.#logger.info({ model: name, dir, source: where }, 'model resolved');
    return dir;
  }
}

function notFound(name: string, manifest: ModelManifest, looked: string[], failures: string[]): EarshotError {
  const lines = [
    `model "${name}" is not available on this machine.`,
    `Looked in: ${looked.join('; ')}${failures.length ? `; ${failures.join('; ')}` : ''}.`,
    'Provide it in one of these ways:',
    `  - pass a directory holding ${manifest.required.join(', ')} (e.g. --model /models/whisper-base)`,
    `  - put that directory at EARSHOT_MODEL_DIR/${name} (--model-dir)`,
    `  - put it in the Hugging Face cache (HF_HOME), e.g. with \`huggingface-cli download ${name}\` on a connected machine`,
    '  - set EARSHOT_MODEL_S3=s3://bucket/prefix (--model-s3) to fetch <prefix>/<name>/ from an S3 bucket',
    '  - go online: EARSHOT_MODEL_HUB (--model-hub) is the hub it downloads from (empty = offline)',
  ];
  return new EarshotError('engine_unavailable', lines.join('\n'));
}
