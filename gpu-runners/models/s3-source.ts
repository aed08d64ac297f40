/**
 * Fetches a model from an S3 bucket (AWS, or any S3-protocol store: MinIO, Ceph, R2): the files of `name` live
 * under `s3://<bucket>/<prefix>/<name>/`. Credentials come from the AWS SDK's usual chain (environment, profile,
 * instance role). Files are verified (size, and MD5 where the ETag is one) and resumed with a Range read.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  NoSuchKey,
  S3Client,
} from '@aws-sdk/client-s3';
import type { RemoteSource } from './model-store.ts';
import type { ProgressReporter } from './progress.ts';
import { downloadVerified } from './verified-download.ts';

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

  async fetchFile(name: string, file: string, dir: string, progress: ProgressReporter): Promise<boolean> {
    const key = [this.#prefix, name, file].filter(Boolean).join('/');
    const where = `s3://${this.#bucket}/${key}`;
    let head: HeadObjectCommandOutput;
    try {
      head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (err) {
      if (isMissing(err)) return false;
      throw new Error(`${where}: ${(err as Error).message || (err as { name?: string }).name}`);
    }
    // A single-part upload's ETag is the content's MD5; a multipart one ("…-N") is not a content hash.
    const md5 = /^"?([0-9a-f]{32})"?$/i.exec(head.ETag ?? '')?.[1];
    return downloadVerified({
      path: join(dir, file),
      label: file,
      expected: { size: head.ContentLength, md5 },
      progress,
      open: async (offset) => {
        try {
          const object = await this.#client.send(
            new GetObjectCommand({
              Bucket: this.#bucket,
              Key: key,
              Range: offset > 0 ? `bytes=${offset}-` : undefined,
              IfMatch: head.ETag,
            }),
          );
          return {
            kind: offset > 0 && object.ContentRange ? 'rest' : 'whole',
            body: object.Body as Readable,
            size: head.ContentLength,
          };
        } catch (err) {
          if (isMissing(err)) return { kind: 'missing' };
          throw new Error(`${where}: ${(err as Error).message || (err as { name?: string }).name}`);
        }
      },
    });
  }

  close(): void {
    this.#client.destroy();
  }
}

function isMissing(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  return (
    err instanceof NoSuchKey ||
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404
  );
}
