/**
 * Speaker embedders: what an STT runner uses to give each final a voiceprint, from which the edge labels speakers
 * (shared/diarization/speaker-clusters.ts). Like engines, they take a batch and answer one vector per utterance.
 */
import { Worker } from 'node:worker_threads';
import { EarshotError } from '../../shared/errors.ts';
import { DEFAULT_SPEAKER_CLUSTERS } from '../../shared/diarization/speaker-clusters.ts';
import type { VoiceprintReply, VoiceprintRequest } from './voiceprint-worker.ts';

export interface SpeakerEmbedder {
  readonly name: string;
  /**
   * Cosine distance under which two of its voiceprints are one speaker: it travels with each voiceprint, so readers
   * cluster every embedder's vectors on its own scale.
   */
  readonly threshold: number;
  load(): Promise<void>;
  /** One voiceprint per utterance (16 kHz PCM16), in order; an empty vector for an utterance without voice. */
  embed(batch: readonly Int16Array[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

const ENTRY = new URL('./voiceprint-worker.mjs', import.meta.url);

/**
 * The embedded default: MFCC statistics (voiceprint.ts) computed on one worker thread, so neither the runner's
 * event loop nor, in `earshot all`, the edge's waits for it. Batches are answered in order.
 */
export class MfccSpeakerEmbedder implements SpeakerEmbedder {
  readonly name = 'mfcc';
  readonly threshold: number;
  #worker: Worker | undefined;
  #next = 1;
  readonly #waiting = new Map<number, { resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }>();

  constructor(threshold = DEFAULT_SPEAKER_CLUSTERS.threshold) {
    this.threshold = threshold;
  }

  async load(): Promise<void> {
    this.#spawn();
  }

  embed(batch: readonly Int16Array[]): Promise<Float32Array[]> {
    if (batch.length === 0) return Promise.resolve([]);
    const worker = this.#spawn();
    const id = this.#next++;
    // Copies: the runner still needs the audio (the guard reads it).
    const pcm = batch.map((p) => p.slice());
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage(
        { id, pcm } satisfies VoiceprintRequest,
        pcm.map((p) => p.buffer as ArrayBuffer),
      );
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#failAll(new EarshotError('shutting_down', 'the speaker embedder closed'));
    await worker?.terminate();
  }

  #spawn(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(ENTRY);
    worker.unref();
    worker.on('message', (reply: VoiceprintReply) => {
      const waiting = this.#waiting.get(reply.id);
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) worker.unref();
      if (!waiting) return;
      if ('voices' in reply) waiting.resolve(reply.voices);
      else waiting.reject(new Error(reply.error));
    });
    // A thread that died fails what it held; the next batch gets a fresh one.
    const died = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      this.#failAll(err);
    };
    worker.on('error', died);
    worker.on('exit', (code) => code !== 0 && died(new Error(`voiceprint thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #failAll(err: Error): void {
    for (const waiting of this.#waiting.values()) waiting.reject(err);
    this.#waiting.clear();
  }
}
