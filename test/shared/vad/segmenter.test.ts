import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { UtteranceSegmenter, type SegmenterEvent } from '../../../shared/vad/segmenter.ts';
import { WebRtcVad } from '../../../shared/vad/webrtc-vad.ts';
import { decodeWav } from '../../../shared/audio/wav.ts';
import { floatToPcm16 } from '../../../shared/audio/pcm.ts';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox';
const RATE = 16000;

function loadPcm(name: string): Int16Array {
  const wav = decodeWav(readFileSync(`${LIBRIVOX}/${name}.wav`));
  return floatToPcm16(wav.samples[0]!);
}

/** Alternating loud/quiet frames: a detector that needs no model, so splits are exact. */
const energyDetector = { frameSamples: 480, isSpeech: (f: Int16Array) => f.some((s) => Math.abs(s) > 1000) };

function tone(ms: number, amplitude = 8000): Int16Array {
  const n = (RATE * ms) / 1000;
  return Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * 200 * i) / RATE)));
}
const silence = (ms: number) => new Int16Array((RATE * ms) / 1000);

function feedAll(seg: UtteranceSegmenter, pcm: Int16Array, chunk = 1600): SegmenterEvent[] {
  const events: SegmenterEvent[] = [];
  for (let i = 0; i < pcm.length; i += chunk) events.push(...seg.feed(pcm.subarray(i, i + chunk)));
  return [...events, ...seg.finish()];
}

const join = (...parts: Int16Array[]) => {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};

