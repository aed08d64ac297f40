/**
 * What a realtime session reports about itself, kept out of RealtimeSession so that stays about the protocol:
 *
 * - one trace per session: a `session` span, an `stt.enqueue` span per job (its traceparent rides in the job, so the
 *   runners' spans are its children), and a `final.deliver` / `translation.deliver` span per result, a child of
 *   the runner span that produced it (the result carries that traceparent), lasting from the result reaching this
 *   relay to the sequencer releasing it to the client;
 * - the end-of-speech→final latency: from the utterance's final job being queued to its final being sent;
 * - the per-stage latency of finals and translations (stage-latency.ts), and the session's summary of it.
 *
 * Runtime-neutral (Workers have no prom-client), so the latency goes to whatever observer the runtime supplies.
 */
import type { ServerEvent } from '../../shared/protocol.ts';
import type { SessionResult, SttJob } from '../../shared/queue/jobs.ts';
import {
  SpanKind,
  contextFrom,
  endSpan,
  traceparentOf,
  tracer,
  withSpan,
  type Context,
  type Span,
} from '../../shared/telemetry/tracing.ts';
import type { CatchUpAction } from './catch-up.ts';
import {
  AudioArrivals,
  DEFAULT_STAGE_BUDGETS,
  StageLatency,
  type Stage,
  type StageBudgets,
  type StageSummary,
} from './stage-latency.ts';

export interface SessionObserver {
  /** Seconds from an utterance's final job being queued to its final reaching the client. */
  finalLatency(seconds: number): void;
  /** Seconds a final or translation spent in one stage (stage-latency.ts). */
  stage?(stage: Stage, seconds: number): void;
  /** A catch-up action of a session that fell behind (catch-up.ts). */
  catchUp?(action: CatchUpAction): void;
  /** A client was disconnected for breaking a limit (`reason` is the error code). */
  cutOff?(reason: string): void;
}

export interface EnqueueTrace {
  /** For the job, so the runner's span continues this trace; undefined when tracing is off. */
  traceparent: string | undefined;
  settled(error?: unknown): void;
}

const resultKey = (r: { type: 'final'; seq: number } | { type: 'translation'; seq: number; lang: string }): string =>
  r.type === 'final' ? `final:${r.seq}` : `translation:${r.seq}:${r.lang}`;

export class SessionTelemetry {
  readonly #observer: SessionObserver | undefined;
  readonly #now: () => number;
  #span: Span | undefined;
  #context: Context | undefined;
  /** When each utterance's final job was queued, by segment. */
  readonly #queuedAt = new Map<number, number>();
  /** Delivery spans of results that reached the relay and wait for their turn. */
  readonly #relaying = new Map<string, { seq: number; span: Span; at: number }>();
  readonly #stages: StageLatency;
  readonly #arrivals = new AudioArrivals();
  /** When each final (rev 1) reached this relay, for the translation stage. */
  readonly #finalAt = new Map<number, number>();

  constructor(observer: SessionObserver | undefined, now: () => number, budgets: StageBudgets = DEFAULT_STAGE_BUDGETS) {
    this.#observer = observer;
    this.#now = now;
    this.#stages = new StageLatency(budgets, observer?.stage?.bind(observer));
  }

  /** Audio up to stream time `end` (seconds) has reached the edge, now. */
  heard(end: number): void {
    this.#arrivals.mark(end, this.#now());
  }

  /** This session's per-stage latency so far. */
  stageSummary(): Partial<Record<Stage, StageSummary>> {
    return this.#stages.summary();
  }

  started(session: string, attributes: { language: string; targets: string[]; resumed: boolean }): void {
    this.#span = tracer.startSpan('session', {
      kind: SpanKind.SERVER,
      attributes: {
        'earshot.session': session,
        'earshot.language': attributes.language,
        'earshot.targets': attributes.targets,
        'earshot.resumed': attributes.resumed,
      },
    });
    this.#context = withSpan(this.#span);
  }

  enqueuing(job: Pick<SttJob, 'id' | 'session' | 'segment' | 'kind'> & { end?: number }): EnqueueTrace {
    const span = tracer.startSpan(
      'stt.enqueue',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'earshot.session': job.session,
          'earshot.job': job.id,
          'earshot.segment': job.segment,
          'earshot.kind': job.kind,
        },
      },
      this.#context,
    );
    if (job.kind === 'final') {
      const now = this.#now();
      this.#queuedAt.set(job.segment, now);
      const heardAt = job.end === undefined ? undefined : this.#arrivals.at(job.end);
      if (heardAt !== undefined) this.#stages.record('vad', now - heardAt);
    }
    return { traceparent: traceparentOf(span), settled: (error) => endSpan(span, error) };
  }

  arrived(result: SessionResult): void {
    if (result.type !== 'final' && result.type !== 'translation') return;
    const key = resultKey(result);
    if (this.#relaying.has(key)) return; // redelivered while the first copy waits
    const now = this.#now();
    if ((result.rev ?? 1) === 1) this.#stagesOf(result, now);
    const span = tracer.startSpan(
      `${result.type}.deliver`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'earshot.seq': result.seq,
          ...(result.type === 'translation' ? { 'earshot.lang': result.lang } : {}),
        },
      },
      contextFrom(result.traceparent, this.#context),
    );
    this.#relaying.set(key, { seq: result.seq, span, at: now });
  }

  #stagesOf(result: Extract<SessionResult, { type: 'final' | 'translation' }>, now: number): void {
    if (result.type === 'translation') {
      const finalAt = this.#finalAt.get(result.seq);
      if (finalAt !== undefined) this.#stages.record('mt', now - finalAt);
      return;
    }
    // Only finals this connection queued: a resumed session's replayed history was timed by the connection before.
    const queuedAt = this.#queuedAt.get(result.seq);
    if (queuedAt === undefined) return;
    if (result.takenAt !== undefined) this.#stages.record('queue', result.takenAt - queuedAt);
    if (result.sttMs !== undefined) this.#stages.record('stt', result.sttMs);
    this.#finalAt.set(result.seq, now);
    // Translations follow their final closely; a long session must not keep every final's time.
    if (this.#finalAt.size > 512) this.#finalAt.delete(this.#finalAt.keys().next().value!);
  }

  delivered(event: ServerEvent): void {
    if (event.type !== 'final' && event.type !== 'translation') return;
    const key = resultKey(event);
    const relayed = this.#relaying.get(key);
    relayed?.span.end();
    if (relayed && (event.rev ?? 1) === 1) this.#stages.record('relay', this.#now() - relayed.at);
    this.#relaying.delete(key);
    if (event.type !== 'final') return;
    const queuedAt = this.#queuedAt.get(event.seq);
    if (queuedAt !== undefined) this.#observer?.finalLatency((this.#now() - queuedAt) / 1000);
    // Earlier utterances that had no words were released without a final: nothing more will come for them.
    for (const seq of this.#queuedAt.keys()) if (seq <= event.seq) this.#queuedAt.delete(seq);
    for (const [k, waiting] of this.#relaying) {
      if (waiting.seq < event.seq && k.startsWith('final:')) {
        waiting.span.setAttribute('earshot.empty', true);
        waiting.span.end();
        this.#relaying.delete(k);
      }
    }
  }

  ended(outcome: 'done' | 'closed'): void {
    for (const { span } of this.#relaying.values()) {
      span.setAttribute('earshot.delivered', false);
      span.end();
    }
    this.#relaying.clear();
    this.#queuedAt.clear();
    this.#span?.setAttribute('earshot.outcome', outcome);
    this.#span?.end();
    this.#span = undefined;
  }
}
