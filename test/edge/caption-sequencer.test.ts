import { describe, expect, it } from 'vitest';
import { CaptionSequencer } from '../../edge/realtime/caption-sequencer.ts';

const final = (seq: number, text: string, targets: string[] = []) => ({
  type: 'final' as const,
  seq,
  text,
  start: seq,
  end: seq + 1,
  targets,
});
const translation = (seq: number, lang: string, text: string) => ({ type: 'translation' as const, seq, lang, text });

describe('CaptionSequencer', () => {
  it('releases finals in seq order even when runners finish out of order', () => {
    const s = new CaptionSequencer();
    expect(s.accept(final(2, 'two'))).toEqual([]);
    expect(s.accept(final(3, 'three'))).toEqual([]);
    expect(s.accept(final(1, 'one')).map((e) => (e.type === 'final' ? e.seq : -1))).toEqual([1, 2, 3]);
  });

  it('delivers a redelivered final exactly once', () => {
    const s = new CaptionSequencer();
    expect(s.accept(final(1, 'one'))).toHaveLength(1);
    expect(s.accept(final(1, 'one'))).toEqual([]);
    s.accept(final(3, 'three'));
    expect(s.accept(final(3, 'three'))).toEqual([]);
    expect(s.accept(final(2, 'two'))).toHaveLength(2);
  });

  it('holds a translation until its final is out, and drops duplicates', () => {
    const s = new CaptionSequencer();
    s.accept(final(1, 'one', ['es']));
    expect(s.accept(final(2, 'two', ['es']))).toHaveLength(1);
    expect(s.accept(translation(2, 'es', 'dos'))).toHaveLength(1);
    expect(s.accept(translation(2, 'es', 'dos'))).toEqual([]);
    expect(s.accept(translation(1, 'es', 'uno'))).toEqual([{ type: 'translation', seq: 1, lang: 'es', text: 'uno' }]);

    const t = new CaptionSequencer();
    t.accept(final(2, 'two', ['es']));
    expect(t.accept(translation(2, 'es', 'dos'))).toEqual([]);
    expect(t.accept(final(1, 'one')).map((e) => e.type)).toEqual(['final', 'final', 'translation']);
  });

  it('drops stale partials and repeats, keeps news', () => {
    const s = new CaptionSequencer();
    expect(s.accept({ type: 'partial', segment: 1, text: 'he was', start: 0 })).toHaveLength(1);
    expect(s.accept({ type: 'partial', segment: 1, text: 'he was', start: 0 })).toEqual([]);
    s.accept(final(1, 'he was not'));
    expect(s.accept({ type: 'partial', segment: 1, text: 'he was not an', start: 0 })).toEqual([]);
    expect(s.accept({ type: 'partial', segment: 2, text: 'young', start: 3 })).toHaveLength(1);
  });

  it('is complete only when every segment and every owed translation has arrived', () => {
    const s = new CaptionSequencer();
    s.accept(final(1, 'one', ['es', 'fr']));
    s.expectSegments(2);
    expect(s.complete).toBe(false);
    s.accept(final(2, '', ['es'])); // empty final: nothing shown, nothing owed
    s.accept(translation(1, 'es', 'uno'));
    expect(s.complete).toBe(false);
    s.accept({ type: 'error', code: 'mt_failed', message: 'x', seq: 1, lang: 'fr' });
    expect(s.complete).toBe(true);
  });

  it('reports a failed segment as an error in its place and moves on', () => {
    const s = new CaptionSequencer();
    expect(s.accept({ type: 'error', code: 'stt_failed', message: 'boom', seq: 1 })).toEqual([
      { type: 'error', code: 'stt_failed', message: 'boom', seq: 1 },
    ]);
    expect(s.accept(final(2, 'two'))).toHaveLength(1);
    s.expectSegments(2);
    expect(s.complete).toBe(true);
  });
});

