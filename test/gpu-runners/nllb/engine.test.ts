/** The nllb-onnx engine on the tiny generated models: batching per target, the cache, unsupported languages, beams. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NllbOnnxEngine } from '../../../gpu-runners/engines/nllb-onnx/engine.ts';
import type { MtRequest } from '../../../gpu-runners/engines/types.ts';
import { EarshotError } from '../../../shared/errors.ts';
import { nllbFixture } from '../../fixtures/models/nllb-fixture.ts';
import { ORACLE_SENTENCES } from './sentences.ts';

const TEXTS = ORACLE_SENTENCES.filter((s) => s.src === 'eng_Latn').map((s) => s.text);
const request = (id: string, text: string, target: string, source = 'en'): MtRequest => ({ id, text, source, target });

/** An engine whose debug log of model batches the test can read. */
function engineWithLog(options: Partial<ConstructorParameters<typeof NllbOnnxEngine>[0]> = {}) {
  const batches: { sentences: number; target: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const entry = JSON.parse(line) as { msg: string; sentences: number; target: number };
        if (entry.msg === 'translated batch') batches.push({ sentences: entry.sentences, target: entry.target });
      }
      done();
    },
  });
  const engine = new NllbOnnxEngine({
    model: nllbFixture('nllb-tiny'),
    logger: pino({ level: 'debug' }, sink),
    ...options,
  });
  return { engine, batches };
}

describe('NllbOnnxEngine', () => {
  const { engine, batches } = engineWithLog({ cacheSize: 0, maxBatch: 4 });
  beforeAll(() => engine.load());
  afterAll(() => engine.close());

  it('supports languages the model has, and nothing before load', async () => {
    expect(new NllbOnnxEngine({ model: nllbFixture('nllb-tiny') }).supports('en', 'es')).toBe(false);
    expect(engine.supports('en', 'es')).toBe(true);
    expect(engine.supports('de', 'zh-TW')).toBe(true);
    expect(engine.supports('en', 'xx')).toBe(false);
    expect(engine.supports('xx', 'es')).toBe(false);
  });

  it('rejects a batch with an unknown target as unsupported_target, before any model work', async () => {
    batches.length = 0;
    const failure = engine.translate([request('a', 'hello', 'es'), request('b', 'hello', 'xx')]);
    await expect(failure).rejects.toBeInstanceOf(EarshotError);
    await expect(failure).rejects.toMatchObject({
      code: 'unsupported_target',
      message: expect.stringContaining('"xx"'),
    });
    expect(batches).toEqual([]);
  });

  it('groups a mixed batch by target language and answers in request order', async () => {
    batches.length = 0;
    const targets = ['es', 'de', 'es', 'fr', 'de', 'es', 'es', 'es', 'fr'];
    const mixed = targets.map((target, i) => request(String(i), TEXTS[i % TEXTS.length]!, target));
    const results = await engine.translate(mixed);
    expect(results.map((r) => r.id)).toEqual(mixed.map((r) => r.id));
    // es: 5 sentences → batches of 4 and 1 (maxBatch 4); de: 2; fr: 2.
    expect(batches.map((b) => b.sentences)).toEqual([4, 1, 2, 2]);
    expect(new Set(batches.map((b) => b.target)).size).toBe(3);
    // Each result is what that sentence gets on its own.
    for (const [i, req] of mixed.entries()) expect((await engine.translate([req]))[0]!.text).toBe(results[i]!.text);
  });

  it('translates identical requests once, passes empty text through, and copies same-language text', async () => {
    batches.length = 0;
    const results = await engine.translate([
      request('1', TEXTS[0]!, 'es'),
      request('2', `  ${TEXTS[0]!} `, 'es'),
      request('3', '   ', 'es'),
      request('4', 'Hello there.', 'en-US'),
    ]);
    expect(batches).toEqual([{ sentences: 1, target: expect.any(Number) }]);
    expect(results[1]!.text).toBe(results[0]!.text);
    expect(results[2]!.text).toBe('');
    expect(results[3]!.text).toBe('Hello there.');
  });

  it('stops when the signal aborts', async () => {
    const controller = new AbortController();
    controller.abort(new Error('session gone'));
    await expect(engine.translate([request('1', TEXTS[1]!, 'es')], controller.signal)).rejects.toThrow('session gone');
  });
});

describe('NllbOnnxEngine cache', () => {
  it('answers a repeated (text, source, target) from the cache, and evicts the least recently used', async () => {
    const { engine, batches } = engineWithLog({ cacheSize: 2 });
    await engine.load();
    const first = await engine.translate([request('1', TEXTS[0]!, 'es')]);
    const again = await engine.translate([request('2', TEXTS[0]!, 'es')]);
    expect(again[0]!.text).toBe(first[0]!.text);
    expect(batches).toHaveLength(1);
    expect(engine.stats).toMatchObject({ sentences: 1, batches: 1, cache: { size: 1, hits: 1 } });
    // Same text, other target or source: not the same entry.
    await engine.translate([request('3', TEXTS[0]!, 'de'), request('4', TEXTS[0]!, 'es', 'fr')]);
    expect(batches).toHaveLength(3);
    expect(engine.stats.cache.size).toBe(2);
    await engine.translate([request('5', TEXTS[0]!, 'es')]); // evicted: translated again
    expect(batches).toHaveLength(4);
    await engine.close();
  });
});

describe('NllbOnnxEngine beam search and M2M100', () => {
  it('decodes with a beam, each sentence of a batch as alone', async () => {
    const engine = new NllbOnnxEngine({ model: nllbFixture('nllb-tiny'), beams: 4, cacheSize: 0 });
    await engine.load();
    const batch = TEXTS.slice(0, 6).map((text, i) => request(String(i), text, 'es'));
    const together = await engine.translate(batch);
    for (const [i, req] of batch.entries()) expect((await engine.translate([req]))[0]).toEqual(together[i]);
    await engine.close();
  });

  it('loads an M2M100 model and speaks its __xx__ language codes', async () => {
    const engine = new NllbOnnxEngine({ model: nllbFixture('m2m100-tiny') });
    await engine.load();
    expect(engine.supports('en', 'de')).toBe(true);
    expect(engine.supports('en', 'ast')).toBe(true);
    expect(engine.supports('en', 'xx')).toBe(false);
    const [result] = await engine.translate([request('1', TEXTS[2]!, 'de')]);
    expect(typeof result!.text).toBe('string');
    await engine.close();
  });

  it('fails to load a directory without the model files, naming what is missing', async () => {
    const engine = new NllbOnnxEngine({ model: '/nonexistent/nllb' });
    await expect(engine.load()).rejects.toMatchObject({ code: 'engine_unavailable' });
  });
});
