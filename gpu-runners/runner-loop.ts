/**
 * The loop every runner shares: take a batch, run the engine once on it, publish each result, and tell the queue
 * which jobs succeeded and which failed (the queue decides on retries and the dead-letter set). `stop()` drains:
 * the batch in hand is finished before the loop returns.
 */
import { toEarshotError, type EarshotError, type ErrorCode } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { JobQueue } from '../shared/queue/ports.ts';
import {
  SpanKind,
  contextFrom,
  endSpan,
  linkTo,
  traceparentOf,
  tracer,
  type Span,
} from '../shared/telemetry/tracing.ts';

export type RunnerState = 'idle' | 'running' | 'stopping' | 'stopped';

export interface RunnerLoopOptions<J> {
  role: string;
  queue: JobQueue<J>;
  batchSize: number;
  /** After the first job arrives, how long to wait for more to fill the batch (latency traded for throughput). */
  maxWaitMs: number;
  logger: Logger;
  /** Error code for engine failures that carry none. */
  failureCode: ErrorCode;
  /** Fault injection for tests and chaos drills: jobs whose id matches fail without reaching the engine. */
  failJobs?: RegExp;
}

/** What a runner knows about one job while it works on it. */
export interface JobContext {
  /** Carries the job's session and id: every line about a job can be found from either. */
  log: Logger;
  /** The runner's span for this job, for results and follow-up jobs (the edge's, when tracing is off here). */
  traceparent: string | undefined;
}

interface TracedJob {
  span: Span;
  context: JobContext;
}

export abstract class RunnerLoop<J extends { id: string; session: string; traceparent?: string }> {
  readonly role: string;
  protected readonly logger: Logger;
  processed = 0;
  failed = 0;
  dead = 0;
  lastBatchAt: number | undefined;
  #state: RunnerState = 'idle';
  #loop: Promise<void> | undefined;
  readonly #stop = new AbortController();
  readonly #o: RunnerLoopOptions<J>;

  constructor(options: RunnerLoopOptions<J>) {
    this.#o = options;
    this.role = options.role;
    this.logger = options.logger.child({ runner: options.role });
  }

  get state(): RunnerState {
    return this.#state;
  }

