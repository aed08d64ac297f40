/**
 * The STT runner: takes batches of utterance jobs (from any number of sessions), transcribes them with one
 * engine call, appends partials and finals to each session's result log, and turns finals into MT jobs.
 */
import type { EarshotError } from '../shared/errors.ts';
import { mtJobId, sttJobId, type SttJob } from '../shared/queue/jobs.ts';
import type { MtQueue, ResultLog, SttQueue } from '../shared/queue/ports.ts';
import { metrics } from '../shared/metrics.ts';
import type { SttEngine, SttResult } from './engines/types.ts';
import type { SpeakerEmbedder } from './diarization/embedder.ts';
import { DEFAULT_SPEAKER_CLUSTERS } from '../shared/diarization/speaker-clusters.ts';
import type { HallucinationGuard } from './guard/hallucination-guard.ts';
import { mtGlossary, spellTerms } from './glossary-terms.ts';
import { JobTimings } from './job-timings.ts';
import { RunnerLoop, type JobContext, type RunnerLoopOptions } from './runner-loop.ts';
import { watchForFirstPassWork } from './second-pass-yield.ts';

export interface SttRunnerOptions extends Omit<RunnerLoopOptions<SttJob>, 'role' | 'failureCode' | 'queue'> {
  /** Also translate partial snapshots (behind every final in the MT queue). */
  translatePartials?: boolean;
  queue: SttQueue;
  /** Null when translation is off. */
  mtQueue: MtQueue | null;
  results: ResultLog;
  engine: SttEngine;
  /** Source language when a session names none. */
  defaultLanguage: string;
  /**
   * Second pass: `always` decodes every final fast, publishes it, then re-decodes it at full effort and publishes a
   * correction (rev 2) when the text changed; `behind` does so only for finals decoded fast to catch up; `off` never.
   */
  twoPass?: 'off' | 'behind' | 'always';
  /** A second pass queued longer than this is skipped (its first pass stands); undefined: never skipped. */
  refineMaxAgeMs?: number;
  /** Catch-up: finals that waited in the queue longer than this are decoded at `fast` effort. Undefined: never. */
  queueBudgetMs?: number;
  /**
   * Encoder windows (engines with `fitsWindows`): partials are always fitted; `fit` fits finals too; `full` decodes
   * finals in full windows; `auto` decodes finals fitted and queues a full-window second pass (rev 2) behind them,
   * which a busy runner skips after `refineMaxAgeMs` (and `twoPass: 'off'` never queues). Default `full`.
   */
  window?: 'fit' | 'full' | 'auto';
  /**
   * `auto`'s full-window second passes this runner keeps queued or in work at once (default 1), which bounds the
   * memory and the 30 s encodes they may take (a running one yields to first-pass work, `yieldSecondPasses`);
   * finals decoded while it is busy keep their fitted text (no `revision` promised). Second passes that catch up
   * after `fast` decodes are not limited.
   */
  maxWindowRefines?: number;
  /**
   * Second passes (except with `twoPass: 'always'`) give way to first-pass work (second-pass-yield.ts): a batch of
   * them is abandoned at the next decoder step when finals or partials are waiting, and its first passes stand.
   * Default true.
   */
  yieldSecondPasses?: boolean;
  /** Withholds likely invented text (counted in earshot_stt_suppressed_total); absent: every output is published. */
  guard?: HallucinationGuard | null;
  /** Gives each final a speaker voiceprint (diarization), beside the engine; absent: finals carry none. */
  embedder?: SpeakerEmbedder | null;
}

/** Longest wait for a batch's speaker voiceprints (they take milliseconds per second of audio). */
const VOICEPRINT_TIMEOUT_MS = 5000;

/** Sessions whose previous text a runner keeps (a few hundred bytes each). */
const MAX_REMEMBERED_SESSIONS = 10_000;

export class SttRunner extends RunnerLoop<SttJob> {
  readonly #o: SttRunnerOptions;
  /**
   * Each session's latest final text, the context engines condition the next utterance on. Best effort: in a
   * fleet a session's utterances spread over runners, and each knows only the finals it produced.
   */
  readonly #previous = new Map<string, string>();
  readonly #timings: JobTimings;
  /** Each job's engine result, from the engine call to its publication, for the guard. */
  readonly #heard = new WeakMap<SttJob, SttResult>();
  /** Each final's voiceprint, from the embedder call to its publication. */
  readonly #voices = new WeakMap<SttJob, number[]>();
  /** `auto`'s full-window second passes queued by this runner and not yet settled: job id → queued at. */
  readonly #windowRefines = new Map<string, number>();
  /** Second passes this runner queued and no runner has taken yet (job id → queued at): not first-pass work. */
  readonly #refinesWaiting = new Map<string, number>();

