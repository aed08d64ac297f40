/**
 * Pronunciations (CMU ARPAbet, the phones of pocketsphinx's US English model) for glossary terms sphinx's
 * dictionary lacks. In order: `sounds_like` given as ARPAbet ("Z AO R B AE K S"); `sounds_like` given as ordinary
 * words ("zor backs"), each looked up in the dictionary; the term's own words from the dictionary; and for words it
 * lacks, espeak-ng's phonemes (`espeak-ng -x`, its ASCII phoneme names) mapped to ARPAbet.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { GlossaryTerm } from '../../shared/glossary.ts';

const run = promisify(execFile);

/** The 39 phones of CMU ARPAbet (stress marks dropped), which pocketsphinx's en-us model knows. */
export const ARPABET = new Set(
  'AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z ZH'.split(' '),
);

/** espeak-ng's English phoneme names → ARPAbet. Longest names are matched first. */
const ESPEAK: Readonly<Record<string, string>> = {
  // vowels and diphthongs
  'aI@': 'AY ER',
  'aU@': 'AW ER',
  'i@3': 'IH R',
  aI3: 'AY ER',
  aU3: 'AW ER',
  '3:': 'ER',
  '3': 'ER',
  '@L': 'AH L',
  '@2': 'AH',
  '@5': 'AH',
  '@-': 'AH',
  '@': 'AH',
  'a#': 'AH',
  V: 'AH',
  'I#': 'IH',
  I2: 'IH',
  I: 'IH',
  'i:': 'IY',
  i: 'IY',
  E: 'EH',
  e: 'EH',
  a: 'AE',
  aa: 'AE',
  'A:': 'AA',
  'A@': 'AA R',
  A: 'AA',
  '0': 'AA',
  'O:': 'AO',
  'O@': 'AO R',
  'o@': 'AO R',
  O: 'AO',
  oU: 'OW',
  '@U': 'OW',
  o: 'OW',
  'U@': 'UH R',
  U: 'UH',
  'u:': 'UW',
  u: 'UW',
  aI: 'AY',
  aU: 'AW',
  eI: 'EY',
  'e@': 'EH R',
  'i@': 'IH R',
  'I@': 'IH R',
  OI: 'OY',
  // consonants (t# is the flap, ? the glottal stop, n- l- m- syllabic consonants)
  tS: 'CH',
  dZ: 'JH',
  't#': 'T',
  'd#': 'D',
  '?': 'T',
  'n-': 'AH N',
  'l-': 'AH L',
  'm-': 'AH M',
  'r-': 'R',
  b: 'B',
  d: 'D',
  D: 'DH',
  f: 'F',
  g: 'G',
  h: 'HH',
  j: 'Y',
  k: 'K',
  l: 'L',
  m: 'M',
  n: 'N',
  N: 'NG',
  p: 'P',
  r: 'R',
  s: 'S',
  S: 'SH',
  t: 'T',
  T: 'TH',
  v: 'V',
  w: 'W',
  z: 'Z',
  Z: 'ZH',
  x: 'K',
  W: 'W',
  C: 'HH',
};
const ESPEAK_NAMES = Object.keys(ESPEAK).sort((a, b) => b.length - a.length);

/** espeak-ng `-x` output for one word (e.g. `z'o@baks`) → ARPAbet (`Z AO R B AE K S`); marks it does not know are skipped. */
export function espeakToArpabet(phonemes: string): string {
  const out: string[] = [];
  let i = 0;
  while (i < phonemes.length) {
    const name = ESPEAK_NAMES.find((n) => phonemes.startsWith(n, i));
    if (name) {
      out.push(ESPEAK[name]!);
      i += name.length;
    } else {
      i += 1; // stress (' ,), length (:), syllable and pause marks
    }
  }
  // espeak writes an r-coloured vowel and then its r ("3r", "o@r"): ARPAbet has one R (or ER alone).
  return out.join(' ').replace(/\b(ER|R) R\b/g, '$1');
}

