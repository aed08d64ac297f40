/**
 * Diarization error rate on utterance level: the share of speech time (seconds) attributed to the wrong speaker,
 * after mapping hypothesis labels to reference labels one-to-one in the way that makes the fewest errors (as
 * NIST's DER does). Utterances are the units, so it counts speaker confusion only: no missed speech, no false
 * alarms and no overlap, which the VAD (not the diarizer) decides. An utterance without a hypothesis counts as
 * wrong.
 */

export interface LabelledUtterance {
  seconds: number;
  reference: string;
  hypothesis: string | number | undefined;
}

export interface DerScore {
  /** Confused seconds / total seconds, 0..1. */
  der: number;
  totalSeconds: number;
  confusedSeconds: number;
  referenceSpeakers: number;
  hypothesisSpeakers: number;
  /** Hypothesis label → reference label of the best mapping. */
  mapping: Record<string, string>;
}

export function utteranceDer(utterances: readonly LabelledUtterance[]): DerScore {
  const refs = [...new Set(utterances.map((u) => u.reference))];
  const hyps = [...new Set(utterances.flatMap((u) => (u.hypothesis === undefined ? [] : [String(u.hypothesis)])))];
  const overlap = (h: string, r: string) =>
    utterances.filter((u) => String(u.hypothesis) === h && u.reference === r).reduce((s, u) => s + u.seconds, 0);
  // Best one-to-one mapping by exhaustive search: sessions have a handful of speakers, so this stays tiny (≤ 8!).
  let best = { matched: -1, mapping: {} as Record<string, string> };
  const search = (i: number, used: Set<string>, matched: number, mapping: Record<string, string>) => {
    if (i === hyps.length) {
      if (matched > best.matched) best = { matched, mapping: { ...mapping } };
      return;
    }
    search(i + 1, used, matched, mapping); // this hypothesis maps to no reference speaker
    for (const r of refs) {
      if (used.has(r)) continue;
      used.add(r);
      mapping[hyps[i]!] = r;
      search(i + 1, used, matched + overlap(hyps[i]!, r), mapping);
      delete mapping[hyps[i]!];
      used.delete(r);
    }
  };
  search(0, new Set(), 0, {});
  const totalSeconds = utterances.reduce((s, u) => s + u.seconds, 0);
  const confusedSeconds = totalSeconds - Math.max(0, best.matched);
  return {
    der: totalSeconds > 0 ? confusedSeconds / totalSeconds : 0,
    totalSeconds,
    confusedSeconds,
    referenceSpeakers: refs.length,
    hypothesisSpeakers: hyps.length,
    mapping: best.mapping,
  };
}
