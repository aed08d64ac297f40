/**
 * The STT runner of the streaming lane. Besides ordinary jobs (handed to SttRunner), it serves jobs that carry
 * `stream`: a session's partials bring only the utterance's new audio, fed to the decoder state this runner holds
 * for the session's open utterance, and read back as a partial for the cost of that audio; its final feeds the
 * rest and closes the state. A final whose state is not here (the session moved from a runner that died, drained or
 * was full, or the state was evicted) is decoded whole through the engine's stream decode, which gives the text
 * the state would have: no runner's failure changes a transcript.
 *
 * One instance reads the runner's own queue (StreamRoutes) and another the shared queue, where finals reclaimed
 * from gone runners arrive; they share the engine and its states (a StreamStates).
 */
import { metrics } from '../../shared/metrics.ts';
import type { SttJob } from '../../shared/queue/jobs.ts';
import type { SttStream, SttStreaming } from '../engines/types.ts';
import { SttRunner, type SttRunnerOptions } from '../stt-runner.ts';

interface HeldState {
  session: string;
  /** The utterance: its number and start (an utterance dropped as too short leaves its number to the next). */
  segment: number;
  start: number;
  stream: SttStream;
  usedAt: number;
}

/** The decoder states of one runner, one per session with an open utterance, bounded by the engine's maxStreams. */
export class StreamStates {
  readonly streaming: SttStreaming;
  readonly #states = new Map<string, HeldState>();
  readonly #idleMs: number;
  readonly #sweeper: ReturnType<typeof setInterval>;

  /** `idleMs`: a state not fed this long is given up (its session moved away or ended without a final here). */
  constructor(streaming: SttStreaming, idleMs = 30_000) {
    this.streaming = streaming;
    this.#idleMs = idleMs;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, idleMs / 3));
    this.#sweeper.unref();
  }

  get held(): number {
    return this.#states.size;
  }

  /**
   * Serves one stream job: the text to publish ('' for a partial that cannot be served, or whose text is not
   * wanted (`read` false: a newer one is queued behind it): it is skipped).
   */
  async serve(job: SttJob, read = true): Promise<string> {
    return job.kind === 'final' ? this.#final(job) : this.#partial(job, read);
  }

  async #partial(job: SttJob, read: boolean): Promise<string> {
    const offset = job.stream?.offset ?? 0;
    let state = this.#states.get(job.session);
    if (state && job.segment < state.segment) {
      // A late partial of an utterance already over: nothing to show.
      metrics.sttStreamJobs.inc({ outcome: 'skipped' });
      return '';
    }
    if (state && (state.segment !== job.segment || state.start !== job.start || offset === 0)) {
      // A new utterance (its previous one's final went elsewhere) or a resend from the start: begin again.
      await this.#drop(state);
      state = undefined;
    }
    if (!state) {
      const stream = offset === 0 ? await this.streaming.open() : null;
      if (!stream) {
        // Full (or the start of this utterance went to another runner): no partial; the final is rebuilt whole.
        metrics.sttStreamJobs.inc({ outcome: 'skipped' });
        return '';
      }
      state = { session: job.session, segment: job.segment, start: job.start, stream, usedAt: Date.now() };
      this.#states.set(job.session, state);
    }
    if (state.stream.fed !== offset) {
      metrics.sttStreamJobs.inc({ outcome: 'skipped' });
      return '';
    }
    state.usedAt = Date.now();
    try {
      await state.stream.feed(job.pcm);
      metrics.sttStreamJobs.inc({ outcome: 'fed' });
      return read ? await state.stream.hypothesis() : '';
    } catch (err) {
      await this.#drop(state);
      throw err;
    }
  }

  async #final(job: SttJob): Promise<string> {
    const state = this.#states.get(job.session);
    if (state && state.segment === job.segment && state.start === job.start && state.stream.fed <= job.pcm.length) {
      this.#states.delete(job.session);
      try {
        await state.stream.feed(job.pcm.subarray(state.stream.fed));
        const text = await state.stream.finish();
        metrics.sttStreamJobs.inc({ outcome: 'finished' });
        return text;
      } finally {
        await state.stream.close();
      }
    }
    if (state && state.segment <= job.segment) await this.#drop(state);
    metrics.sttStreamJobs.inc({ outcome: 'rebuilt' });
    return this.streaming.decode(job.pcm);
  }

  async #drop(state: HeldState): Promise<void> {
    if (this.#states.get(state.session) === state) this.#states.delete(state.session);
    await state.stream.close().catch(() => undefined);
  }

  #sweep(): void {
    const now = Date.now();
    for (const state of this.#states.values()) if (now - state.usedAt > this.#idleMs) void this.#drop(state);
  }

  /** Gives every state up (the runner stops; its sessions' finals are rebuilt wherever they go). */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#states.values()].map((s) => this.#drop(s)));
  }
}

export interface LaneSttRunnerOptions extends SttRunnerOptions {
  states: StreamStates;
}

export class LaneSttRunner extends SttRunner {
  readonly #states: StreamStates;

  constructor(options: LaneSttRunnerOptions) {
    super(options);
    this.#states = options.states;
  }

  protected override async runEngine(batch: SttJob[]): Promise<string[]> {
    const streamed = batch.filter((job) => job.stream);
    if (streamed.length === 0) return super.runEngine(batch);
    const others = batch.filter((job) => !job.stream);
    const [otherTexts, streamTexts] = await Promise.all([
      others.length > 0 ? super.runEngine(others) : [],
      this.#serve(streamed),
    ]);
    return batch.map((job) => (job.stream ? streamTexts.get(job)! : otherTexts.shift()!));
  }

  /** A session's jobs one after another, in queue order; different sessions at once (each has its own decoder). */
  async #serve(jobs: SttJob[]): Promise<Map<SttJob, string>> {
    const bySession = new Map<string, SttJob[]>();
    for (const job of jobs) bySession.set(job.session, [...(bySession.get(job.session) ?? []), job]);
    const texts = new Map<SttJob, string>();
    const timer = metrics.sttDuration.startTimer({ kind: 'stream' });
    try {
      await Promise.all(
        [...bySession.values()].map(async (list) => {
          // Behind (several partials of a session in one batch): feed them all, read back only the newest.
          const newest = list.findLast((job) => job.kind === 'partial');
          for (const job of list)
            texts.set(job, await this.#states.serve(job, job.kind !== 'partial' || job === newest));
        }),
      );
    } finally {
      timer();
    }
    return texts;
  }

  /** Stream jobs are never decoded fast: their cost is already only the new audio. */
  protected override effortFor(job: SttJob): 'fast' | 'full' {
    return job.stream ? 'full' : super.effortFor(job);
  }
}