describe('UtteranceSegmenter', () => {
  it('cuts two utterances separated by a pause longer than silenceMs, with pre-roll before each onset', () => {
    const seg = new UtteranceSegmenter(energyDetector, { silenceMs: 300, preRollMs: 150, partialIntervalMs: 0 });
    const audio = join(silence(600), tone(900), silence(900), tone(600), silence(600));
    const utterances = feedAll(seg, audio).filter((e) => e.type === 'utterance');
    expect(utterances.map((u) => u.segment)).toEqual([1, 2]);
    const [a, b] = utterances as Extract<SegmenterEvent, { type: 'utterance' }>[];
    // Onset at 600 ms; the trigger needs 3 voiced frames and pre-roll reaches back at least 150 ms before it.
    expect(a!.startSample / RATE).toBeLessThanOrEqual(0.6 - 0.15 + 0.001);
    expect(a!.endSample / RATE).toBeGreaterThan(1.5);
    expect(b!.startSample / RATE).toBeGreaterThan(1.6);
    expect(b!.startSample / RATE).toBeLessThan(2.4);
  });

  it('a short pause (below silenceMs) does not split an utterance', () => {
    const seg = new UtteranceSegmenter(energyDetector, { silenceMs: 600, partialIntervalMs: 0 });
    const utterances = feedAll(seg, join(tone(900), silence(300), tone(900), silence(900))).filter(
      (e) => e.type === 'utterance',
    );
    expect(utterances).toHaveLength(1);
  });

  it('forces a split at maxUtteranceMs, cutting at the quietest frame, and keeps the rest', () => {
    const seg = new UtteranceSegmenter(energyDetector, { maxUtteranceMs: 3000, silenceMs: 600, partialIntervalMs: 0 });
    // 2.5 s of speech, a 90 ms dip (too short to close), then more speech: the split should land in the dip.
    const audio = join(tone(2500), tone(90, 300), tone(3000), silence(900));
    const utterances = feedAll(seg, audio).filter(
      (e): e is Extract<SegmenterEvent, { type: 'utterance' }> => e.type === 'utterance',
    );
    expect(utterances.length).toBeGreaterThanOrEqual(2);
    const cut = utterances[0]!.endSample / RATE;
    expect(cut).toBeGreaterThan(2.45);
    expect(cut).toBeLessThan(2.65);
    expect(utterances[1]!.startSample).toBe(utterances[0]!.endSample);
  });

  it('drops blips shorter than minSpeechMs', () => {
    const seg = new UtteranceSegmenter(energyDetector, { minSpeechMs: 300, partialIntervalMs: 0 });
    expect(feedAll(seg, join(silence(500), tone(150), silence(1500)))).toEqual([]);
  });

  it('emits snapshots of the open utterance every partialIntervalMs of audio, numbered like the coming final', () => {
    const seg = new UtteranceSegmenter(energyDetector, { partialIntervalMs: 500, silenceMs: 300 });
    const events = feedAll(seg, join(tone(2000), silence(600)));
    const snapshots = events.filter((e) => e.type === 'snapshot');
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    expect(snapshots.every((s) => s.segment === 1)).toBe(true);
    expect(snapshots[1]!.pcm.length).toBeGreaterThan(snapshots[0]!.pcm.length);
    expect(events.at(-1)!.type).toBe('utterance');
  });

  it('gives the same utterances whatever the chunking of the input', () => {
    const audio = join(silence(300), tone(800), silence(800), tone(500), silence(700));
    const a = feedAll(new UtteranceSegmenter(energyDetector, { partialIntervalMs: 0 }), audio, 160);
    const b = feedAll(new UtteranceSegmenter(energyDetector, { partialIntervalMs: 0 }), audio, 7777);
    expect(a.map((e) => [e.segment, e.startSample, e.pcm.length])).toEqual(
      b.map((e) => [e.segment, e.startSample, e.pcm.length]),
    );
  });

  it('with WebRTC VAD on a real recording: one utterance covering the speech, none on silence', async () => {
    const vad = await WebRtcVad.create({ aggressiveness: 3, sampleRate: RATE, frameMs: 30 });
    const pcm = loadPcm('sense_and_sensibility_01_austen_64kb-0880');
    const events = feedAll(
      new UtteranceSegmenter(vad, { partialIntervalMs: 0 }),
      join(silence(1000), pcm, silence(1000)),
    );
    const utterances = events.filter(
      (e): e is Extract<SegmenterEvent, { type: 'utterance' }> => e.type === 'utterance',
    );
    expect(utterances).toHaveLength(1);
    const speechSeconds = utterances[0]!.pcm.length / RATE;
    expect(speechSeconds).toBeGreaterThan(2);
    expect(speechSeconds).toBeLessThan(4.5);
    expect(feedAll(new UtteranceSegmenter(vad), silence(5000))).toEqual([]);
    vad.close();
  });

  it("a snapshot's stable audio is always where its utterance starts, and keeps up with the speaker while they talk", async () => {
    const vad = await WebRtcVad.create({ aggressiveness: 3, sampleRate: RATE, frameMs: 30 });
    const names = [
      'sense_and_sensibility_01_austen_64kb-0870',
      'sense_and_sensibility_01_austen_64kb-0880',
      'sense_and_sensibility_01_austen_64kb-0890',
      'sense_and_sensibility_01_austen_64kb-0920',
    ];
    // Short pauses (some close an utterance, some do not) and a forced split: the cases that cut audio off.
    const audio = join(...names.flatMap((n, i) => [loadPcm(n), silence([250, 700, 450, 1200][i]!)]));
    const events = feedAll(new UtteranceSegmenter(vad, { partialIntervalMs: 300, maxUtteranceMs: 6000 }), audio, 1234);
    vad.close();
    // By start too: a snapshot of an utterance later dropped as too short shares its number with the next one.
    const finals = new Map(
      events.flatMap((e) => (e.type === 'utterance' ? [[`${e.segment}@${e.startSample}`, e] as const] : [])),
    );
    const snapshots = events.filter((e): e is Extract<SegmenterEvent, { type: 'snapshot' }> => e.type === 'snapshot');
    expect(snapshots.length).toBeGreaterThan(20);
    let lag = 0;
    for (const s of snapshots) {
      const final = finals.get(`${s.segment}@${s.startSample}`);
      if (!final) continue; // dropped as too little speech
      expect(s.stableSamples).toBeLessThanOrEqual(final.pcm.length);
      expect(final.pcm.subarray(0, s.stableSamples)).toEqual(s.pcm.subarray(0, s.stableSamples));
      lag += s.pcm.length - s.stableSamples;
    }
    // On average well under the 400 ms a silence close may take back (speech keeps the stable point near the present).
    expect(lag / snapshots.length / RATE).toBeLessThan(0.3);
  });
});