  start(): void {
    if (this.#loop) return;
    this.#state = 'running';
    this.#loop = this.#run();
  }

  /** Finishes the batch in hand, takes no more. */
  async stop(): Promise<void> {
    if (this.#state === 'running') this.#state = 'stopping';
    this.#stop.abort();
    await this.#loop;
    this.#state = 'stopped';
  }

  /** Runs the engine on a batch: one output per job, in order. May throw for the whole batch. */
  protected abstract runEngine(batch: J[]): Promise<string[]>;
  /** Makes a job's output visible (result log, follow-up jobs). */
  protected abstract publish(job: J, output: string, context: JobContext): Promise<void>;
  /** A job failed every attempt: tell its session, never leave a silent gap. */
  protected abstract onDead(job: J, error: EarshotError, context: JobContext): Promise<void>;

  async #collect(signal: AbortSignal): Promise<J[]> {
    const { queue, batchSize, maxWaitMs } = this.#o;
    const batch = await queue.take(batchSize, signal);
    if (batch.length === 0 || batch.length >= batchSize || maxWaitMs <= 0) return batch;
    // Not AbortSignal.any([signal, AbortSignal.timeout(ms)]): on Node 20 the timeout signal can be garbage-collected
    // during the wait, which then never ends. The timer's closure keeps this controller alive.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), maxWaitMs);
    const onStop = () => deadline.abort();
    signal.addEventListener('abort', onStop, { once: true });
    try {
      while (batch.length < batchSize && !deadline.signal.aborted)
        batch.push(...(await queue.take(batchSize - batch.length, deadline.signal)));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
    return batch;
  }

  /** One output or error per job: a bad job must not fail its neighbours, so a failed batch is retried one by one. */
  async #outputs(batch: J[]): Promise<(string | EarshotError)[]> {
    const { failJobs, failureCode } = this.#o;
    const injected = (job: J) => failJobs?.test(job.id) ?? false;
    const healthy = batch.filter((job) => !injected(job));
    let outputs: (string | EarshotError)[] = [];
    try {
      outputs = healthy.length > 0 ? await this.runEngine(healthy) : [];
    } catch (err) {
      if (healthy.length === 1) outputs = [toEarshotError(err, failureCode)];
      else {
        outputs = [];
        for (const job of healthy)
          outputs.push(
            await this.runEngine([job]).then(
              (o) => o[0] ?? '',
              (e: unknown) => toEarshotError(e, failureCode),
            ),
          );
      }
    }
    const byJob = new Map(
      healthy.map((job, i) => [job, outputs[i] ?? toEarshotError(new Error('engine returned no result'), failureCode)]),
    );
    return batch.map(
      (job) => byJob.get(job) ?? toEarshotError(new Error(`injected failure for ${job.id}`), failureCode),
    );
  }

  /**
   * A span per job, the child of the edge's enqueue span (the job's traceparent), and one per batch, whose engine
   * call they share. A batch mixes sessions, so its span links every job; its parent is the first job's, which
   * keeps a lone session's trace whole (OpenTelemetry's batch-receive pattern, with a parent chosen for that).
   */
  #trace(batch: J[]): { batchSpan: Span; traced: TracedJob[] } {
    const batchSpan = tracer.startSpan(
      `${this.role}.batch`,
      { attributes: { 'earshot.batch.size': batch.length }, links: batch.flatMap((job) => linkTo(job.traceparent)) },
      contextFrom(batch[0]?.traceparent),
    );
    const traced = batch.map((job) => {
      const span = tracer.startSpan(
        `${this.role}.job`,
        {
          kind: SpanKind.CONSUMER,
          attributes: { 'earshot.session': job.session, 'earshot.job': job.id },
          links: [{ context: batchSpan.spanContext() }],
        },
        contextFrom(job.traceparent),
      );
      return {
        span,
        context: {
          log: this.logger.child({ session: job.session, job: job.id }),
          traceparent: traceparentOf(span) ?? job.traceparent,
        },
      };
    });
    return { batchSpan, traced };
  }

  async #run(): Promise<void> {
    const { queue } = this.#o;
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      let batch: J[];
      try {
        batch = await this.#collect(signal);
        failures = 0;
      } catch (err) {
        // The queue is unreachable (Redis restarting): back off and try again; held jobs are redelivered anyway.
        this.logger.warn({ err: (err as Error).message }, 'cannot take jobs; retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** Math.min(failures++, 6))));
        continue;
      }
      if (batch.length === 0) continue;
      const started = performance.now();
      const { batchSpan, traced } = this.#trace(batch);
      const outputs = await this.#outputs(batch);
      for (const [i, job] of batch.entries()) {
        const output = outputs[i]!;
        const { span, context } = traced[i]!;
        try {
          if (typeof output === 'string') {
            await this.publish(job, output, context);
            await queue.complete(job);
            this.processed += 1;
            endSpan(span);
            context.log.debug({ ms: Math.round(performance.now() - started) }, 'job done');
            continue;
          }
          this.failed += 1;
          endSpan(span, output);
          // An unexpected error reaches the session as a generic message with a ref; its details are logged here.
          context.log.warn(
            {
              code: output.code,
              err: output.ref ? output.cause : output.message,
              ...(output.ref ? { ref: output.ref } : {}),
            },
            'job failed',
          );
          if (await queue.fail(job, output)) {
            this.dead += 1;
            await this.onDead(job, output, context);
          }
        } catch (err) {
          // Publishing failed (queue or log unreachable): the job stays with the queue, which redelivers it.
          endSpan(span, err);
          context.log.error({ err }, 'could not settle job');
        }
      }
      batchSpan.end();
      this.lastBatchAt = Date.now();
      this.logger.debug({ jobs: batch.map((j) => j.id), ms: Math.round(performance.now() - started) }, 'batch done');
    }
  }
}