describe('CaptionSequencer, protocol v1.1 revisions', () => {
  const finalRev = (seq: number, text: string, rev: number, targets: string[] = [], revision = false) => ({
    ...final(seq, text, targets),
    rev,
    ...(revision ? { revision } : {}),
  });
  const translationRev = (seq: number, lang: string, text: string, rev: number) => ({
    ...translation(seq, lang, text),
    rev,
  });

  it('sends a corrected final in place (same seq, higher rev), then its translations; older translations are dropped', () => {
    const s = new CaptionSequencer(0, { revisions: true });
    expect(s.accept(finalRev(1, 'been leisure', 1, ['es'], true))).toEqual([
      { type: 'final', seq: 1, text: 'been leisure', start: 1, end: 2, rev: 1 },
    ]);
    // The second pass's translation is queued before its final is logged, so it may come first: it waits.
    expect(s.accept(translationRev(1, 'es', 'estado en ocio', 2))).toEqual([]);
    expect(s.accept(finalRev(1, 'been at leisure', 2, ['es']))).toEqual([
      { type: 'final', seq: 1, text: 'been at leisure', start: 1, end: 2, rev: 2 },
      { type: 'translation', seq: 1, lang: 'es', text: 'estado en ocio', rev: 2 },
    ]);
    expect(s.accept(translationRev(1, 'es', 'ocio', 1))).toEqual([]); // translates text no longer shown
    expect(s.accept(finalRev(1, 'been at leisure', 2, ['es']))).toEqual([]); // redelivered
  });

  it('is not complete until a promised second pass arrives; an unchanged one sends nothing', () => {
    const s = new CaptionSequencer(0, { revisions: true });
    s.accept(finalRev(1, 'one', 1, [], true));
    s.expectSegments(1);
    expect(s.complete).toBe(false);
    expect(s.accept(finalRev(1, 'one', 2))).toEqual([]);
    expect(s.complete).toBe(true);
  });

  it('tags partials with the seq their final will have and their rev', () => {
    const s = new CaptionSequencer(0, { revisions: true });
    expect(s.accept({ type: 'partial', segment: 1, text: 'he', start: 0, rev: 1 })).toEqual([
      { type: 'partial', seq: 1, rev: 1, text: 'he', start: 0 },
    ]);
  });

  it('v1 clients never see a correction and keep rev 1 with its translations', () => {
    const s = new CaptionSequencer();
    expect(s.accept(finalRev(1, 'been leisure', 1, ['es'], true))).toEqual([
      { type: 'final', seq: 1, text: 'been leisure', start: 1, end: 2 },
    ]);
    expect(s.accept(translationRev(1, 'es', 'otro', 2))).toEqual([]);
    expect(s.accept(finalRev(1, 'been at leisure', 2, ['es']))).toEqual([]);
    expect(s.accept(translationRev(1, 'es', 'ocio', 1))).toEqual([
      { type: 'translation', seq: 1, lang: 'es', text: 'ocio' },
    ]);
    s.expectSegments(1);
    expect(s.complete).toBe(true);
  });

  it('a second pass that lands before its segment is released replaces the first', () => {
    const s = new CaptionSequencer(0, { revisions: true });
    s.accept(finalRev(2, 'two fast', 1, [], true));
    s.accept(finalRev(2, 'two slow', 2));
    expect(s.accept(final(1, 'one')).map((e) => (e.type === 'final' ? `${e.seq}:${e.rev}:${e.text}` : e.type))).toEqual(
      ['1:1:one', '2:2:two slow'],
    );
    s.expectSegments(2);
    expect(s.complete).toBe(true);
  });

  it('a resuming v1.1 client receives corrections of captions it already had', () => {
    const s = new CaptionSequencer(3, { revisions: true });
    expect(s.accept(finalRev(2, 'old', 1, [], true))).toEqual([]);
    expect(s.accept(finalRev(2, 'new', 2)).map((e) => e.type)).toEqual(['final']);
    expect(s.accept(finalRev(3, 'same', 1))).toEqual([]);
  });
});

