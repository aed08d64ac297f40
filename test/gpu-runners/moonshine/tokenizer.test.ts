/**
 * Moonshine's decode-only tokenizer against transformers.js's tokenizer on the same tokenizer.json: word pieces,
 * special tokens (skipped), and `<0xNN>` byte-fallback tokens — valid multi-byte UTF-8 (é, €, emoji) and invalid
 * runs, which both write as one U+FFFD per byte.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { MoonshineTokenizer } from '../../../gpu-runners/engines/moonshine-onnx/tokenizer.ts';
import { uniformGenerator } from '../../fixtures/onnx/prng.ts';
import { moonshineFixture } from '../../fixtures/moonshine/write-model.ts';

const byte = (b: number) => 3 + b;
const utf8 = (text: string) => [...Buffer.from(text, 'utf8')].map(byte);

describe('moonshine tokenizer', () => {
  it('decodes as transformers.js does: pieces, specials skipped, byte fallback valid and invalid', async () => {
    const dir = moonshineFixture('tiny-random');
    const mine = new MoonshineTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')));
    env.allowRemoteModels = false;
    env.localModelPath = '/';
    const theirs = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
    const next = uniformGenerator(3, 'tokenizer-test');
    const pick = (n: number) => Math.floor(next() * n);
    const cases: number[][] = [
      [300, 301, ...utf8('é'), 302],
      [...utf8('€ 😀'), 400],
      [byte(0xc3), 500, byte(0xa9)], // a split sequence: invalid on both sides
      [byte(0xff), byte(0xfe)],
      [1, 300, 2, 0, 301],
      [259, 259, 300],
    ];
    for (let i = 0; i < 200; i++) {
      cases.push(
        Array.from({ length: 1 + pick(12) }, () =>
          next() < 0.2 ? byte(pick(256)) : next() < 0.1 ? pick(3) : 259 + pick(mine.size - 259),
        ),
      );
    }
    for (const ids of cases)
      expect({ ids, text: mine.decode(ids) }).toEqual({ ids, text: theirs.decode(ids, { skip_special_tokens: true }) });
    expect(mine.decode([...utf8('café')])).toBe('café');
  });
});
