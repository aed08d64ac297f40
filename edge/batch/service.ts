/**
 * The batch API's work, behind the routes: decode an upload, transcribe it now (synchronous requests) or as an
 * async job (audio and result in the blob store), and report a job's state. Synchronous requests keep nothing:
 * the response carries the result, and audio nobody asked to store is not stored.
 */
import { randomUUID } from 'node:crypto';
import { encodeWav } from '../../shared/audio/wav.ts';
import { clientError, EarshotError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { decodeUpload, PIPELINE_RATE, type DecodeOptions } from './audio-input.ts';
import type { BlobStore } from './blob-store.ts';
import { DecodePool } from './decode-pool.ts';
import type { BatchJobs, BatchJobSpec, BatchJobState, Progress } from './jobs.ts';
import type { BatchParams } from './params.ts';
import { transcribe, type TranscriberDeps } from './transcriber.ts';
import type { Transcript } from './transcript.ts';

export interface BatchServiceOptions {
  transcriber: TranscriberDeps;
  blobs: BlobStore;
  jobs: BatchJobs;
  /** How uploads are decoded and bounded (the worker threads are the service's own). */
  decoding: Omit<DecodeOptions, 'pool'> & { threads?: number };
  /** Results (and uploads of jobs that never ran) older than this are swept from the blob store. */
  retentionMs: number;
  logger: Logger;
}

const uploadKey = (id: string) => `uploads/${id}.wav`;
const resultKey = (id: string) => `results/${id}.json`;

export class BatchService {
  readonly #o: BatchServiceOptions;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #pool: DecodePool;

  constructor(options: BatchServiceOptions) {
    this.#o = options;
    this.#pool = new DecodePool(options.decoding.threads);
    options.jobs.start((spec, progress) => this.#process(spec, progress));
    this.#sweeper = setInterval(() => void this.#sweep(), Math.min(options.retentionMs, 3600_000));
    this.#sweeper.unref();
  }

  /** Decodes an upload to 16 kHz mono PCM16 off the event loop; `bytes` may be moved to a worker thread. */
  decode(bytes: Uint8Array, signal?: AbortSignal): Promise<Int16Array> {
    return decodeUpload(bytes, { ...this.#o.decoding, pool: this.#pool }, signal);
  }

  /** Transcribes now; the batch session id is random. */
  run(pcm: Int16Array, params: BatchParams, signal?: AbortSignal): Promise<Transcript> {
    return transcribe(
      this.#o.transcriber,
      { id: randomUUID(), pcm, task: params.task, language: params.language, temperature: params.temperature },
      { signal },
    );
  }

  /** Stores the (decoded, 16 kHz mono) audio and queues a job for it. */
  async submit(owner: string, pcm: Int16Array, params: BatchParams): Promise<BatchJobSpec> {
    const spec: BatchJobSpec = { id: randomUUID(), owner, params, createdAt: Date.now() };
    await this.#o.blobs.put(uploadKey(spec.id), encodeWav(pcm, PIPELINE_RATE), 'audio/wav');
    await this.#o.jobs.submit(spec);
    return spec;
  }

  async status(id: string): Promise<{ state: BatchJobState; transcript?: Transcript } | undefined> {
    const state = await this.#o.jobs.get(id);
    if (!state || state.status !== 'completed') return state && { state };
    const stored = await this.#o.blobs.get(resultKey(id));
    if (!stored)
      return {
        state: {
          ...state,
          status: 'failed',
          error: { code: 'internal', message: `the result is gone from the blob store (${this.#o.blobs.description})` },
        },
      };
    return { state, transcript: JSON.parse(new TextDecoder().decode(stored)) as Transcript };
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.#o.jobs.close();
    this.#o.blobs.close();
    await this.#pool.close();
  }

  async #process(spec: BatchJobSpec, progress: Progress): Promise<void> {
    const log = this.#o.logger.child({ job: spec.id });
    try {
      await this.#transcribeStored(spec, progress, log);
    } catch (err) {
      // The job's state is what its client reads: details of an unexpected failure stay in the log.
      throw clientError(err, log);
    }
  }

  async #transcribeStored(spec: BatchJobSpec, progress: Progress, log: Logger): Promise<void> {
    const stored = await this.#o.blobs.get(uploadKey(spec.id));
    if (!stored)
      throw new EarshotError(
        'internal',
        `the uploaded audio is not in the blob store (${this.#o.blobs.description}); do all edges share it?`,
      );
    const pcm = await this.#pool.wavToPcm16(stored);
    log.info({ task: spec.params.task, seconds: pcm.length / PIPELINE_RATE }, 'batch job started');
    const { task, language, temperature } = spec.params;
    const transcript = await transcribe(
      this.#o.transcriber,
      { id: spec.id, pcm, task, language, temperature },
      { onProgress: progress },
    );
    await this.#o.blobs.put(
      resultKey(spec.id),
      new TextEncoder().encode(JSON.stringify(transcript)),
      'application/json',
    );
    await this.#o.blobs.delete(uploadKey(spec.id));
    log.info({ segments: transcript.segments.length }, 'batch job done');
  }

  async #sweep(): Promise<void> {
    const before = Date.now() - this.#o.retentionMs;
    try {
      const swept =
        (await this.#o.blobs.deleteOlderThan('results', before)) +
        (await this.#o.blobs.deleteOlderThan('uploads', before));
      if (swept > 0) this.#o.logger.info({ swept }, 'old batch blobs deleted');
    } catch (err) {
      this.#o.logger.warn({ err }, 'batch blob sweep failed');
    }
  }
}
