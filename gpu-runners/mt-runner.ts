/** The MT runner: translates final captions, batched across sessions, and appends translations to each session's log. */
import type { EarshotError } from '../shared/errors.ts';
import { ttsJobId, type MtJob } from '../shared/queue/jobs.ts';
import type { MtQueue, ResultLog, TtsQueue } from '../shared/queue/ports.ts';
import { metrics } from '../shared/metrics.ts';
import type { MtEngine } from './engines/types.ts';
import { shieldTerms } from './glossary-terms.ts';
import { RunnerLoop, type JobContext, type RunnerLoopOptions } from './runner-loop.ts';

export interface MtRunnerOptions extends Omit<RunnerLoopOptions<MtJob>, 'role' | 'failureCode' | 'queue'> {
  queue: MtQueue;
  results: ResultLog;
  engine: MtEngine;
  /** Where spoken translations go (TTS); absent or null: nothing is spoken. */
  ttsQueue?: TtsQueue | null;
  /**
   * Back-pressure: with this many TTS jobs waiting, a translation is not spoken (its listeners get `tts_failed`)
   * rather than queued behind minutes of audio. Default 64.
   */
  maxTtsWaiting?: number;
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
      await this.#o.results.append(job.session, {
        type: 'partial_translation',
        segment: job.seq,
        lang: job.target,
        text,
        start: job.start ?? 0,
      });
      return;
    }
    const speak = Boolean(job.speak && text && this.#o.ttsQueue);
    await this.#o.results.append(job.session, {
      type: 'translation',
      seq: job.seq,
      lang: job.target,
      text,
      traceparent,
      ...(job.rev ? { rev: job.rev } : {}),
      ...(speak ? { speak } : {}),
    });
    // After the translation is in the log, so its audio always follows it there; a redelivered job adds the same id.
    if (speak) await this.#speak(job, text, traceparent);
  }

  async #speak(job: MtJob, text: string, traceparent: string | undefined): Promise<void> {
    const queue = this.#o.ttsQueue!;
    const rev = job.rev ? { rev: job.rev } : {};
    if ((await queue.stats()).waiting >= (this.#o.maxTtsWaiting ?? 64)) {
      metrics.ttsSkipped.inc();
      await this.#o.results.append(job.session, {
        type: 'error',
        code: 'tts_failed',
        message: `segment ${job.seq} in ${job.target} is not spoken: the voices are behind`,
        seq: job.seq,
        lang: job.target,
        audio: true,
        ...rev,
      });
      return;
    }
    await queue.add({
      id: ttsJobId(job.session, job.seq, job.target, job.rev),
      session: job.session,
      seq: job.seq,
      lang: job.target,
      text,
      enqueuedAt: Date.now(),
      traceparent,
      ...rev,
    });
  }

  protected override async onDead(job: MtJob, error: EarshotError): Promise<void> {
    if (job.kind === 'partial') return; // best effort
    const code = error.code === 'unsupported_target' ? error.code : 'mt_failed';
    await this.#o.results.append(job.session, {
      type: 'error',
      code,
      message: `translation of segment ${job.seq} to ${job.target} failed: ${error.message}`,
      seq: job.seq,
      lang: job.target,
      ...(job.rev ? { rev: job.rev } : {}),
    });
  }
}
