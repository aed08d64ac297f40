/** The MT runner: translates final captions, batched across sessions, and appends translations to each session's log. */
import { toEarshotError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { MtJob } from '../shared/queue/jobs.ts';
import type { MtQueue, ResultLog } from '../shared/queue/ports.ts';
import type { MtEngine } from './engines/types.ts';
import { RunnerLoop } from './runner-loop.ts';

export interface MtRunnerOptions {
  queue: MtQueue;
  results: ResultLog;
  engine: MtEngine;
  logger: Logger;
  batchSize: number;
  maxAttempts: number;
}

export class MtRunner extends RunnerLoop<MtJob> {
  readonly #o: MtRunnerOptions;

  constructor(options: MtRunnerOptions) {
    super('mt', options.queue, options.batchSize, options.logger);
    this.#o = options;
  }

  protected override async process(batch: MtJob[], signal: AbortSignal): Promise<void> {
    let texts: string[];
    try {
      texts = (await this.#o.engine.translate(batch.map((j) => ({ id: j.id, text: j.text, source: j.source, target: j.target })), signal)).map((r) => r.text);
    } catch (err) {
      if (batch.length === 1) throw err;
      for (const job of batch) await this.processAlone(job, signal);
      return;
    }
    for (const [i, job] of batch.entries()) {
      await this.#o.results.append(job.session, { type: 'translation', seq: job.seq, lang: job.target, text: texts[i] ?? '' });
    }
  }

  protected override async processAlone(job: MtJob, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [result] = await this.#o.engine.translate([{ id: job.id, text: job.text, source: job.source, target: job.target }], signal);
        await this.#o.results.append(job.session, { type: 'translation', seq: job.seq, lang: job.target, text: result?.text ?? '' });
        return;
      } catch (err) {
        const error = toEarshotError(err, 'mt_failed');
        this.logger.warn({ job: job.id, attempt, err: error.message }, 'mt job failed');
        // An unsupported pair will not start working on a retry.
        if (attempt >= this.#o.maxAttempts || error.code === 'unsupported_target' || signal.aborted) {
          await this.#o.results.append(job.session, { type: 'error', code: error.code === 'unsupported_target' ? error.code : 'mt_failed', message: `translation of segment ${job.seq} to ${job.target}: ${error.message}`, seq: job.seq, lang: job.target });
          this.failed += 1;
          return;
        }
      }
    }
  }
}