/** `sounds_like` written as phones: every token an ARPAbet phone (stress digits allowed). */
export function asArpabet(text: string): string | null {
  const phones = text
    .trim()
    .split(/\s+/)
    .map((p) => p.replace(/[012]$/, ''));
  return phones.length > 0 && phones.every((p) => ARPABET.has(p)) && /^[A-Z012\s]+$/.test(text.trim())
    ? phones.join(' ')
    : null;
}

export interface TermWord {
  /**
   * The word added to the decoder: `_` and the term's words lower-cased, joined by `_` (`_zorbax_pro`). A new word
   * even for a term the dictionary knows: pocketsphinx cannot re-weight a word, but a new one enters the language
   * model as a likely unigram, which is the bias ("dashwood" alone is heard as "guess would").
   */
  word: string;
  phones: string;
  /** The glossary term it stands for, as written in the transcript. */
  term: string;
}

const splitWords = (text: string) =>
  text
    .toLowerCase()
    .split(/[\s-]+/)
    .filter(Boolean);

export class Pronouncer {
  readonly #dictPath: string;
  #dict: Map<string, string> | null = null;
  readonly #espeak: string;

  constructor(dictPath: string, espeak = 'espeak-ng') {
    this.#dictPath = dictPath;
    this.#espeak = espeak;
  }

  /** The dictionary's first pronunciation of a word; loaded on first use (~135k words, a few MB). */
  lookup(word: string): string | undefined {
    if (!this.#dict) {
      this.#dict = new Map();
      for (const line of fs.readFileSync(this.#dictPath, 'utf8').split('\n')) {
        const space = line.indexOf(' ');
        if (space > 0 && !this.#dict.has(line.slice(0, space)))
          this.#dict.set(line.slice(0, space), line.slice(space + 1).trim());
      }
    }
    return this.#dict.get(word.toLowerCase());
  }

  /** ARPAbet of words through espeak-ng (one call for all of them); null where espeak-ng is missing or fails. */
  async espeak(words: readonly string[]): Promise<(string | null)[]> {
    if (words.length === 0) return [];
    try {
      const { stdout } = await run(this.#espeak, ['-q', '-x', '-v', 'en-us', words.map((w) => `${w}.`).join('\n')], {
        timeout: 10_000,
      });
      const lines = stdout
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      return lines.length === words.length ? lines.map((l) => espeakToArpabet(l) || null) : words.map(() => null);
    } catch {
      return words.map(() => null);
    }
  }

  /** The words to add to a decoder for a glossary, one per term; terms with no pronunciation to be had are left out. */
  async termWords(glossary: readonly GlossaryTerm[]): Promise<TermWord[]> {
    const out: TermWord[] = [];
    const unknown: { term: string; word: string; parts: string[] }[] = [];
    for (const { term, sounds_like } of glossary) {
      const parts = splitWords(term)
        .map((w) => w.replace(/[^\p{L}\p{N}']/gu, ''))
        .filter(Boolean);
      if (parts.length === 0) continue;
      const word = `_${parts.join('_')}`;
      const hint = sounds_like?.[0];
      const given = hint ? (asArpabet(hint) ?? this.#fromWords(hint)) : null;
      if (given) out.push({ word, phones: given, term });
      else unknown.push({ term, word, parts });
    }
    // Words the dictionary lacks, pronounced by espeak-ng in one call.
    const missing = [...new Set(unknown.flatMap((u) => u.parts.filter((p) => !this.lookup(p))))];
    const spoken = new Map(missing.map((w, i) => [w, i] as const));
    const phones = await this.espeak(missing);
    for (const u of unknown) {
      const parts = u.parts.map((p) => this.lookup(p) ?? phones[spoken.get(p)!] ?? null);
      if (parts.every((p): p is string => p !== null))
        out.push({ word: u.word, phones: parts.join(' ').replace(/[012]/g, ''), term: u.term });
    }
    return out;
  }

  /** "zor backs" → the dictionary's phones of each word; null if one is missing. */
  #fromWords(text: string): string | null {
    const phones = splitWords(text).map((w) => this.lookup(w));
    return phones.length > 0 && phones.every(Boolean) ? phones.join(' ').replace(/[012]/g, '') : null;
  }
}
