/**
 * Builds the batch API behind an edge: the blob store (directory, or S3 when a bucket is set), async jobs (in
 * process, or BullMQ when the edge runs on Redis) and the service that transcribes through the shared pipeline.
 */
import { resolve } from 'node:path';
import type { Config } from '../../../shared/config.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { Drivers } from '../../../shared/queue/drivers.ts';
import { createRedis } from '../../../shared/queue/redis/connection.ts';
import { redisKeys } from '../../../shared/queue/redis/keys.ts';
import type { AudioRouteDeps } from '../../routes/audio.ts';
import { LocalBlobStore, type BlobStore } from '../../batch/blob-store.ts';
import { BullBatchJobs } from '../../batch/bull-jobs.ts';
import { MemoryBatchJobs, type BatchJobs } from '../../batch/jobs.ts';
import { BatchService } from '../../batch/service.ts';
import type { TranscriberDeps } from '../../batch/transcriber.ts';

async function createBlobStore(config: Config): Promise<BlobStore> {
  if (!config.s3Bucket) return new LocalBlobStore(resolve(config.blobDir));
  // The AWS SDK is large; edges that keep blobs on disk never load it.
  const { S3BlobStore } = await import('../../batch/s3-blob-store.ts');
  return new S3BlobStore({
    bucket: config.s3Bucket,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
  });
}

export async function composeBatch(
  config: Config,
  logger: Logger,
  drivers: Drivers,
  transcriber: TranscriberDeps,
): Promise<{ routeDeps: Omit<AudioRouteDeps, 'auth' | 'admission'>; close(): Promise<void> }> {
  const log = logger.child({ component: 'batch' });
  const blobs = await createBlobStore(config);
  const retentionMs = config.batchRetentionSeconds * 1000;
  let jobs: BatchJobs;
  let disconnect = () => undefined as void;
  if (drivers.kind === 'redis') {
    const connection = createRedis(config.redis, log, 'batch');
    const keys = redisKeys(config.redisPrefix);
    jobs = new BullBatchJobs({
      connection,
      prefix: keys.bullPrefix,
      name: keys.batchQueue,
      concurrency: config.batchConcurrency,
      retentionMs,
      logger: log,
    });
    disconnect = () => connection.disconnect();
  } else {
    jobs = new MemoryBatchJobs({ concurrency: config.batchConcurrency, retentionMs });
  }
  const decoding = {
    ffmpeg: config.ffmpeg,
    maxAudioSeconds: config.maxAudioSeconds,
    timeoutMs: config.decodeTimeoutSeconds * 1000,
  };
  const batch = new BatchService({ transcriber, blobs, jobs, decoding, retentionMs, logger: log });
  log.info({ blobs: blobs.description, jobs: drivers.kind }, 'batch API ready');
  return {
    routeDeps: { batch, maxUploadBytes: config.maxUploadBytes },
    async close() {
      await batch.close();
      disconnect();
    },
  };
}
