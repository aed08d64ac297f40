/**
 * The embedded wake-word engine on real speech: "hey earshot" spoken by espeak-ng voices at several speeds, placed
 * between librivox recordings, is found where it was said; librivox alone is not mistaken for it.
 * (Detection rate over every voice, and false accepts per hour, are measured by `npm run bench:wake`.)
 */
import { describe, expect, it } from 'vitest';
import { SphinxKwsDetector } from '../../../edge/wake/sphinx-kws.ts';
import { librivoxRecordings } from '../../support/librivox.ts';
import { concat, placeBetween, spokenPhrase, WAKE_VOICES } from '../../support/wake-audio.ts';

const recordings = librivoxRecordings();

async function detect(pcm: Int16Array, phrase = 'hey earshot'): Promise<number[]> {
  const detector = await SphinxKwsDetector.create({ phrase });
  try {
    const hits: number[] = [];
    for (let i = 0; i < pcm.length; i += 1600)
      for (const d of await detector.process(pcm.subarray(i, i + 1600))) hits.push(d.at);
    return hits;
  } finally {
    await detector.close();
  }
}

describe('sphinx keyphrase spotting', () => {
  it.each(WAKE_VOICES)(
    'finds "hey earshot" said by espeak-ng $voice at $speed wpm between two librivox recordings',
    async ({ voice, speed }) => {
      const { pcm, start, end } = placeBetween(
        recordings[3]!.pcm,
        spokenPhrase('hey earshot', voice, speed),
        recordings[4]!.pcm,
      );
      const hits = await detect(pcm);
      expect(hits).toHaveLength(1);
      expect(hits[0]).toBeGreaterThanOrEqual(start);
      expect(hits[0]).toBeLessThanOrEqual(end + 1);
    },
  );

  it('hears no "hey earshot" in the librivox recordings', async () => {
    expect(await detect(concat(recordings.map((r) => r.pcm)))).toEqual([]);
  });

  it('spots a phrase with a word the dictionary lacks, pronounced through espeak-ng', async () => {
    const { pcm, start, end } = placeBetween(
      recordings[1]!.pcm,
      spokenPhrase('hey zorbaxo', 'en-us+klatt', 150),
      recordings[2]!.pcm,
    );
    const hits = await detect(pcm, 'hey zorbaxo');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toBeGreaterThanOrEqual(start);
    expect(hits[0]).toBeLessThanOrEqual(end + 1);
  });
});
