/**
 * Turns a session's result log (which runners append to in any order) into what the client is promised:
 * finals in `seq` order, each exactly once, each translation after its final, partials only while they are news.
 * It also knows when a stopped session has received everything, so the relay can send `done`.
 *
 * Protocol v1.1 (`revisions`): a final may be corrected later (a second pass, rev 2). The correction goes out as a
 * final with the same seq and a higher rev, followed by its translations; translations of an older rev are then
 * stale and dropped. v1 clients never see a correction: they keep rev 1 and its translations, exactly as before.
 */
import type { SessionResult } from '../../shared/queue/jobs.ts';
import type { CaptionEvent as ServerEvent } from '../../shared/protocol.ts';
import { SpeakerLabels } from '../../shared/diarization/speaker-labels.ts';

type FinalResult = Extract<SessionResult, { type: 'final' }>;

interface Later {
  lang: string;
  rev: number;
  event: ServerEvent;
}

interface PendingSegment {
  final?: FinalResult;
  failed?: Extract<SessionResult, { type: 'error' }>;
  /** Translations (or translation errors) waiting for their final to be released. */
  later: Later[];
}

export interface SequencerOptions {
  /** v1.1: send corrected finals and tag captions with `rev` (and partials with their `seq`). */
  revisions?: boolean;
  /** v1.2: label finals with their `speaker`, from the voiceprints runners put on them (diarization). */
  speakers?: boolean;
  /** Languages whose spoken translations (`translation_audio`) this reader wants; others are dropped. */
  speak?: readonly string[];
}

/** Spoken translations are owed beside translations, under their own key. */
const audioKey = (lang: string) => `audio:${lang}`;

export class CaptionSequencer {
  /** The next seq the client has not been given. */
  #next: number;
  readonly #afterSeq: number;
  readonly #revisions: boolean;
  #pending = new Map<number, PendingSegment>();
  /** What the client holds of each released final: its rev and text (a correction must differ to be sent). */
  #released = new Map<number, { rev: number; text: string }>();
  /** Translations still owed per released seq (for its current rev). */
  #owed = new Map<number, Set<string>>();
  /** Translations of a rev newer than the client holds, waiting for that rev's final. */
  #ahead = new Map<number, Later[]>();
  /** Finals that promised a second pass which has not arrived yet. */
  #revisionOwed = new Set<number>();
  #lastPartialSegment = 0;
  #lastPartialText = '';
  #segmentsExpected: number | undefined;
  /** v1.2: speaker labels; a final waits until every earlier segment's voiceprint has been clustered. */
  readonly #speakers: SpeakerLabels | undefined;
  readonly #speak: ReadonlySet<string>;
  /** Translations (`seq:rev:lang`) whose audio this reader is owed once the translation is out. */
  readonly #spoken = new Set<string>();

  /** `afterSeq`: a resuming client already has everything up to this seq. */
  constructor(afterSeq = 0, options: SequencerOptions = {}) {
    this.#next = afterSeq + 1;
    this.#afterSeq = afterSeq;
    this.#revisions = options.revisions ?? false;
    this.#speakers = options.speakers ? new SpeakerLabels() : undefined;
    this.#speak = new Set(options.speak ?? []);
  }

