/**
 * Turns a model name (`onnx-community/whisper-base`) or a directory into a local directory holding the model's
 * files. Local copies are tried first (a directory, earshot's model dir, the Hugging Face cache); then remote
 * sources (an S3 bucket, the hub), whose downloads land in the model dir so the next start finds them locally.
 * With no copy anywhere the error names every way to provide the model.
 *
 * Invariant: a file at its final name in the model dir is whole and verified (verified-download.ts writes through
 * `.incomplete` names), so "complete" is just "every needed file exists", and a model is fetched file by file: an
 * interrupted download resumes, and a second dtype of the same model adds only its own files.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, normalize, resolve as resolvePath } from 'node:path';
import { EarshotError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { silentLogger } from '../../shared/logger.ts';
import { hfCacheSnapshot } from './hf-cache.ts';
import { externalDataFiles } from './onnx-external-data.ts';
import type { ProgressReporter } from './progress.ts';

/**
 * The files an engine needs from a model. External weight data (`*.onnx_data`, `*.onnx_data_1`, …) is not listed:
 * it is read from the graphs' own references. Optional files are fetched when the source has them.
 */
export interface ModelManifest {
  required: readonly string[];
  optional?: readonly string[];
}

/** A place a model can be downloaded from. */
export interface RemoteSource {
  /** Shown in logs and in the not-found error. */
  readonly description: string;
  /**
   * Downloads `file` of model `name` to `<dir>/<file>`, verified, through a temporary name (resuming one an earlier
   * attempt left). Returns false when the source does not have the file; throws when it cannot be fetched.
   */
  fetchFile(name: string, file: string, dir: string, progress: ProgressReporter): Promise<boolean>;
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
  return (
    env.HF_HUB_CACHE || join(env.HF_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface'), 'hub')
  );
}

export const MODEL_NAME = /^[\w.-]+(\/[\w.-]+)?$/;

/**
 * The external data files an ONNX graph in `dir` refers to, relative to `dir`. A reference that leaves the graph's
 * folder is refused: a downloaded graph must not make earshot write or read outside the model.
 */
export function externalDataOf(dir: string, graph: string): string[] {
  return externalDataFiles(join(dir, graph)).map((location) => {
    const relative = normalize(join(dirname(graph), location));
    if (isAbsolute(location) || relative.startsWith('..') || dirname(relative) !== dirname(graph)) {
      throw new EarshotError('engine_unavailable', `${graph} refers to external data "${location}" outside its folder`);
    }
    return relative;
  });
}

/** The files of `manifest.required` missing from `dir`, with external data the present graphs refer to. */
export function missingFiles(dir: string, manifest: ModelManifest): string[] {
  const missing = manifest.required.filter((f) => !existsSync(join(dir, f)));
  for (const graph of manifest.required) {
    if (!graph.endsWith('.onnx') || !existsSync(join(dir, graph))) continue;
    missing.push(...externalDataOf(dir, graph).filter((f) => !existsSync(join(dir, f))));
  }
  return missing;
}

export class LayeredModelStore implements ModelStore {
  readonly modelDir: string;
  readonly #hfCacheDir: string;
  readonly #remotes: readonly RemoteSource[];
  readonly #progress: ProgressReporter;
  readonly #logger: Logger;

  constructor(options: ModelStoreOptions = {}) {
    this.modelDir = options.modelDir || defaultModelDir();
    this.#hfCacheDir = options.hfCacheDir || defaultHfCacheDir();
    this.#remotes = options.remotes ?? [];
    this.#progress = options.progress ?? (() => {});
    this.#logger = options.logger ?? silentLogger;
  }

  /** Whether any remote source is configured (an offline store has none). */
  get online(): boolean {
    return this.#remotes.length > 0;
  }

