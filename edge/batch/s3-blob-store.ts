/**
 * BlobStore on S3 or an S3-compatible store (MinIO, R2, Ceph), through @aws-sdk/client-s3. Credentials come from
 * the AWS default chain (AWS_ACCESS_KEY_ID…, profiles, instance roles) unless given.
 */
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { checkKey, type BlobStore } from './blob-store.ts';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** Empty: AWS itself. */
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.#bucket = options.bucket;
    this.#client = new S3Client({
      region: options.region,
      forcePathStyle: options.forcePathStyle,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
  }

  get description(): string {
    return `s3://${this.#bucket}`;
  }

  async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({ Bucket: this.#bucket, Key: checkKey(key), Body: data, ContentType: contentType }),
    );
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const object = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: checkKey(key) }));
      return object.Body ? await object.Body.transformToByteArray() : new Uint8Array(0);
    } catch (err) {
      if (err instanceof NoSuchKey) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: checkKey(key) }));
  }

  async deleteOlderThan(prefix: string, before: number): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: `${checkKey(prefix)}/`, ContinuationToken: token }),
      );
      const old = (page.Contents ?? [])
        .filter((o) => o.Key && (o.LastModified?.getTime() ?? Infinity) < before)
        .map((o) => ({ Key: o.Key! }));
      // A listing page holds at most 1000 keys, which is also DeleteObjects' limit.
      if (old.length > 0)
        await this.#client.send(
          new DeleteObjectsCommand({ Bucket: this.#bucket, Delete: { Objects: old, Quiet: true } }),
        );
      deleted += old.length;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  close(): void {
    this.#client.destroy();
  }
}
