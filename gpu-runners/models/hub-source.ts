/**
 * Downloads a model from a Hugging Face-style hub: `<base>/<name>/resolve/<revision>/<file>`. The base URL is
 * configurable so self-hosted mirrors (and tests' local servers) work the same as huggingface.co.
 *
 * As the hub clients do, a HEAD request (redirects not followed) reads what the file should be: huggingface.co
 * answers LFS files (the weights) with a redirect to its CDN carrying `X-Linked-Size` and `X-Linked-Etag` (the
 * content's SHA-256), and small files with their size and `ETag` (the git blob SHA-1). The GET then follows the
 * redirect and asks for `Range: bytes=N-` when an earlier transfer stopped at N.
 */
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { RemoteSource } from './model-store.ts';
import type { ProgressReporter } from './progress.ts';
import { downloadVerified, emptyBody, type ExpectedFile, type OpenedTransfer } from './verified-download.ts';

export interface HubSourceOptions {
  baseUrl: string;
  revision?: string;
  /** Sent as a bearer token (gated models). */
  token?: string;
}

const HEX64 = /^(?:W\/)?"?([0-9a-f]{64})"?$/i;
const HEX40 = /^(?:W\/)?"?([0-9a-f]{40})"?$/i;

export class HubSource implements RemoteSource {
  readonly description: string;
  readonly #o: HubSourceOptions;

  constructor(options: HubSourceOptions) {
    this.#o = options;
    this.description = `hub ${options.baseUrl}`;
  }

  /** The URL of one file of a model. */
  url(name: string, file: string): string {
    return `${this.#o.baseUrl.replace(/\/$/, '')}/${name}/resolve/${this.#o.revision ?? 'main'}/${file}`;
  }

  async fetchFile(name: string, file: string, dir: string, progress: ProgressReporter): Promise<boolean> {
    const url = this.url(name, file);
    const head = await this.#request(url, { method: 'HEAD', redirect: 'manual' });
    if (head.status === 404) return false;
    const redirected = head.status >= 300 && head.status < 400;
    if (!head.ok && !redirected && head.status !== 405) throw httpError(url, head.status);
    return downloadVerified({
      path: join(dir, file),
      label: file,
      expected: expectedFrom(head.headers, redirected),
      open: (offset) => this.#open(url, offset),
      progress,
    });
  }

  async #open(url: string, offset: number): Promise<OpenedTransfer> {
    const response = await this.#request(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} });
    if (response.status === 404) return { kind: 'missing' };
    if (response.status === 416) return { kind: 'rest', body: emptyBody() };
    if (!response.ok || !response.body) throw httpError(url, response.status);
    const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    const length = Number(response.headers.get('content-length')) || undefined;
    if (response.status === 206) {
      const start = Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]);
      if (start !== offset) throw new Error(`GET ${url}: asked for bytes from ${offset}, got a range from ${start}`);
      return { kind: 'rest', body, size: length === undefined ? undefined : offset + length };
    }
    return { kind: 'whole', body, size: length };
  }

  async #request(url: string, init: RequestInit): Promise<Response> {
    // identity: sizes and checksums are of the file's bytes, not of a compressed transfer.
    const headers = {
      'accept-encoding': 'identity',
      ...(init.headers as Record<string, string>),
      ...(this.#o.token ? { authorization: `Bearer ${this.#o.token}` } : {}),
    };
    try {
      return await fetch(url, { ...init, headers });
    } catch (err) {
      throw new Error(
        `cannot reach ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
      );
    }
  }
}

/** Size and checksum from the HEAD answer (the redirect's `X-Linked-*` headers, or the file's own). */
function expectedFrom(headers: Headers, redirected: boolean): ExpectedFile {
  const linkedSize = Number(headers.get('x-linked-size')) || undefined;
  const linkedEtag = headers.get('x-linked-etag') ?? '';
  const etag = headers.get('etag') ?? '';
  // A redirect's own content-length is the redirect page, not the file.
  const size = linkedSize ?? (redirected ? undefined : Number(headers.get('content-length')) || undefined);
  const sha256 = HEX64.exec(linkedEtag)?.[1] ?? HEX64.exec(etag)?.[1];
  const gitSha1 = sha256 ? undefined : HEX40.exec(etag)?.[1];
  return { size, sha256, gitSha1 };
}

function httpError(url: string, status: number): Error {
  const hint = status === 401 || status === 403 ? ' (a gated or private model: set HF_TOKEN)' : '';
  return new Error(`GET ${url}: HTTP ${status}${hint}`);
}
