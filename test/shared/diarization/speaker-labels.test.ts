/** Speaker labels in seq order and the utterance-level DER scorer, on voiceprints of real recordings (no processes). */
import { describe, expect, it } from 'vitest';
import { voiceprint } from '../../../gpu-runners/diarization/voiceprint.ts';
import { SpeakerLabels } from '../../../shared/diarization/speaker-labels.ts';
import { utteranceDer } from '../../../shared/diarization/utterance-der.ts';
import { scenario } from '../../../bench/diarization/corpus.ts';

describe('SpeakerLabels', () => {
  const voices = scenario('librivox-cmu').map((u, i) => ({
    seq: i + 1,
    text: u.text,
    start: i * 5,
    end: i * 5 + u.pcm.length / 16000,
    voice: Array.from(voiceprint(u.pcm)),
  }));

  it('gives every reader the same labels whatever order finals arrive in', () => {
    const inOrder = new SpeakerLabels();
    for (const v of voices) inOrder.settle(v.seq, v);
    const shuffled = new SpeakerLabels();
    for (const v of [...voices].reverse()) shuffled.settle(v.seq, v);
    expect(voices.map((v) => shuffled.of(v.seq))).toEqual(voices.map((v) => inOrder.of(v.seq)));
    expect(voices.map((v) => inOrder.of(v.seq))).toEqual([1, 2, 1, 2, 1, 2, 1, 1]);
  });

  it('waits for an earlier segment, and a failed segment settles it', () => {
    const labels = new SpeakerLabels();
    labels.settle(2, voices[1]!);
    expect(labels.settledThrough).toBe(0);
    labels.settle(1, null);
    expect(labels.settledThrough).toBe(2);
    expect(labels.of(1)).toBeUndefined();
    expect(labels.of(2)).toBe(1);
  });
});

describe('utteranceDer', () => {
  it('maps labels one to one and counts confused seconds', () => {
    const score = utteranceDer([
      { seconds: 2, reference: 'a', hypothesis: 7 },
      { seconds: 3, reference: 'b', hypothesis: 9 },
      { seconds: 1, reference: 'b', hypothesis: 7 },
      { seconds: 4, reference: 'a', hypothesis: undefined },
    ]);
    expect(score.mapping).toEqual({ '7': 'a', '9': 'b' });
    expect(score.confusedSeconds).toBe(5);
    expect(score.der).toBe(0.5);
  });
});

describe('voiceprint thresholds', () => {
  // Cosine distance between these two is 1 - 0.8 = 0.2.
  const a = [1, 0];
  const b = [0.8, 0.6];
  const segment = (voice: number[], voiceThreshold?: number) => ({
    text: 'x',
    start: 0,
    end: 2,
    voice,
    ...(voiceThreshold ? { voiceThreshold } : {}),
  });

  it('clusters each voiceprint on its embedder’s scale', () => {
    const mfccScale = new SpeakerLabels();
    mfccScale.settle(1, segment(a));
    mfccScale.settle(2, segment(b));
    expect([mfccScale.of(1), mfccScale.of(2)]).toEqual([1, 2]);
    const xvectorScale = new SpeakerLabels();
    xvectorScale.settle(1, segment(a, 0.3));
    xvectorScale.settle(2, segment(b, 0.3));
    expect([xvectorScale.of(1), xvectorScale.of(2)]).toEqual([1, 1]);
  });
});
