/** The MT runner: translates final captions, batched across sessions, and appends translations to each session's log. */
import type { EarshotError } from '../shared/errors.ts';
import type { MtJob } from '../shared/queue/jobs.ts';
import type { MtQueue, ResultLog } from '../shared/queue/ports.ts';
import { metrics } from '../shared/metrics.ts';
import type { MtEngine } from './engines/types.ts';
import { shieldTerms } from './glossary-terms.ts';
import { RunnerLoop, type JobContext, type RunnerLoopOptions } from './runner-loop.ts';

export interface MtRunnerOptions extends Omit<RunnerLoopOptions<MtJob>, 'role' | 'failureCode' | 'queue'> {
  queue: MtQueue;
  results: ResultLog;
  engine: MtEngine;
}

export class MtRunner extends RunnerLoop<MtJob> {
  readonly #o: MtRunnerOptions;

  constructor(options: MtRunnerOptions) {
    super({ ...options, role: 'mt', failureCode: 'mt_failed' });
    this.#o = options;
  }

  get engineName(): string {
    return this.#o.engine.name;
  }

  protected override async runEngine(batch: MtJob[]): Promise<string[]> {
    // Glossary terms travel through the engine as placeholders and come back as their fixed translations.
    const shielded = batch.map((j) => shieldTerms(j.text, j.glossary ?? []));
    const requests = batch.map((j, i) => ({ id: j.id, text: shielded[i]!.text, source: j.source, target: j.target }));
    metrics.translationBatchSize.observe(batch.length);
    return (await this.#o.engine.translate(requests)).map((r, i) => shielded[i]!.restore(r.text));
  }

  protected override async publish(job: MtJob, text: string, { traceparent }: JobContext): Promise<void> {
    if (job.kind === 'partial') {
      await this.#o.results.append(job.session, { type: 'partial_translation', segment: job.seq, lang: job.target, text, start: job.start ?? 0 });
      return;
    }
    await this.#o.results.append(job.session, { type: 'translation', seq: job.seq, lang: job.target, text, traceparent, ...(job.rev ? { rev: job.rev } : {}) });
  }

  protected override async onDead(job: MtJob, error: EarshotError): Promise<void> {
    if (job.kind === 'partial') return; // best effort
    const code = error.code === 'unsupported_target' ? error.code : 'mt_failed';
    await this.#o.results.append(job.session, { type: 'error', code, message: `translation of segment ${job.seq} to ${job.target} failed: ${error.message}`, seq: job.seq, lang: job.target, ...(job.rev ? { rev: job.rev } : {}) });
  }
}
