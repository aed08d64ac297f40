/**
 * Property tests of the WAV parser and the VAD segmenter with random and adversarial input, plus the corpus of
 * malformed WAV headers in test/corpus/wav: every rejection is a WavFormatError, never a crash or a hang.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav, WavFormatError } from '../../shared/audio/wav.ts';
import { UtteranceSegmenter, type SegmenterEvent } from '../../shared/vad/segmenter.ts';

function decodesOrRejects(bytes: Uint8Array): void {
  try {
    const wav = decodeWav(bytes);
    expect(wav.channels).toBeGreaterThan(0);
    expect(wav.sampleRate).toBeGreaterThan(0);
    for (const channel of wav.samples) for (const s of channel) expect(Number.isFinite(s)).toBe(true);
  } catch (err) {
    expect(err).toBeInstanceOf(WavFormatError);
  }
}

const validWav = encodeWav(
  Int16Array.from({ length: 400 }, (_, i) => Math.round(8000 * Math.sin(i / 5))),
  16000,
);

describe('WAV parser fuzzing', () => {
  it('random bytes are decoded or rejected with WavFormatError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodesOrRejects(bytes)),
      { numRuns: 2000 },
    );
  });

  it('a valid WAV with corrupted header bytes is decoded or rejected with WavFormatError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: validWav.length }),
        (edits, cut) => {
          const bytes = validWav.slice(0, cut);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          decodesOrRejects(bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('the malformed-header corpus is rejected (or decoded) without a crash', () => {
    const files = readdirSync('test/corpus/wav');
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) decodesOrRejects(readFileSync(`test/corpus/wav/${file}`));
  });
});

describe('segmenter fuzzing', () => {
  const detector = { frameSamples: 480, isSpeech: (f: Int16Array) => f.some((s) => Math.abs(s) > 2000) };

  it('any audio in any chunking yields contiguous segments that do not overlap, and the same ones for any chunking', () => {
    const audio = fc
      .array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 3000 })), { maxLength: 40 })
      .map((parts) => {
        const out: number[] = [];
        for (const [loud, n] of parts) for (let i = 0; i < n; i++) out.push(loud ? (i % 2 ? 9000 : -9000) : 0);
        return Int16Array.from(out);
      });
    fc.assert(
      fc.property(
        audio,
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 10 }),
        (pcm, chunkSizes) => {
          const run = (sizes: number[]) => {
            const seg = new UtteranceSegmenter(detector, {
              maxUtteranceMs: 3000,
              silenceMs: 300,
              partialIntervalMs: 500,
            });
            const events: SegmenterEvent[] = [];
            for (let i = 0, k = 0; i < pcm.length; k++) {
              const n = sizes[k % sizes.length]!;
              events.push(...seg.feed(pcm.subarray(i, i + n)));
              i += n;
            }
            return [...events, ...seg.finish()].filter(
              (e): e is Extract<SegmenterEvent, { type: 'utterance' }> => e.type === 'utterance',
            );
          };
          const utterances = run(chunkSizes);
          utterances.forEach((u, i) => {
            expect(u.segment).toBe(i + 1);
            expect(u.endSample).toBeGreaterThan(u.startSample);
            expect(u.pcm.length).toBe(u.endSample - u.startSample);
            if (i > 0) expect(u.startSample).toBeGreaterThanOrEqual(utterances[i - 1]!.endSample);
          });
          expect(run([1600]).map((u) => [u.startSample, u.endSample])).toEqual(
            utterances.map((u) => [u.startSample, u.endSample]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
