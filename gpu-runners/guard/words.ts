/**
 * Text as the hallucination rules see it: lower case, punctuation gone, one token per word. Scripts written
 * without spaces (Han, kana, Thai) give one token per character, so counting and phrase matching work for them too.
 */

const UNSPACED = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}])/gu;

export function words(text: string): string[] {
  const plain = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[’']/g, '') // "don't" and "dont" are one word, as a speaker's transcript spells either
    .replace(UNSPACED, ' $1 ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return plain ? plain.split(' ') : [];
}
