import { describe, expect, it } from 'vitest';
import { TextJoiner } from '../../../client/node/typing/text-joiner.ts';

const typeAll = (finals: string[], options = {}) => {
  const joiner = new TextJoiner(options);
  return finals.map((f) => joiner.next(f));
};

describe('TextJoiner', () => {
  it('spaces utterances, capitalises sentence starts and English "i"', () => {
    expect(typeAll(['he was not an ill disposed young man', 'i think', 'so'])).toEqual([
      'He was not an ill disposed young man',
      ' I think',
      ' so',
    ]);
  });

  it('turns spoken punctuation into marks that hug the word before, and capitalises after them', () => {
    expect(typeAll(['hello comma world period', 'how are you question mark', 'new paragraph thanks'])).toEqual([
      'Hello, world.',
      ' How are you?',
      '\n\nThanks',
    ]);
    expect(typeAll(['first new line second'])).toEqual(['First\nSecond']);
  });

  it('types a mark-only utterance without a space before it', () => {
    expect(typeAll(['it works', 'exclamation mark'])).toEqual(['It works', '!']);
  });

  it('leaves punctuated, capitalised engine output (Whisper) as it is', () => {
    expect(typeAll(['Hello, world.', 'This is fine!', 'and so'])).toEqual([
      'Hello, world.',
      ' This is fine!',
      ' And so',
    ]);
  });

  it('applies English rules to English only', () => {
    expect(typeAll(['il dit comma bonjour', 'i'], { language: 'fr' })).toEqual(['Il dit comma bonjour', ' i']);
    expect(typeAll(['él dijo !', 'vale'], { language: 'es', capitalize: false })).toEqual(['él dijo !', ' vale']);
  });

  it('can keep spoken words and lower case when asked', () => {
    expect(typeAll(['say comma please'], { spokenPunctuation: false, capitalize: false })).toEqual([
      'say comma please',
    ]);
  });

  it('types nothing for empty finals and starts a sentence after reset', () => {
    const joiner = new TextJoiner();
    expect(joiner.next('   ')).toBe('');
    expect(joiner.next('one')).toBe('One');
    joiner.reset();
    expect(joiner.next('two')).toBe('Two');
  });
});