  /** The local directory holding `name` completely, without downloading; undefined when there is none. */
  findLocal(name: string, manifest: ModelManifest): string | undefined {
    if (isAbsolute(name) || name.startsWith('.') || existsSync(name)) {
      const dir = resolvePath(name);
      return existsSync(dir) && statSync(dir).isDirectory() && missingFiles(dir, manifest).length === 0
        ? dir
        : undefined;
    }
    if (!MODEL_NAME.test(name)) return undefined;
    const own = join(this.modelDir, name);
    if (existsSync(own) && missingFiles(own, manifest).length === 0) return own;
    const cached = hfCacheSnapshot(this.#hfCacheDir, name);
    if (cached && missingFiles(cached, manifest).length === 0) return cached;
    return undefined;
  }

  async resolve(name: string, manifest: ModelManifest): Promise<string> {
    // A path wins over a name: `models/whisper-base` that exists here is that directory, not a hub repository.
    if (isAbsolute(name) || name.startsWith('.') || existsSync(name))
      return this.#directory(resolvePath(name), manifest);
    if (!MODEL_NAME.test(name))
      throw new EarshotError(
        'engine_unavailable',
        `"${name}" is neither a directory nor a model name like onnx-community/whisper-base`,
      );

    const own = join(this.modelDir, name);
    if (existsSync(own) && missingFiles(own, manifest).length === 0) return this.#found(name, own, 'model dir');
    const cached = hfCacheSnapshot(this.#hfCacheDir, name);
    if (cached && missingFiles(cached, manifest).length === 0) return this.#found(name, cached, 'Hugging Face cache');

    const failures: string[] = [];
    for (const remote of this.#remotes) {
      try {
        this.#logger.info({ model: name, source: remote.description }, 'downloading model');
        const lacking = await this.#download(remote, name, manifest, own);
        if (lacking === undefined) return this.#found(name, own, remote.description);
        failures.push(`${remote.description}: not there (no ${lacking})`);
      } catch (err) {
        failures.push(`${remote.description}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    removeIfEmpty(own);
    throw notFound(
      name,
      manifest,
      [`${own} (model dir)`, `${join(this.#hfCacheDir, `models--${name.replace('/', '--')}`)} (Hugging Face cache)`],
      failures,
    );
  }

  /** Fetches what `own` lacks from `remote`: the required files, then the external data their graphs name. */
  async #download(
    remote: RemoteSource,
    name: string,
    manifest: ModelManifest,
    own: string,
  ): Promise<string | undefined> {
    const fetch = (file: string) => remote.fetchFile(name, file, own, this.#progress);
    for (const file of manifest.required) if (!existsSync(join(own, file)) && !(await fetch(file))) return file;
    for (const file of manifest.optional ?? []) if (!existsSync(join(own, file))) await fetch(file);
    for (const file of missingFiles(own, manifest)) if (!(await fetch(file))) return file;
    return undefined;
  }

  #directory(dir: string, manifest: ModelManifest): string {
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new EarshotError('engine_unavailable', `model directory ${dir} does not exist`);
    const missing = missingFiles(dir, manifest);
    if (missing.length > 0)
      throw new EarshotError('engine_unavailable', `model directory ${dir} lacks ${missing.join(', ')}`);
    return dir;
  }

  #found(name: string, dir: string, where: string): string {
    this.#logger.info({ model: name, dir, source: where }, 'model resolved');
    return dir;
  }
}

/** Removes directories left empty by a source that had nothing (no clutter in the model dir). */
function removeIfEmpty(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeIfEmpty(join(dir, entry.name));
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true });
}

function notFound(name: string, manifest: ModelManifest, looked: string[], failures: string[]): EarshotError {
  const lines = [
    `model "${name}" is not available on this machine.`,
    `Looked in: ${looked.join('; ')}${failures.length ? `; ${failures.join('; ')}` : ''}.`,
    'Provide it in one of these ways:',
    `  - pass a directory holding ${manifest.required.join(', ')} (e.g. --model /models/whisper-base)`,
    `  - put that directory at EARSHOT_MODEL_DIR/${name} (--model-dir), e.g. with \`earshot models pull ${name}\` on a connected machine`,
    `  - put it in the Hugging Face cache (HF_HOME), e.g. with \`huggingface-cli download ${name}\` on a connected machine`,
    '  - set EARSHOT_MODEL_S3=s3://bucket/prefix (--model-s3) to fetch <prefix>/<name>/ from an S3 bucket',
    '  - go online: EARSHOT_MODEL_HUB (--model-hub) is the hub it downloads from (empty = offline)',
  ];
  return new EarshotError('engine_unavailable', lines.join('\n'));
}
