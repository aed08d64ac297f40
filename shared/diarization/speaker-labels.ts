/**
 * A session's speaker labels, derived from its finals' voiceprints in `seq` order (the order that makes every
 * reader agree, see speaker-clusters.ts). Finals reach a reader in log order, which may differ from seq order, so
 * each is held until every earlier segment is known (a final, or a failed segment), then clustered.
 */
import { SpeakerClusters, type SpeakerClusterOptions } from './speaker-clusters.ts';

export interface VoicedSegment {
  text: string;
  start: number;
  end: number;
  voice?: number[];
  /** The embedder's same-speaker distance (absent: the clustering's default). */
  voiceThreshold?: number;
}

/** A reader holding more segments than this for a missing earlier one (a trimmed log) stops waiting for it. */
const MAX_HELD = 64;

export class SpeakerLabels {
  readonly #clusters: SpeakerClusters;
  /** Every seq up to here has been clustered (or had no voice). */
  #settled = 0;
  readonly #held = new Map<number, VoicedSegment | null>();
  readonly #labels = new Map<number, number>();

  constructor(options: Partial<SpeakerClusterOptions> = {}) {
    this.#clusters = new SpeakerClusters(options);
  }

  /** Every segment up to this seq has its label (or has none). */
  get settledThrough(): number {
    return this.#settled;
  }

  /** A segment's first final (`null`: the segment failed, no final will come). Repeats are ignored. */
  settle(seq: number, segment: VoicedSegment | null): void {
    if (seq <= this.#settled || this.#held.has(seq)) return;
    this.#held.set(seq, segment);
    if (this.#held.size > MAX_HELD) this.#settled = Math.min(...this.#held.keys()) - 1;
    for (let next = this.#settled + 1; this.#held.has(next); next = this.#settled + 1) {
      const held = this.#held.get(next);
      this.#held.delete(next);
      this.#settled = next;
      if (!held?.text || !held.voice) continue;
      const label = this.#clusters.assign(held.voice, held.end - held.start, held.voiceThreshold);
      if (label !== undefined) this.#labels.set(next, label);
    }
  }

  /** The speaker of a settled segment, when it had a voiceprint. */
  of(seq: number): number | undefined {
    return this.#labels.get(seq);
  }
}