  /** Feeds one result; returns the events to send now, in order. */
  accept(result: SessionResult): ServerEvent[] {
    switch (result.type) {
      case 'ended':
        this.expectSegments(result.segments);
        return [];
      case 'partial': {
        // A partial for an utterance that is already final is stale; an identical one is noise.
        if (
          result.segment < this.#next ||
          (result.segment === this.#lastPartialSegment && result.text === this.#lastPartialText)
        )
          return [];
        if (result.segment < this.#lastPartialSegment) return [];
        this.#lastPartialSegment = result.segment;
        this.#lastPartialText = result.text;
        const tags = this.#revisions ? { seq: result.segment, ...(result.rev ? { rev: result.rev } : {}) } : {};
        return [{ type: 'partial', text: result.text, start: result.start, ...tags }];
      }
      case 'final': {
        if (!this.#speakers || (result.rev ?? 1) > 1) return this.#final(result);
        // Labelling may also free finals held for an earlier segment that this reader had already released.
        this.#speakers.settle(result.seq, result);
        return [...this.#final(result), ...this.#release()];
      }
      case 'partial_translation':
        // Only while its utterance is still open: once the final is out, the final's translation is what counts.
        if (result.segment < this.#next || result.segment < this.#lastPartialSegment) return [];
        return [
          {
            type: 'partial_translation',
            lang: result.lang,
            text: result.text,
            start: result.start,
            ...(this.#revisions ? { seq: result.segment } : {}),
          },
        ];
      case 'translation': {
        const rev = result.rev ?? 1;
        if (rev > 1 && !this.#revisions) return [];
        const event: ServerEvent = {
          type: 'translation',
          seq: result.seq,
          lang: result.lang,
          text: result.text,
          ...(this.#revisions ? { rev } : {}),
        };
        if (result.speak && this.#speak.has(result.lang)) this.#spoken.add(`${result.seq}:${rev}:${result.lang}`);
        return this.#settleTranslation(result.seq, result.lang, rev, event);
      }
      case 'translation_audio': {
        const rev = result.rev ?? 1;
        if (!this.#speak.has(result.lang) || (rev > 1 && !this.#revisions)) return [];
        const event: ServerEvent = {
          type: 'translation_audio',
          seq: result.seq,
          lang: result.lang,
          ...(this.#revisions ? { rev } : {}),
          format: 'wav',
          sample_rate: result.sampleRate,
          duration: result.duration,
          audio: result.audio,
        };
        return this.#settleTranslation(result.seq, audioKey(result.lang), rev, event);
      }
      case 'error': {
        const event: ServerEvent = {
          type: 'error',
          code: result.code,
          message: result.message,
          ...(result.seq ? { seq: result.seq } : {}),
          ...(result.lang ? { lang: result.lang } : {}),
        };
        if (result.seq === undefined) return [event];
        if (result.lang !== undefined) {
          const rev = result.rev ?? 1;
          if (rev > 1 && !this.#revisions) return [];
          if (result.audio && !this.#speak.has(result.lang)) return [];
          return this.#settleTranslation(result.seq, result.audio ? audioKey(result.lang) : result.lang, rev, event);
        }
        this.#speakers?.settle(result.seq, null);
        if (result.seq < this.#next) return this.#speakers ? this.#release() : [];
        this.#segment(result.seq).failed = result;
        return this.#release();
      }
    }
  }

  /** After `stop`: the number of segments the session produced, so completion can be judged. */
  expectSegments(count: number): void {
    this.#segmentsExpected = count;
  }

  /** True when every expected segment was released, every owed translation and every promised second pass is in. */
  get complete(): boolean {
    if (this.#segmentsExpected === undefined || this.#next <= this.#segmentsExpected) return false;
    if (this.#revisionOwed.size > 0) return false;
    for (const owed of this.#owed.values()) if (owed.size > 0) return false;
    return true;
  }

  /** Highest seq released to the client. */
  get released(): number {
    return this.#next - 1;
  }

  #final(result: FinalResult): ServerEvent[] {
    const rev = result.rev ?? 1;
    if (rev > 1) this.#revisionOwed.delete(result.seq);
    if (result.seq >= this.#next) {
      const segment = this.#segment(result.seq);
      if (segment.final && (segment.final.rev ?? 1) >= rev) return []; // redelivered
      if (rev > 1 && !this.#revisions) return []; // v1: rev 1 stays, the second pass only settles its promise
      segment.final = result;
      return this.#release();
    }
    const held = this.#released.get(result.seq);
    if (!held) {
      // Released before this reader began (a resuming client has it): learn what the client holds.
      if (result.seq > this.#afterSeq) return []; // a final after its segment was reported failed
      if (rev === 1 || !this.#revisions) {
        this.#released.set(result.seq, { rev: 1, text: result.text });
        return [];
      }
    } else if (rev <= held.rev || !this.#revisions || result.text === held.text) {
      return []; // redelivered, a v1 client, or a second pass that changed nothing
    }
    return this.#correct(result, rev);
  }

  /** A corrected final for a seq the client already has: the new text, then its translations. */
  #correct(result: FinalResult, rev: number): ServerEvent[] {
    const seq = result.seq;
    this.#released.set(seq, { rev, text: result.text });
    this.#owed.delete(seq);
    const out: ServerEvent[] = [
      { type: 'final', seq, text: result.text, start: result.start, end: result.end, rev, ...this.#speakerOf(seq) },
    ];
    if (result.text && result.targets.length > 0) this.#owed.set(seq, new Set(result.targets));
    const ahead = this.#ahead.get(seq) ?? [];
    this.#ahead.delete(seq);
    for (const later of ahead) out.push(...this.#settleTranslation(seq, later.lang, later.rev, later.event));
    return out;
  }

  #segment(seq: number): PendingSegment {
    let segment = this.#pending.get(seq);
    if (!segment) {
      segment = { later: [] };
      this.#pending.set(seq, segment);
    }
    return segment;
  }

  #settleTranslation(seq: number, lang: string, rev: number, event: ServerEvent): ServerEvent[] {
    if (seq >= this.#next) {
      this.#segment(seq).later.push({ lang, rev, event });
      return [];
    }
    const held = this.#released.get(seq);
    if (held && rev > held.rev) {
      // MT jobs are queued before their final is logged, so a second pass's translation can come first.
      const ahead = this.#ahead.get(seq) ?? [];
      ahead.push({ lang, rev, event });
      this.#ahead.set(seq, ahead);
      return [];
    }
    if (held && rev < held.rev) return []; // translates text the client no longer shows
    const owed = this.#owed.get(seq);
    if (!owed?.delete(lang)) return []; // duplicate or unexpected
    if (owed.size === 0) this.#owed.delete(seq);
    // A spoken translation: its audio is owed from now on (`done` waits for it, or for its tts_failed error).
    if (this.#spoken.delete(`${seq}:${rev}:${lang}`))
      this.#owed.set(seq, (this.#owed.get(seq) ?? new Set()).add(audioKey(lang)));
    return [event];
  }

  /** Without speakers every segment is ready; with them, once its label (and every earlier one) is known. */
  #labelled(seq: number): boolean {
    return !this.#speakers || this.#speakers.settledThrough >= seq;
  }

  #speakerOf(seq: number): { speaker?: number } {
    const speaker = this.#speakers?.of(seq);
    return speaker === undefined ? {} : { speaker };
  }

  #release(): ServerEvent[] {
    const out: ServerEvent[] = [];
    for (
      let segment = this.#pending.get(this.#next);
      segment && (segment.final || segment.failed) && this.#labelled(this.#next);
      segment = this.#pending.get(this.#next)
    ) {
      const seq = this.#next;
      this.#pending.delete(seq);
      this.#next += 1;
      if (segment.failed) {
        out.push({ type: 'error', code: segment.failed.code, message: segment.failed.message, seq });
        continue;
      }
      const final = segment.final!;
      const rev = final.rev ?? 1;
      this.#released.set(seq, { rev, text: final.text });
      if (final.revision && rev === 1) this.#revisionOwed.add(seq);
      // Empty finals (noise the VAD let through) advance the sequence but show nothing.
      if (final.text)
        out.push({
          type: 'final',
          seq,
          text: final.text,
          start: final.start,
          end: final.end,
          ...(this.#revisions ? { rev } : {}),
          ...this.#speakerOf(seq),
        });
      if (final.text && final.targets.length > 0) this.#owed.set(seq, new Set(final.targets));
      for (const later of segment.later) out.push(...this.#settleTranslation(seq, later.lang, later.rev, later.event));
      if (this.#lastPartialSegment <= seq) this.#lastPartialText = '';
    }
    return out;
  }
}
