/**
 * Turns a session's result log (which runners append to in any order) into what the client is promised:
 * finals in `seq` order, each exactly once, each translation after its final, partials only while they are news.
 * It also knows when a stopped session has received everything, so the relay can send `done`.
 */
import type { SessionResult } from '../../shared/queue/jobs.ts';
import type { ServerEvent } from '../../shared/protocol.ts';

interface PendingSegment {
  final?: Extract<SessionResult, { type: 'final' }>;
  failed?: Extract<SessionResult, { type: 'error' }>;
  /** Translations (or translation errors) waiting for their final to be released. */
  later: { lang: string; event: ServerEvent }[];
}

export class CaptionSequencer {
  /** The next seq the client has not been given. */
  #next: number;
  #pending = new Map<number, PendingSegment>();
  /** Translations still owed per released seq. */
  #owed = new Map<number, Set<string>>();
  #lastPartialSegment = 0;
  #lastPartialText = '';
  #segmentsExpected: number | undefined;

  /** `afterSeq`: a resuming client already has everything up to this seq. */
  constructor(afterSeq = 0) {
    this.#next = afterSeq + 1;
  }

  /** Feeds one result; returns the events to send now, in order. */
  accept(result: SessionResult): ServerEvent[] {
    switch (result.type) {
      case 'ended':
        this.expectSegments(result.segments);
        return [];
      case 'partial': {
        // A partial for an utterance that is already final is stale; an identical one is noise.
        if (result.segment < this.#next || (result.segment === this.#lastPartialSegment && result.text === this.#lastPartialText)) return [];
        if (result.segment < this.#lastPartialSegment) return [];
        this.#lastPartialSegment = result.segment;
        this.#lastPartialText = result.text;
        return [{ type: 'partial', text: result.text, start: result.start }];
      }
      case 'final':
        if (result.seq < this.#next) return []; // redelivered: already given to the client
        this.#segment(result.seq).final = result;
        return this.#release();
      case 'partial_translation':
        // Only while its utterance is still open: once the final is out, the final's translation is what counts.
        if (result.segment < this.#next || result.segment < this.#lastPartialSegment) return [];
        return [{ type: 'partial_translation', lang: result.lang, text: result.text, start: result.start }];
      case 'translation': {
        const event: ServerEvent = { type: 'translation', seq: result.seq, lang: result.lang, text: result.text };
        return this.#settleTranslation(result.seq, result.lang, event);
      }
      case 'error': {
        const event: ServerEvent = { type: 'error', code: result.code, message: result.message, ...(result.seq ? { seq: result.seq } : {}), ...(result.lang ? { lang: result.lang } : {}) };
        if (result.seq === undefined) return [event];
        if (result.lang !== undefined) return this.#settleTranslation(result.seq, result.lang, event);
        if (result.seq < this.#next) return [];
        this.#segment(result.seq).failed = result;
        return this.#release();
      }
    }
  }

  /** After `stop`: the number of segments the session produced, so completion can be judged. */
  expectSegments(count: number): void {
    this.#segmentsExpected = count;
  }

  /** True when every expected segment was released and every translation it owed has arrived. */
  get complete(): boolean {
    if (this.#segmentsExpected === undefined || this.#next <= this.#segmentsExpected) return false;
    for (const owed of this.#owed.values()) if (owed.size > 0) return false;
    return true;
  }

  /** Highest seq released to the client. */
  get released(): number {
    return this.#next - 1;
  }

  #segment(seq: number): PendingSegment {
    let segment = this.#pending.get(seq);
    if (!segment) {
      segment = { later: [] };
      this.#pending.set(seq, segment);
    }
    return segment;
  }

  #settleTranslation(seq: number, lang: string, event: ServerEvent): ServerEvent[] {
    if (seq >= this.#next) {
      this.#segment(seq).later.push({ lang, event });
      return [];
    }
    const owed = this.#owed.get(seq);
    if (!owed?.delete(lang)) return []; // duplicate or unexpected
    if (owed.size === 0) this.#owed.delete(seq);
    return [event];
  }

  #release(): ServerEvent[] {
    const out: ServerEvent[] = [];
    for (let segment = this.#pending.get(this.#next); segment && (segment.final || segment.failed); segment = this.#pending.get(this.#next)) {
      const seq = this.#next;
      this.#pending.delete(seq);
      this.#next += 1;
      if (segment.failed) {
        out.push({ type: 'error', code: segment.failed.code, message: segment.failed.message, seq });
        continue;
      }
      const final = segment.final!;
      // Empty finals (noise the VAD let through) advance the sequence but show nothing.
      if (final.text) out.push({ type: 'final', seq, text: final.text, start: final.start, end: final.end });
      if (final.text && final.targets.length > 0) this.#owed.set(seq, new Set(final.targets));
      for (const later of segment.later) out.push(...this.#settleTranslation(seq, later.lang, later.event));
      if (this.#lastPartialSegment <= seq) this.#lastPartialText = '';
    }
    return out;
  }
}
