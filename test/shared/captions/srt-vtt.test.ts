import { describe, expect, it } from 'vitest';
import { toSrt } from '../../../shared/captions/srt.ts';
import { toVtt } from '../../../shared/captions/vtt.ts';

const cues = [
  { start: 0.12, end: 3.05, text: 'he was not an ill disposed young man' },
  { start: 3.5, end: 61.2, text: 'unless to be rather cold hearted and rather selfish is to be ill disposed' },
];

describe('toSrt', () => {
  it('numbers cues from 1 with comma milliseconds and a blank line after each', () => {
    expect(toSrt(cues)).toBe(
      '1\n00:00:00,120 --> 00:00:03,050\nhe was not an ill disposed young man\n\n' +
        '2\n00:00:03,500 --> 00:01:01,200\nunless to be rather cold hearted and\nrather selfish is to be ill disposed\n\n',
    );
  });

  it('renumbers after splitting a long cue', () => {
    const srt = toSrt([{ start: 0, end: 9, text: 'one two three four five six' }], { maxLineChars: 9, maxLines: 1 });
    expect(
      srt
        .split('\n\n')
        .filter(Boolean)
        .map((block) => block.split('\n')[0]),
    ).toEqual(['1', '2', '3', '4']);
  });

  it('is empty for no cues', () => {
    expect(toSrt([])).toBe('');
  });
});

describe('toVtt', () => {
  it('starts with the WEBVTT header and uses dot milliseconds', () => {
    expect(toVtt(cues.slice(0, 1))).toBe(
      'WEBVTT\n\n00:00:00.120 --> 00:00:03.050\nhe was not an ill disposed young man\n\n',
    );
  });

  it('escapes markup characters so text cannot become tags or a timing arrow', () => {
    const vtt = toVtt([{ start: 0, end: 1, text: 'a <b> & c --> d' }]);
    expect(vtt).toContain('a &lt;b&gt; &amp; c --&gt; d');
    expect(vtt.match(/-->/g)).toHaveLength(1);
  });

  it('is just the header for no cues', () => {
    expect(toVtt([])).toBe('WEBVTT\n\n');
  });
});
