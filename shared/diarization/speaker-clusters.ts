/**
 * Online speaker clustering: each utterance's voiceprint (a vector from the runner, see
 * gpu-runners/diarization) joins the nearest speaker when it is close enough to that speaker's centroid (cosine
 * distance), or opens a new speaker. Labels are 1, 2, … in order of first appearance and never change.
 *
 * Deterministic on purpose: every reader of a session's log (the speaker's connection, each viewer, an export,
 * on any edge) feeds the same voiceprints in the same `seq` order and so arrives at the same labels without
 * sharing state. Cheap (a few dot products of ~40 numbers per final), so it runs where the captions are ordered.
 * No runtime-specific imports.
 */

export interface SpeakerClusterOptions {
  /** Cosine distance to a centroid under which an utterance is that speaker (default 0.1). */
  threshold: number;
  /** Utterances shorter than this (s) never open a new speaker: their voiceprint is too noisy (default 1). */
  minNewSpeakerSeconds: number;
  /** At most this many speakers; beyond, the nearest is chosen (default 8). */
  maxSpeakers: number;
}

export const DEFAULT_SPEAKER_CLUSTERS: SpeakerClusterOptions = {
  threshold: 0.1,
  minNewSpeakerSeconds: 1,
  maxSpeakers: 8,
};

interface Cluster {
  sum: Float64Array;
  weight: number;
}

export function cosineDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
}

export class SpeakerClusters {
  readonly #o: SpeakerClusterOptions;
  readonly #clusters: Cluster[] = [];

  constructor(options: Partial<SpeakerClusterOptions> = {}) {
    this.#o = { ...DEFAULT_SPEAKER_CLUSTERS, ...options };
  }

  get count(): number {
    return this.#clusters.length;
  }

  /**
   * The speaker (1-based) of an utterance of `seconds` with this voiceprint; undefined for an empty voiceprint.
   * `threshold` overrides the option for voiceprints of an embedder with its own scale.
   */
  assign(voice: ArrayLike<number>, seconds: number, threshold = this.#o.threshold): number | undefined {
    if (voice.length === 0 || Array.prototype.some.call(voice, (x: number) => !Number.isFinite(x))) return undefined;
    let best = -1;
    let bestDistance = Infinity;
    for (const [i, cluster] of this.#clusters.entries()) {
      if (cluster.sum.length !== voice.length) continue;
      const distance = cosineDistance(cluster.sum, voice);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    const mayOpen =
      this.#clusters.length < this.#o.maxSpeakers && (seconds >= this.#o.minNewSpeakerSeconds || best < 0);
    if (best < 0 || (bestDistance > threshold && mayOpen)) {
      this.#clusters.push({
        sum: Float64Array.from(voice, (x) => x * Math.max(seconds, 0.1)),
        weight: Math.max(seconds, 0.1),
      });
      return this.#clusters.length;
    }
    // The centroid follows its speaker, weighted by speech duration (longer utterances give steadier voiceprints).
    const cluster = this.#clusters[best]!;
    const w = Math.max(seconds, 0.1);
    for (let i = 0; i < voice.length; i++) cluster.sum[i]! += voice[i]! * w;
    cluster.weight += w;
    return best + 1;
  }
}
