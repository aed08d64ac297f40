/**
 * Two-speaker sessions from real audio on this machine, for the diarization bench and tests: utterances of two
 * voices alternating (A B A B …), each with its reference speaker.
 * - `espeak-male-female`: espeak-ng's English voice as a man (`en+m3`) and a woman (`en+f3`), different sentences;
 * - `librivox-espeak`: the librivox reader of pocketsphinx-testdata (a human) and espeak-ng's woman;
 * - `librivox-cmu`: the librivox reader and CMU's recordings in the same package (goforward, numbers, something),
 *   two real microphones and people;
 * - `librivox-alone`, `espeak-male-alone`: one voice only, where a diarizer must not invent a second speaker.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { decodeWav } from '../../shared/audio/wav.ts';
import { floatToPcm16 } from '../../shared/audio/pcm.ts';
import { resample } from '../../shared/audio/resample.ts';

const DATA = '/usr/share/pocketsphinx/test/data';

export interface Utterance {
  speaker: string;
  text: string;
  /** 16 kHz mono PCM16. */
  pcm: Int16Array;
}

export const SCENARIOS = [
  'espeak-male-female',
  'librivox-espeak',
  'librivox-cmu',
  'librivox-alone',
  'espeak-male-alone',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

const SENTENCES = [
  'the birch canoe slid on the smooth planks',
  'glue the sheet to the dark blue background',
  'it is easy to tell the depth of a well',
  'these days a chicken leg is a rare dish',
  'rice is often served in round bowls',
  'the juice of lemons makes fine punch',
  'the box was thrown beside the parked truck',
  'the hogs were fed chopped corn and garbage',
];

/** espeak-ng speaking `text` with `voice`, as 16 kHz PCM16. */
export function espeak(voice: string, text: string): Int16Array {
  const wav = decodeWav(execFileSync('espeak-ng', ['-v', voice, '--stdout', text], { timeout: 10_000 }));
  return floatToPcm16(resample(wav.samples[0]!, wav.sampleRate, 16000));
}

function librivox(): Utterance[] {
  const lines = readFileSync(`${DATA}/librivox/transcription`, 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [, text, id] = /^<s>\s*(.*?)\s*<\/s>\s*\((\S+)\)$/.exec(line.trim()) as unknown as [string, string, string];
    return {
      speaker: 'librivox',
      text,
      pcm: floatToPcm16(decodeWav(readFileSync(`${DATA}/librivox/${id}.wav`)).samples[0]!),
    };
  });
}

function cmu(): Utterance[] {
  const texts: Record<string, string> = {
    goforward: 'go forward ten meters',
    numbers: 'numbers',
    something: 'something',
  };
  return Object.entries(texts).map(([file, text]) => {
    const raw = readFileSync(`${DATA}/${file}.raw`);
    return { speaker: 'cmu', text, pcm: new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)) };
  });
}

const alternate = (a: Utterance[], b: Utterance[]): Utterance[] => a.flatMap((u, i) => (b[i] ? [u, b[i]] : [u]));

export function scenario(name: Scenario): Utterance[] {
  switch (name) {
    case 'espeak-male-female':
      return alternate(
        SENTENCES.filter((_, i) => i % 2 === 0).map((text) => ({ speaker: 'male', text, pcm: espeak('en+m3', text) })),
        SENTENCES.filter((_, i) => i % 2 === 1).map((text) => ({
          speaker: 'female',
          text,
          pcm: espeak('en+f3', text),
        })),
      );
    case 'librivox-espeak':
      return alternate(
        librivox(),
        SENTENCES.slice(0, 5).map((text) => ({ speaker: 'espeak-female', text, pcm: espeak('en+f3', text) })),
      );
    case 'librivox-cmu':
      return alternate(librivox(), cmu());
    case 'librivox-alone':
      return librivox();
    case 'espeak-male-alone':
      return SENTENCES.map((text) => ({ speaker: 'male', text, pcm: espeak('en+m3', text) }));
  }
}
