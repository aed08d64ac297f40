/** The web pages' caption rules (client/web/captions.ts), in Node: the pages only render what this decides. */
import { describe, expect, it } from 'vitest';
import { CaptionBook } from '../../client/web/captions.ts';

const ready = { type: 'ready', session: 's', protocol: 1, targets: ['es'], language: 'en' };

describe('CaptionBook', () => {
  it('shows the partial until its final replaces it, and translations under their final', () => {
    const book = new CaptionBook();
    book.apply(ready);
    book.apply({ type: 'partial', text: 'he was', start: 0 });
    expect(book.view()).toEqual({ lines: [], partial: 'he was' });
    book.apply({ type: 'final', seq: 1, text: 'he was not', start: 0, end: 1 });
    book.apply({ type: 'translation', seq: 1, lang: 'es', text: 'no era' });
    expect(book.view({ subs: true })).toEqual({
      lines: [{ key: '1', text: 'he was not', lang: 'en', pending: false, subs: [{ lang: 'es', text: 'no era' }] }],
      partial: null,
    });
  });

  it('reads a target language: the original marked pending until the translation comes, no partials', () => {
    const book = new CaptionBook();
    book.apply(ready);
    book.apply({ type: 'final', seq: 1, text: 'one', start: 0, end: 1 });
    book.apply({ type: 'final', seq: 3, text: 'three', start: 1, end: 2 });
    book.apply({ type: 'partial', text: 'fo', start: 2 });
    book.apply({ type: 'translation', seq: 1, lang: 'es', text: 'uno' });
    book.apply({ type: 'error', code: 'mt_failed', message: 'x', seq: 3, lang: 'es' });
    expect(book.view({ lang: 'es' })).toEqual({
      lines: [
        { key: '1', text: 'uno', lang: 'es', pending: false, subs: [] },
        { key: '3', text: 'three', lang: 'en', pending: false, subs: [] },
      ],
      partial: null,
    });
    expect(book.view({ lang: 'en' }).partial).toBe('fo');
  });

  it('shows a provisional translation of the partial to a viewer reading that language, until the final', () => {
    const book = new CaptionBook();
    book.apply(ready);
    book.apply({ type: 'partial', text: 'he was', start: 0 });
    book.apply({ type: 'partial_translation', lang: 'es', text: 'él era', start: 0 });
    expect(book.view({ lang: 'es' }).partial).toBe('él era');
    expect(book.view({ lang: 'fr' }).partial).toBeNull();
    book.apply({ type: 'final', seq: 1, text: 'he was not', start: 0, end: 1 });
    expect(book.view({ lang: 'es' })).toMatchObject({ partial: null, lines: [{ text: 'he was not', pending: true }] });
  });

  it('keeps the last `count` lines in view and forgets beyond `keep`', () => {
    const book = new CaptionBook({ keep: 5 });
    for (let seq = 1; seq <= 8; seq++) book.apply({ type: 'final', seq, text: `line ${seq}`, start: seq, end: seq });
    expect(book.lines.map((l) => l.seq)).toEqual([4, 5, 6, 7, 8]);
    expect(book.view({ count: 2 }).lines.map((l) => l.text)).toEqual(['line 7', 'line 8']);
  });

  it('starts over on reset (a reconnecting viewer gets the history again) and ignores unknown events', () => {
    const book = new CaptionBook();
    book.apply({ type: 'final', seq: 1, text: 'one', start: 0, end: 1 });
    expect(book.apply({ type: 'something_new' })).toBe(false);
    book.reset();
    expect(book.view()).toEqual({ lines: [], partial: null });
  });

  it('v1.1: a corrected final replaces its line in place, its new translation replaces the old, stale ones are ignored', () => {
    const book = new CaptionBook();
    book.apply(ready);
    book.apply({ type: 'final', seq: 1, rev: 1, text: 'been leisure', start: 0, end: 1 });
    book.apply({ type: 'translation', seq: 1, rev: 1, lang: 'es', text: 'ocio' });
    book.apply({ type: 'final', seq: 2, rev: 1, text: 'two', start: 1, end: 2 });
    expect(book.completeThrough(['es'])).toBe(1);
    book.apply({ type: 'final', seq: 1, rev: 2, text: 'been at leisure', start: 0, end: 1 });
    // Until the correction's translation comes, the old one stays (no blank flash) but the line is not complete.
    expect(book.view({ lang: 'es' }).lines.map((l) => l.text)).toEqual(['ocio', 'two']);
    expect(book.completeThrough(['es'])).toBe(0);
    book.apply({ type: 'translation', seq: 1, rev: 2, lang: 'es', text: 'estado en ocio' });
    book.apply({ type: 'translation', seq: 1, rev: 1, lang: 'es', text: 'ocio' }); // stale
    expect(book.view({ count: 5 }).lines.map((l) => `${l.key}: ${l.text}`)).toEqual(['1: been at leisure', '2: two']);
    expect(book.view({ lang: 'es' }).lines[0]!.text).toBe('estado en ocio');
    // The same final again (after a reconnect) adds nothing.
    expect(book.apply({ type: 'final', seq: 2, rev: 1, text: 'two', start: 1, end: 2 })).toBe(false);
    expect(book.lines).toHaveLength(2);
  });
});
