/**
 * Property tests of the SRT and WebVTT writers with random and adversarial cues (markup, arrows, blank lines,
 * huge and negative times, long unbroken words): the output always parses back into well-formed cues.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toSrt } from '../../shared/captions/srt.ts';
import { toVtt } from '../../shared/captions/vtt.ts';

const text = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '-->',
    '<b>bold</b>',
    '\n\n',
    'a\r\nb',
    'NOTE this',
    'WEBVTT',
    '1\n00:00:01,000 --> 00:00:02,000',
    'x'.repeat(300),
    '&amp; <c.x>',
  ),
);
const cue = fc.record({
  start: fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constantFrom(0, 59.9995, 3599.9999, 86400)),
  duration: fc.double({ min: 0, max: 30, noNaN: true }),
  text,
});
const cues = fc
  .array(cue, { maxLength: 20 })
  .map((list) => list.map((c) => ({ start: c.start, end: c.start + c.duration, text: c.text })));

const SRT_TIME = /^(\d{2,}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d),(\d{3})$/;
const VTT_TIME = /^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$/;

describe('caption writer fuzzing', () => {
  it('SRT: numbered blocks, valid timestamps, no blank lines or arrows inside cue text', () => {
    fc.assert(
      fc.property(cues, (list) => {
        const out = toSrt(list);
        const blocks = out.split(/\r?\n\r?\n/).filter((b) => b.trim() !== '');
        blocks.forEach((block, i) => {
          const [number, timing, ...lines] = block.split(/\r?\n/);
          expect(number).toBe(String(i + 1));
          expect(timing).toMatch(SRT_TIME);
          for (const line of lines) expect(line).not.toContain('-->');
        });
      }),
      { numRuns: 500 },
    );
  });

  it('VTT: a WEBVTT header, valid timestamps, markup escaped', () => {
    fc.assert(
      fc.property(cues, (list) => {
        const out = toVtt(list);
        expect(out.startsWith('WEBVTT')).toBe(true);
        const blocks = out
          .split(/\r?\n\r?\n/)
          .slice(1)
          .filter((b) => b.trim() !== '');
        for (const block of blocks) {
          const lines = block.split(/\r?\n/);
          const timingIndex = lines.findIndex((l) => l.includes('-->'));
          expect(lines[timingIndex]).toMatch(VTT_TIME);
          for (const line of lines.slice(timingIndex + 1)) {
            expect(line).not.toContain('-->');
            expect(line).not.toMatch(/<(?!\/?[biuv]\b)/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
