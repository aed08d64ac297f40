/** Batch planning, the translation cache and the length cap, without a model. */
import { describe, expect, it } from 'vitest';
import { planBatches } from '../../../gpu-runners/engines/nllb-onnx/batching.ts';
import { DEFAULTS, maxNewTokens, resolveOptions } from '../../../gpu-runners/engines/nllb-onnx/options.ts';
import { TranslationCache } from '../../../gpu-runners/engines/nllb-onnx/translation-cache.ts';

const sentence = (name: string, length: number, targetId: number) => ({
  name,
  ids: new Array<number>(length).fill(5),
  targetId,
});

describe('planBatches', () => {
  it('groups by target in order of first appearance, longest first, at most maxBatch per batch', () => {
    const input = [
      sentence('a', 3, 10),
      sentence('b', 9, 20),
      sentence('c', 7, 10),
      sentence('d', 3, 10),
      sentence('e', 12, 10),
      sentence('f', 1, 20),
    ];
    const plan = planBatches(input, 2).map((batch) => batch.map((s) => s.name));
    expect(plan).toEqual([
      ['e', 'c'],
      ['a', 'd'],
      ['b', 'f'],
    ]);
  });

  it('places every sentence exactly once', () => {
    const input = Array.from({ length: 50 }, (_, i) => sentence(String(i), (i * 7) % 13, i % 3));
    const plan = planBatches(input, 8);
    expect(
      plan
        .flat()
        .map((s) => s.name)
        .sort(),
    ).toEqual(input.map((s) => s.name).sort());
    for (const batch of plan) {
      expect(batch.length).toBeLessThanOrEqual(8);
      expect(new Set(batch.map((s) => s.targetId)).size).toBe(1);
    }
  });
});

describe('TranslationCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new TranslationCache(2);
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('c', 'C');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
    expect({ hits: cache.hits, misses: cache.misses, size: cache.size }).toEqual({ hits: 3, misses: 1, size: 2 });
  });

  it('keeps nothing with capacity 0', () => {
    const cache = new TranslationCache(0);
    cache.set('a', 'A');
    expect(cache.get('a')).toBeUndefined();
  });

  it('keys by language token ids, so language tags that name the same model language share entries', () => {
    expect(TranslationCache.key(1, 2, 'hi')).not.toBe(TranslationCache.key(2, 1, 'hi'));
  });
});

describe('options', () => {
  it('caps generation relative to the source, within the model maximum', () => {
    expect(maxNewTokens(10, DEFAULTS, 200)).toBe(30);
    expect(maxNewTokens(150, DEFAULTS, 200)).toBe(199);
    expect(maxNewTokens(3, { ...DEFAULTS, maxLengthFactor: 0, maxLengthOffset: 32 }, 200)).toBe(32);
  });

  it('rejects out-of-range options by name', () => {
    expect(() => resolveOptions({ model: 'x', beams: 0 })).toThrow(/beams/);
    expect(resolveOptions({ model: 'x', beams: 4 })).toMatchObject({ beams: 4, maxBatch: DEFAULTS.maxBatch });
  });
});
