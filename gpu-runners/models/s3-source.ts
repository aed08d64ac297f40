/**
 * Fetches a model from an S3 bucket (AWS, or any S3-protocol store: MinIO, Ceph, R2): the files of `name` live
 * under `s3://<bucket>/<prefix>/<name>/`. Credentials come from the AWS SDK's usual chain (environment, profile,
 * instance role).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import type { ModelManifest, RemoteSource } from './model-store.ts';
import type { ProgressReporter } from './progress.ts';

export interface S3SourceOptions {
  /** `s3://bucket` or `s3://bucket/prefix`. */
  url: string;
  /** A non-AWS endpoint (e.g. http://127.0.0.1:9000); path-style addressing is used with it. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Splits `s3://bucket/some/prefix` into bucket and prefix (no trailing slash). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new Error(`not an S3 URL: "${url}" (expected s3://bucket/prefix)`);
  return { bucket: match[1]!, prefix: match[2]!.replace(/\/+$/, '') };
}

export class S3Source implements RemoteSource {
  readonly description: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3SourceOptions) {
    const { bucket, prefix } = parseS3Url(options.url);
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.description = `S3 ${options.url}`;
    this.#client = new S3Client({
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      endpoint: options.endpoint,
      forcePathStyle: options.endpoint !== undefined,
      credentials: options.credentials,
      maxAttempts: 2,
    });
  }

  async fetch(name: string, manifest: ModelManifest, dest: string, progress: ProgressReporter): Promise<boolean> {
    for (const file of manifest.required) if (!(await this.#download(name, file, dest, progress))) return false;
    for (const file of manifest.optional ?? []) await this.#download(name, file, dest, progress);
    return true;
  }

  async #download(name: string, file: string, dest: string, progress: ProgressReporter): Promise<boolean> {
    const key = [this.#prefix, name, file].filter(Boolean).join('/');
    let body: Readable;
    let total: number | undefined;
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      body = object.Body as Readable;
      total = object.ContentLength;
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return false;
      throw new Error(`s3://${this.#bucket}/${key}: ${(err as Error).message || (err as { name?: string }).name}`);
    }
    const path = join(dest, file);
    mkdirSync(dirname(path), { recursive: true });
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      progress({ file, received, total, done: false });
    });
    await pipeline(body, createWriteStream(path));
    progress({ file, received, total, done: true });
    return true;
  }

  close(): void {
    this.#client.destroy();
  }
}
