/**
 * Downloads a model from a Hugging Face-style hub: `<base>/<name>/resolve/<revision>/<file>`. The base URL is
 * configurable so self-hosted mirrors (and tests' local servers) work the same as huggingface.co.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ModelManifest, RemoteSource } from './model-store.ts';
import type { ProgressReporter } from './progress.ts';

export interface HubSourceOptions {
  baseUrl: string;
  revision?: string;
  /** Sent as a bearer token (gated models). */
  token?: string;
}

export class HubSource implements RemoteSource {
  readonly description: string;
  readonly #o: HubSourceOptions;

  constructor(options: HubSourceOptions) {
    this.#o = options;
    this.description = `hub ${options.baseUrl}`;
  }

  async fetch(name: string, manifest: ModelManifest, dest: string, progress: ProgressReporter): Promise<boolean> {
    for (const file of manifest.required) if (!(await this.#download(name, file, dest, progress))) return false;
    for (const file of manifest.optional ?? []) await this.#download(name, file, dest, progress);
    return true;
  }

  /** False on 404; throws on other failures (unreachable, 5xx). */
  async #download(name: string, file: string, dest: string, progress: ProgressReporter): Promise<boolean> {
    const url = `${this.#o.baseUrl.replace(/\/$/, '')}/${name}/resolve/${this.#o.revision ?? 'main'}/${file}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {} });
    } catch (err) {
      throw new Error(`cannot reach ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    if (response.status === 404) return false;
    if (!response.ok || !response.body) throw new Error(`GET ${url}: HTTP ${response.status}`);
    const total = Number(response.headers.get('content-length')) || undefined;
    const path = join(dest, file);
    mkdirSync(dirname(path), { recursive: true });
    let received = 0;
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    body.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      progress({ file, received, total, done: false });
    });
    await pipeline(body, createWriteStream(path));
    if (total !== undefined && received !== total) throw new Error(`${url}: received ${received} of ${total} bytes`);
    progress({ file, received, total, done: true });
    return true;
  }
}
