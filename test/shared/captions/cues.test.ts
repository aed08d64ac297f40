import { describe, expect, it } from 'vitest';
import { formatTimestamp, layOut, wrapLines } from '../../../shared/captions/cues.ts';

describe('formatTimestamp', () => {
  it('prints hours, minutes, seconds and milliseconds with the given separator', () => {
    expect(formatTimestamp(0, ',')).toBe('00:00:00,000');
    expect(formatTimestamp(3.05, '.')).toBe('00:00:03.050');
    expect(formatTimestamp(3723.4567, ',')).toBe('01:02:03,457');
    expect(formatTimestamp(100 * 3600, '.')).toBe('100:00:00.000');
  });

  it('carries rounding into the next second and minute instead of printing 60', () => {
    expect(formatTimestamp(59.9996, '.')).toBe('00:01:00.000');
    expect(formatTimestamp(3599.9999, ',')).toBe('01:00:00,000');
  });

  it('clamps negative times to zero', () => {
    expect(formatTimestamp(-0.2, ',')).toBe('00:00:00,000');
  });
});

describe('wrapLines', () => {
  it('fills lines up to the limit at spaces, collapsing whitespace and newlines', () => {
    const lines = wrapLines('he was not an ill disposed young man\n\nunless to be rather cold hearted', 20);
    expect(lines).toEqual(['he was not an ill', 'disposed young man', 'unless to be rather', 'cold hearted']);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(20);
  });

  it('keeps a word that exactly fits, and cuts a word longer than a line', () => {
    expect(wrapLines('abcde fghij', 5)).toEqual(['abcde', 'fghij']);
    expect(wrapLines('go https://example.com/very/long/path now', 10)).toEqual([
      'go',
      'https://ex',
      'ample.com/',
      'very/long/',
      'path now',
    ]);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(wrapLines('😀😀😀 😀😀', 5)).toEqual(['😀😀😀', '😀😀']);
  });

  it('returns no lines for blank text', () => {
    expect(wrapLines('  \n ', 42)).toEqual([]);
  });
});

describe('layOut', () => {
  it('keeps a cue that fits in two lines as one cue', () => {
    expect(layOut([{ start: 1, end: 2, text: 'short text' }])).toEqual([{ start: 1, end: 2, lines: ['short text'] }]);
  });

  it('splits a long cue into consecutive cues of at most two lines, sharing its time by characters', () => {
    const text = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const out = layOut([{ start: 10, end: 20, text }], { maxLineChars: 20, maxLines: 2 });
    expect(out.length).toBeGreaterThan(1);
    for (const cue of out) {
      expect(cue.lines.length).toBeLessThanOrEqual(2);
      for (const line of cue.lines) expect(line.length).toBeLessThanOrEqual(20);
    }
    expect(out[0]!.start).toBe(10);
    expect(out.at(-1)!.end).toBe(20);
    for (let i = 1; i < out.length; i++) expect(out[i]!.start).toBe(out[i - 1]!.end);
    expect(out.flatMap((c) => c.lines).join(' ')).toBe(text);
  });

  it('drops cues without text', () => {
    expect(layOut([{ start: 0, end: 1, text: ' ' }])).toEqual([]);
  });
});
