/**
 * The TTS runner: speaks translations (issue 19), batched across sessions, from its own queue, and appends each
 * as a `translation_audio` result (a base64 WAV) to its session's log. It shares nothing with the STT and MT
 * lanes: a slow or failing voice delays only the audio, never captions or translation text.
 */
import type { EarshotError } from '../shared/errors.ts';
import { encodeWav } from '../shared/audio/wav.ts';
import type { TtsJob } from '../shared/queue/jobs.ts';
import type { ResultLog, TtsQueue } from '../shared/queue/ports.ts';
import { metrics } from '../shared/metrics.ts';
import type { TtsEngine, TtsResult } from './tts/types.ts';
import { RunnerLoop, type RunnerLoopOptions } from './runner-loop.ts';

export interface TtsRunnerOptions extends Omit<RunnerLoopOptions<TtsJob>, 'role' | 'failureCode' | 'queue'> {
  queue: TtsQueue;
  results: ResultLog;
  engine: TtsEngine;
}

export class TtsRunner extends RunnerLoop<TtsJob> {
  readonly #o: TtsRunnerOptions;
  /** Each job's waveform, from the engine call to its publication. */
  readonly #spoken = new WeakMap<TtsJob, TtsResult>();

  constructor(options: TtsRunnerOptions) {
    super({ ...options, role: 'tts', failureCode: 'tts_failed' });
    this.#o = options;
  }

  get engineName(): string {
    return this.#o.engine.name;
  }

  protected override async runEngine(batch: TtsJob[]): Promise<string[]> {
    metrics.ttsBatchSize.observe(batch.length);
    const timer = metrics.ttsDuration.startTimer();
    try {
      const results = await this.#o.engine.synthesize(
        batch.map((job) => ({ id: job.id, text: job.text, language: job.lang })),
      );
      results.forEach((r, i) => this.#spoken.set(batch[i]!, r));
      return results.map((r) => r.id);
    } finally {
      timer();
    }
  }

  protected override async publish(job: TtsJob): Promise<void> {
    const spoken = this.#spoken.get(job);
    this.#spoken.delete(job);
    if (!spoken) throw new Error(`no audio for ${job.id}`);
    const duration = spoken.pcm.length / spoken.sampleRate;
    metrics.ttsAudioSeconds.inc(duration);
    const audio = Buffer.from(encodeWav(spoken.pcm, spoken.sampleRate)).toString('base64');
    await this.#o.results.append(job.session, {
      type: 'translation_audio',
      seq: job.seq,
      lang: job.lang,
      audio,
      sampleRate: spoken.sampleRate,
      duration,
      ...(job.rev ? { rev: job.rev } : {}),
    });
  }

  protected override async onDead(job: TtsJob, error: EarshotError): Promise<void> {
    // Never a silent gap: the listener hears which line was not spoken.
    await this.#o.results.append(job.session, {
      type: 'error',
      code: 'tts_failed',
      message: `speaking segment ${job.seq} in ${job.lang} failed: ${error.message}`,
      seq: job.seq,
      lang: job.lang,
      audio: true,
      ...(job.rev ? { rev: job.rev } : {}),
    });
  }
}
