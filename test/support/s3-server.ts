/** A real S3-protocol server (s3rver) on a free loopback port, with one bucket, owned by the test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export class TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly #server: S3rver;
  readonly #dir: string;

  private constructor(server: S3rver, dir: string, endpoint: string, bucket: string) {
    this.#server = server;
    this.#dir = dir;
    this.endpoint = endpoint;
    this.bucket = bucket;
  }

  static async start(bucket = 'earshot-test'): Promise<TestS3> {
    const dir = mkdtempSync(join(tmpdir(), 'earshot-s3-'));
    const server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      configureBuckets: [{ name: bucket }],
    });
    const { port } = await server.run();
    return new TestS3(server, dir, `http://127.0.0.1:${port}`, bucket);
  }

  async stop(): Promise<void> {
    await this.#server.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