  constructor(options: SttRunnerOptions) {
    super({ ...options, role: 'stt', failureCode: 'stt_failed' });
    this.#o = options;
    this.#timings = new JobTimings(options.queueBudgetMs);
  }

  get engineName(): string {
    return this.#o.engine.name;
  }

  protected override async runEngine(batch: SttJob[]): Promise<string[]> {
    // A second pass that waited too long (the runners stayed busy) is given up: its first pass stands as rev 2.
    // Otherwise a long overloaded session would end with a backlog of second passes that `done` waits for.
    const now = Date.now();
    for (const job of batch) this.#refinesWaiting.delete(job.id);
    const stale = new Set(
      batch.filter((job) => job.kind === 'refine' && now - job.enqueuedAt > (this.#o.refineMaxAgeMs ?? Infinity)),
    );
    if (stale.size > 0) metrics.sttRevisions.inc({ changed: 'skipped' }, stale.size);
    const fresh = batch.filter((job) => !stale.has(job));
    // Second passes run when capacity allows (`auto`'s window ones, catch-up's) and yield; with `two-pass always`
    // every final's correction was asked for, and it runs as before.
    const yields =
      this.#o.yieldSecondPasses !== false &&
      this.#o.twoPass !== 'always' &&
      fresh.length > 0 &&
      fresh.every((job) => job.kind === 'refine');
    const texts = fresh.length === 0 ? [] : yields ? await this.#secondPasses(fresh) : await this.#transcribe(fresh);
    return batch.map((job) => (stale.has(job) ? (job.draft ?? '') : texts.shift()!));
  }

  /** Second passes that give way to first-pass work arriving meanwhile: then their first passes stand. */
  async #secondPasses(batch: SttJob[]): Promise<string[]> {
    const watch = watchForFirstPassWork(this.#o.queue, () => this.#refinesWaiting.size);
    try {
      await watch.settle();
      if (!watch.yielded) return await this.#transcribe(batch, watch.signal);
    } catch (err) {
      if (!watch.yielded) throw err;
    } finally {
      watch.stop();
    }
    metrics.sttRevisions.inc({ changed: 'skipped' }, batch.length);
    this.logger.debug({ jobs: batch.map((job) => job.id) }, 'second pass yielded to first-pass work');
    return batch.map((job) => job.draft ?? '');
  }

  async #transcribe(batch: SttJob[], signal?: AbortSignal): Promise<string[]> {
    this.#timings.taken(batch);
    const requests = batch.map((job) => ({
      id: job.id,
      pcm: job.pcm,
      language: job.language,
      partial: job.kind === 'partial',
      prompt: this.#previous.get(job.session),
      effort: this.effortFor(job),
      window: this.windowFor(job),
      glossary: job.glossary,
    }));
    const kinds = new Set(batch.map((job) => job.kind));
    const timer = metrics.sttDuration.startTimer({ kind: kinds.size > 1 ? 'mixed' : batch[0]!.kind });
    try {
      const voiced = this.#voiced(batch);
      const results = await this.#o.engine.transcribe(requests, signal);
      await voiced;
      results.forEach((r, i) => this.#heard.set(batch[i]!, r));
      return results.map((r) => r.text);
    } finally {
      this.#timings.decoded(batch, timer() * 1000);
    }
  }

  /**
   * Voiceprints of the batch's finals, computed while the engine decodes (on the embedder's own thread). Best
   * effort: a failed embedder costs the finals their speaker label, never their text.
   */
  async #voiced(batch: SttJob[]): Promise<void> {
    const embedder = this.#o.embedder;
    const finals = batch.filter((job) => job.kind === 'final');
    if (!embedder || finals.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      // Bounded: a stuck embedder must not hold the batch's captions.
      const late = new Promise<never>(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`no voiceprints within ${VOICEPRINT_TIMEOUT_MS} ms`)),
            VOICEPRINT_TIMEOUT_MS,
          )),
      );
      const voices = await Promise.race([embedder.embed(finals.map((job) => job.pcm)), late]);
      finals.forEach((job, i) => {
        const voice = voices[i];
        // Three decimals: the clustering needs no more, and the log keeps each final small.
        if (voice && voice.length > 0)
          this.#voices.set(
            job,
            Array.from(voice, (x) => Math.round(x * 1000) / 1000),
          );
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'speaker voiceprints failed; finals go out without speakers');
    } finally {
      clearTimeout(timer);
    }
  }

  /** How hard the engine works on a job: a second pass always at full effort; a first pass fast when two-pass says so. */
  protected effortFor(job: SttJob): 'fast' | 'full' {
    if (job.kind === 'final' && (this.#o.twoPass === 'always' || this.#timings.late(job))) return 'fast';
    return 'full';
  }

  /** The encoder window of a job: partials fitted, first passes as the policy says, second passes full unless `fit`. */
  protected windowFor(job: SttJob): 'fit' | 'full' {
    const policy = this.#o.window ?? 'full';
    if (job.kind === 'partial') return 'fit';
    if (job.window === 'full') return 'full';
    if (job.kind === 'refine') return policy === 'fit' ? 'fit' : 'full';
    return policy === 'full' ? 'full' : 'fit';
  }

  /**
   * Whether a final gets a second pass: decoded fast to catch up, or (`auto`) decoded in a fitted window while the
   * runner has room for another full window. Entries past `refineMaxAgeMs` are forgotten (another runner in a fleet
   * may have settled them, or they are skipped as stale).
   */
  #refines(job: SttJob, effort: 'fast' | 'full'): boolean {
    if (this.#o.twoPass === undefined || this.#o.twoPass === 'off') return false;
    if (effort === 'fast') return true;
    if (this.#o.window !== 'auto' || this.#o.engine.fitsWindows !== true || job.window === 'full') return false;
    const now = Date.now();
    for (const [id, at] of this.#windowRefines)
      if (now - at > (this.#o.refineMaxAgeMs ?? 30_000)) this.#windowRefines.delete(id);
    if (this.#windowRefines.size >= (this.#o.maxWindowRefines ?? 1)) return false;
    this.#windowRefines.set(sttJobId(job.session, job.segment, 'refine'), now);
    return true;
  }

  protected override async publish(job: SttJob, rawText: string, context: JobContext): Promise<void> {
    const heardTokens = this.#heard.get(job)?.tokens;
    const text = spellTerms(this.#guarded(job, rawText, context), job.glossary ?? []);
    // Token ids describe the engine's text: only when it is published as decoded (not withheld, not respelled).
    const tokens = job.withTokens && heardTokens && text && text === rawText.trim() ? { tokens: heardTokens } : {};
    const { session } = job;
    const { traceparent } = context;
    if (job.kind === 'refine') return this.#publishRevision(job, text, context, tokens);
    if (job.kind === 'partial') {
      if (!text) return;
      await this.#o.results.append(session, {
        type: 'partial',
        segment: job.segment,
        text,
        start: job.start,
        ...(job.rev ? { rev: job.rev } : {}),
      });
      if (this.#o.translatePartials && this.#o.mtQueue) {
        for (const target of job.targets) {
          const partial = {
            id: mtJobId(session, job.segment, target, 'partial'),
            kind: 'partial' as const,
            session,
            seq: job.segment,
            text,
            source: job.language ?? this.#o.defaultLanguage,
            target,
            enqueuedAt: Date.now(),
            start: job.start,
            traceparent,
            ...mtGlossary(job, target),
          };
          await this.#o.mtQueue.add(partial);
        }
      }
      return;
    }
    const targets = text && this.#o.mtQueue ? job.targets : [];
    const effort = this.effortFor(job);
    const refine = this.#refines(job, effort);
    // MT jobs first: if this runner dies between the two steps the final is redelivered, and deterministic MT job
    // ids make the second enqueue a no-op, whereas a final without its MT jobs would owe translations forever.
    for (const target of targets) {
      await this.#o.mtQueue!.add({
        id: mtJobId(session, job.segment, target),
        session,
        seq: job.segment,
        text,
        source: job.language ?? this.#o.defaultLanguage,
        target,
        enqueuedAt: Date.now(),
        traceparent,
        ...mtGlossary(job, target),
        ...(job.speak?.includes(target) ? { speak: true } : {}),
      });
    }
    // The second pass is queued before the final promises it, for the same reason.
    if (refine) {
      const id = sttJobId(session, job.segment, 'refine');
      this.#noteRefineWaiting(id);
      await this.#o.queue.add({ ...job, id, kind: 'refine', draft: text, enqueuedAt: Date.now(), traceparent });
    }
    const voice = text ? this.#voices.get(job) : undefined;
    const threshold = this.#o.embedder?.threshold;
    const voiced = voice
      ? {
          voice,
          ...(threshold !== undefined && threshold !== DEFAULT_SPEAKER_CLUSTERS.threshold
            ? { voiceThreshold: threshold }
            : {}),
        }
      : {};
    await this.#o.results.append(session, {
      type: 'final',
      seq: job.segment,
      text,
      start: job.start,
      end: job.end,
      targets,
      traceparent,
      ...tokens,
      ...this.#timings.of(job, effort),
      ...(refine ? { revision: true } : {}),
      ...voiced,
    });
    this.#remember(session, text);
  }

  /** The second pass's text becomes rev 2 of the final; its translations follow only if the text changed. */
  async #publishRevision(
    job: SttJob,
    text: string,
    { traceparent }: JobContext,
    tokens: { tokens?: number[] },
  ): Promise<void> {
    const { session } = job;
    this.#windowRefines.delete(job.id);
    const changed = text !== (job.draft ?? '');
    metrics.sttRevisions.inc({ changed: String(changed) });
    const targets = changed && text && this.#o.mtQueue ? job.targets : [];
    for (const target of targets) {
      await this.#o.mtQueue!.add({
        id: mtJobId(session, job.segment, target, 'final', 2),
        session,
        seq: job.segment,
        rev: 2,
        text,
        source: job.language ?? this.#o.defaultLanguage,
        target,
        enqueuedAt: Date.now(),
        traceparent,
        ...mtGlossary(job, target),
        ...(job.speak?.includes(target) ? { speak: true } : {}),
      });
    }
    await this.#o.results.append(session, {
      type: 'final',
      seq: job.segment,
      rev: 2,
      text,
      start: job.start,
      end: job.end,
      targets,
      traceparent,
      ...tokens,
    });
    if (changed) this.#remember(session, text);
  }

  /**
   * The text to publish: empty when the guard judges it invented. A withheld final still goes out (empty), so its
   * seq is settled and the client sees no gap; a withheld partial is simply not sent.
   */
  #guarded(job: SttJob, rawText: string, { log }: JobContext): string {
    const heard = this.#heard.get(job);
    this.#heard.delete(job);
    const guard = this.#o.guard;
    if (!guard) return rawText.trim();
    const verdict = guard.judge({
      text: rawText,
      language: heard?.language ?? job.language ?? this.#o.defaultLanguage,
      pcm: job.pcm,
      noSpeechProb: heard?.noSpeechProb,
      avgLogprob: heard?.avgLogprob,
      withheld: heard?.withheld,
    });
    if (!verdict.reason) return verdict.text;
    metrics.sttSuppressed.inc({ reason: verdict.reason, kind: job.kind });
    log.debug(
      { reason: verdict.reason, kind: job.kind, segment: job.segment, text: verdict.suppressed },
      'stt output suppressed',
    );
    return '';
  }

  /** Entries older than `refineMaxAgeMs` are forgotten (another runner of a fleet took them, or they went stale). */
  #noteRefineWaiting(id: string): void {
    const now = Date.now();
    for (const [known, at] of this.#refinesWaiting)
      if (now - at > (this.#o.refineMaxAgeMs ?? 30_000)) this.#refinesWaiting.delete(known);
    this.#refinesWaiting.set(id, now);
  }

  #remember(session: string, text: string): void {
    if (!text) return;
    this.#previous.delete(session); // re-insert: the map's order is least recently used first
    this.#previous.set(session, text);
    if (this.#previous.size > MAX_REMEMBERED_SESSIONS) this.#previous.delete(this.#previous.keys().next().value!);
  }

  protected override async onDead(job: SttJob, error: EarshotError): Promise<void> {
    // A second pass that cannot run keeps the first: rev 2 repeats it, which settles the final's promise.
    if (job.kind === 'refine') {
      this.#windowRefines.delete(job.id);
      await this.#o.results.append(job.session, {
        type: 'final',
        seq: job.segment,
        rev: 2,
        text: job.draft ?? '',
        start: job.start,
        end: job.end,
        targets: [],
      });
      return;
    }
    // Partials are best effort; a final that cannot be transcribed is reported in its place.
    if (job.kind !== 'final') return;
    await this.#o.results.append(job.session, {
      type: 'error',
      code: 'stt_failed',
      message: `segment ${job.segment} could not be transcribed: ${error.message}`,
      seq: job.segment,
    });
  }
}
