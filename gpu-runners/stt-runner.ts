/**
 * The STT runner: takes batches of utterance jobs (from any number of sessions), transcribes them with one
 * engine call, appends partials and finals to each session's result log, and turns finals into MT jobs.
 */
import { toEarshotError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { mtJobId, type SttJob } from '../shared/queue/jobs.ts';
import type { MtQueue, ResultLog, SttQueue } from '../shared/queue/ports.ts';
import type { SttEngine } from './engines/types.ts';
import { RunnerLoop } from './runner-loop.ts';

export interface SttRunnerOptions {
  queue: SttQueue;
  mtQueue: MtQueue | null;
  results: ResultLog;
  engine: SttEngine;
  logger: Logger;
  batchSize: number;
  maxAttempts: number;
  /** Source language when a session names none. */
  defaultLanguage: string;
}

export class SttRunner extends RunnerLoop<SttJob> {
  readonly #o: SttRunnerOptions;

  constructor(options: SttRunnerOptions) {
    super('stt', options.queue, options.batchSize, options.logger);
    this.#o = options;
  }

  protected override async process(batch: SttJob[], signal: AbortSignal): Promise<void> {
    const requests = batch.map((job) => ({ id: job.id, pcm: job.pcm, language: job.language, partial: job.kind === 'partial' }));
    let texts: string[];
    try {
      texts = (await this.#o.engine.transcribe(requests, signal)).map((r) => r.text);
    } catch (err) {
      if (batch.length === 1) throw err;
      // One bad job must not fail its neighbours: retry them one by one.
      for (const job of batch) await this.processAlone(job, signal);
      return;
    }
    for (const [i, job] of batch.entries()) await this.#publish(job, texts[i] ?? '');
  }

  protected override async processAlone(job: SttJob, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [result] = await this.#o.engine.transcribe([{ id: job.id, pcm: job.pcm, language: job.language, partial: job.kind === 'partial' }], signal);
        await this.#publish(job, result?.text ?? '');
        return;
      } catch (err) {
        const error = toEarshotError(err, 'stt_failed');
        this.logger.warn({ job: job.id, attempt, err: error.message }, 'stt job failed');
        if (attempt >= this.#o.maxAttempts || signal.aborted) {
          // Partials are best effort; a final that cannot be transcribed is reported, never silently skipped.
          if (job.kind === 'final') {
            await this.#o.results.append(job.session, { type: 'error', code: 'stt_failed', message: `segment ${job.segment}: ${error.message}`, seq: job.segment });
          }
          this.failed += 1;
          return;
        }
      }
    }
  }

  async #publish(job: SttJob, rawText: string): Promise<void> {
    const text = rawText.trim();
    const { session } = job;
    if (job.kind === 'partial') {
      if (text) await this.#o.results.append(session, { type: 'partial', segment: job.segment, text, start: job.start });
      return;
    }
    const targets = text && this.#o.mtQueue ? job.targets : [];
    await this.#o.results.append(session, { type: 'final', seq: job.segment, text, start: job.start, end: job.end, targets });
    for (const target of targets) {
      await this.#o.mtQueue!.add({
        id: mtJobId(session, job.segment, target),
        session,
        seq: job.segment,
        text,
        source: job.language ?? this.#o.defaultLanguage,
        target,
        enqueuedAt: Date.now(),
      });
    }
  }
}
