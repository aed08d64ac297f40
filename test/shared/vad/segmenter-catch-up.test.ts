/**
 * The segmenter's catch-up mode (a session that is behind merges utterances across short pauses): off, it cuts
 * exactly as a segmenter without the option, so resumed sessions stay deterministic; on, pauses shorter than the
 * catch-up silence no longer close utterances, and it can be switched at any moment.
 */
import { describe, expect, it } from 'vitest';
import { UtteranceSegmenter, type SegmenterEvent } from '../../../shared/vad/segmenter.ts';
import { loadFvad, WebRtcVad } from '../../../shared/vad/webrtc-vad.ts';
import { librivoxRecordings } from '../../support/librivox.ts';
import { withPauses } from '../../support/sessions.ts';

const fvad = await loadFvad();
const vad = () => WebRtcVad.fromModule(fvad, { aggressiveness: 3, sampleRate: 16000, frameMs: 30 });
const speech = withPauses(
  librivoxRecordings().map((r) => r.pcm),
  1.2,
);

type Utterance = Extract<SegmenterEvent, { type: 'utterance' }>;
function run(
  options: { catchUpSilenceMs?: number },
  catchUpAt: (second: number) => boolean = () => false,
): { events: SegmenterEvent[]; merged: number } {
  const seg = new UtteranceSegmenter(vad(), { silenceMs: 600, partialIntervalMs: 700, ...options });
  const events: SegmenterEvent[] = [];
  for (let i = 0; i < speech.length; i += 1600) {
    seg.catchUp = catchUpAt(i / 16000);
    events.push(...seg.feed(speech.subarray(i, i + 1600)));
  }
  events.push(...seg.finish());
  return { events, merged: seg.merged };
}
const utterances = (events: SegmenterEvent[]) => events.filter((e): e is Utterance => e.type === 'utterance');
const shape = (events: SegmenterEvent[]) =>
  events.map((e) => [e.type, e.segment, e.startSample, e.type === 'utterance' ? e.endSample : e.pcm.length]);

describe('segmenter catch-up mode', () => {
  it('off, the catch-up option changes nothing: the same snapshots and utterances, sample for sample', () => {
    const plain = run({});
    const withOption = run({ catchUpSilenceMs: 2500 });
    expect(utterances(plain.events).length).toBeGreaterThanOrEqual(5);
    expect(shape(withOption.events)).toEqual(shape(plain.events));
    expect(withOption.merged).toBe(0);
  });

  it('on, pauses shorter than the catch-up silence are bridged: fewer, longer utterances over the same speech', () => {
    const plain = utterances(run({}).events);
    const merged = run({ catchUpSilenceMs: 2500 }, () => true);
    const long = utterances(merged.events);
    expect(long.length).toBeLessThan(plain.length);
    // Each bridged pause is counted (a merged utterance may still be split at maxUtteranceMs, so counts can exceed the drop).
    expect(merged.merged).toBeGreaterThanOrEqual(plain.length - long.length);
    // Same speech covered: from the first onset to the last end.
    expect(long[0]!.startSample).toBe(plain[0]!.startSample);
    expect(long.at(-1)!.endSample).toBeGreaterThanOrEqual(plain.at(-1)!.endSample - 16000);
  });

  it('switched on and off mid-stream: merges only while on, then cuts as usual again', () => {
    const plain = utterances(run({}).events);
    const seconds = speech.length / 16000;
    const partly = utterances(run({ catchUpSilenceMs: 2500 }, (t) => t < seconds / 2).events);
    expect(partly.length).toBeLessThan(plain.length);
    // The second half (after the switch, past one utterance of settling) is cut exactly as without catch-up.
    const tail = (list: Utterance[]) =>
      list.filter((u) => u.startSample > (seconds / 2 + 6) * 16000).map((u) => [u.startSample, u.endSample]);
    expect(tail(partly).length).toBeGreaterThan(0);
    expect(tail(partly)).toEqual(tail(plain));
  });
});