describe('CaptionSequencer speakers (protocol v1.2)', () => {
  const voiced = (seq: number, voice: number[], targets: string[] = []) => ({
    ...final(seq, `line ${seq}`, targets),
    start: seq * 3,
    end: seq * 3 + 2,
    voice,
  });
  const A = [1, 0, 0, 0];
  const B = [0, 1, 0, 0];
  const speakers = (events: ReturnType<CaptionSequencer['accept']>) =>
    events.flatMap((e) => (e.type === 'final' ? [e.speaker] : []));

  it('labels finals by voice for v1.2 readers only', () => {
    const v12 = new CaptionSequencer(0, { revisions: true, speakers: true });
    const v11 = new CaptionSequencer(0, { revisions: true });
    const log = [voiced(1, A), voiced(2, B), voiced(3, A)];
    expect(log.flatMap((r) => speakers(v12.accept(r)))).toEqual([1, 2, 1]);
    expect(log.flatMap((r) => speakers(v11.accept(r)))).toEqual([undefined, undefined, undefined]);
  });

  it('a resuming reader labels the finals it releases as the first reader did', () => {
    const log = [voiced(2, B), voiced(1, A), voiced(3, B), voiced(4, A)];
    const resumed = new CaptionSequencer(2, { revisions: true, speakers: true });
    const events = log.flatMap((r) => resumed.accept(r));
    expect(events.map((e) => (e.type === 'final' ? [e.seq, e.speaker] : []))).toEqual([
      [3, 2],
      [4, 1],
    ]);
  });

  it('keeps the speaker on a corrected final', () => {
    const s = new CaptionSequencer(0, { revisions: true, speakers: true });
    s.accept(voiced(1, A));
    s.accept(voiced(2, B));
    expect(s.accept({ ...final(2, 'line two corrected'), rev: 2 })).toEqual([
      { type: 'final', seq: 2, text: 'line two corrected', start: 2, end: 3, rev: 2, speaker: 2 },
    ]);
  });
});

describe('CaptionSequencer spoken translations', () => {
  const spokenTranslation = (seq: number, lang: string, text: string) => ({
    ...translation(seq, lang, text),
    speak: true,
  });
  const audio = (seq: number, lang: string) => ({
    type: 'translation_audio' as const,
    seq,
    lang,
    audio: 'UklGRg==',
    sampleRate: 16000,
    duration: 1,
  });

  it('sends audio after its translation to readers that asked, and waits for it before done', () => {
    const s = new CaptionSequencer(0, { speak: ['es'] });
    s.accept(final(1, 'one', ['es']));
    s.accept({ type: 'ended', segments: 1 });
    expect(s.accept(spokenTranslation(1, 'es', 'uno')).map((e) => e.type)).toEqual(['translation']);
    expect(s.complete).toBe(false);
    expect(s.accept(audio(1, 'es'))).toEqual([
      {
        type: 'translation_audio',
        seq: 1,
        lang: 'es',
        format: 'wav',
        sample_rate: 16000,
        duration: 1,
        audio: 'UklGRg==',
      },
    ]);
    expect(s.complete).toBe(true);
    expect(s.accept(audio(1, 'es'))).toEqual([]);
  });

  it('holds audio with its translation until the final is out; a failed voice settles it', () => {
    const s = new CaptionSequencer(0, { speak: ['es'] });
    s.accept(final(2, 'two', ['es']));
    expect(s.accept(spokenTranslation(2, 'es', 'dos'))).toEqual([]);
    expect(s.accept(audio(2, 'es'))).toEqual([]);
    expect(s.accept(final(1, 'one', ['es'])).map((e) => e.type)).toEqual([
      'final',
      'final',
      'translation',
      'translation_audio',
    ]);
    s.accept({ type: 'ended', segments: 2 });
    s.accept(spokenTranslation(1, 'es', 'uno'));
    expect(s.complete).toBe(false);
    expect(
      s.accept({ type: 'error', code: 'tts_failed', message: 'no', seq: 1, lang: 'es', audio: true }),
    ).toMatchObject([{ type: 'error', code: 'tts_failed', seq: 1, lang: 'es' }]);
    expect(s.complete).toBe(true);
  });

  it('gives readers that did not ask neither audio nor its errors, and never waits for it', () => {
    const s = new CaptionSequencer();
    s.accept(final(1, 'one', ['es']));
    s.accept({ type: 'ended', segments: 1 });
    s.accept(spokenTranslation(1, 'es', 'uno'));
    expect(s.complete).toBe(true);
    expect(s.accept(audio(1, 'es'))).toEqual([]);
    expect(s.accept({ type: 'error', code: 'tts_failed', message: 'no', seq: 1, lang: 'es', audio: true })).toEqual([]);
  });
});
