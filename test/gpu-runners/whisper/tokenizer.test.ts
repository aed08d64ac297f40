/** The tokenizer against transformers.js's (same tokenizer.json), and its special tokens. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { WhisperTokenizer } from '../../../gpu-runners/engines/whisper-onnx/tokenizer.ts';
import { tinyModel } from './support.ts';

env.allowRemoteModels = false;
env.localModelPath = '/';

const TEXTS = [
  'hello world',
  ' and so the story went on',
  "It's a truth universally acknowledged, that a single man in possession of a good fortune…",
  'Numbers 1234 and 56, symbols <>{}#@!',
  '  leading and trailing spaces  ',
  'Ünïcödé — Grüße, 日本語, emoji 🙂',
  'line\nbreaks\tand tabs',
];

describe('whisper tokenizer', () => {
  const dir = tinyModel();
  const mine = new WhisperTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));

  it('encodes and decodes like transformers.js', async () => {
    const theirs = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    for (const text of TEXTS) {
      const ids = mine.encode(text);
      expect({ text, ids }).toEqual({ text, ids: theirs.encode(text, { add_special_tokens: false }) });
      expect(mine.decode(ids)).toBe(text);
      expect(mine.decode(ids)).toBe(theirs.decode(ids, { skip_special_tokens: true }));
    }
  });

  it("finds Whisper's special tokens in Whisper's order", () => {
    const s = mine.specials;
    expect(s.sot).toBe(s.eot + 1);
    expect([...s.languages.keys()].slice(0, 3)).toEqual(['en', 'zh', 'de']);
    expect(s.languages.size).toBe(99);
    expect(s.languages.get('en')).toBe(s.sot + 1);
    expect(s.translate).toBe(s.sot + 100);
    expect(s.transcribe).toBe(s.translate + 1);
    expect(s.startOfPrev).toBe(s.transcribe + 2);
    expect(s.noSpeech).toBe(s.startOfPrev + 1);
    expect(s.timestampBegin).toBe(s.noTimestamps + 1);
    expect(mine.vocabSize).toBe(s.timestampBegin + 1501);
    expect(mine.timeOf(s.timestampBegin + 50)).toBeCloseTo(1.0, 10);
  });

  it('drops special and timestamp tokens when decoding text', () => {
    const s = mine.specials;
    const words = mine.encode(' hello');
    expect(
      mine.decode([
        s.sot,
        s.languages.get('en')!,
        s.transcribe,
        s.timestampBegin,
        ...words,
        s.timestampBegin + 20,
        s.eot,
      ]),
    ).toBe(' hello');
  });
});
