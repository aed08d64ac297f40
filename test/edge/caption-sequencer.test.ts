import { describe, expect, it } from 'vitest';
import { CaptionSequencer } from '../../edge/realtime/caption-sequencer.ts';

const final = (seq: number, text: string, targets: string[] = []) => ({ type: 'final' as const, seq, text, start: seq, end: seq + 1, targets });
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
    expect(s.accept({ type: 'error', code: 'stt_failed', message: 'boom', seq: 1 })).toEqual([{ type: 'error', code: 'stt_failed', message: 'boom', seq: 1 }]);
    expect(s.accept(final(2, 'two'))).toHaveLength(1);
    s.expectSegments(2);
    expect(s.complete).toBe(true);
  });
});
