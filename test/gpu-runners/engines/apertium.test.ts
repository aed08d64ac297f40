import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApertiumEngine, escapeApertium, unescapeApertium } from '../../../gpu-runners/engines/apertium.ts';
import type { MtRequest } from '../../../gpu-runners/engines/types.ts';

const en = (id: string, text: string, target = 'es'): MtRequest => ({ id, text, source: 'en', target });
const one = async (engine: ApertiumEngine, text: string) => (await engine.translate([en('x', text)]))[0]!.text;

const SENTENCES = [
  'he was not an ill disposed young man',
  'the weather is nice today',
  'I would like a cup of coffee',
  'where is the train station',
  'my brother lives in a small house',
  'she reads a book every week',
  'we are going to the beach tomorrow',
  'the children play in the garden',
  'this city has many old churches',
  'can you help me with my homework',
  'the meeting starts at nine',
  'he bought a new car last year',
  'they eat dinner with their family',
  'the dog sleeps under the table',
  'our teacher is very patient',
  'I forgot my umbrella at home',
  'the river is long and wide',
  'please close the window',
  'she speaks three languages',
  'the museum opens on Monday',
];

describe('ApertiumEngine', () => {
  const engine = new ApertiumEngine();
  beforeAll(() => engine.load());
  afterAll(() => engine.close());

  it('translates English to Spanish', async () => {
    expect(engine.supports('en', 'es')).toBe(true);
    const started = Date.now();
    const text = await one(engine, 'he was not an ill disposed young man');
    console.log(`apertium first request (incl. process start) ${Date.now() - started} ms: ${text}`);
    expect(text).toContain('hombre');
    // The final full stop survives (lt-proc drops a segment's last character without the trailing space).
    expect(await one(engine, 'hello world.')).toMatch(/\.$/);
  });

  it('answers concurrent requests in order', async () => {
    const sequential = [];
    for (const s of SENTENCES) sequential.push(await one(engine, s));
    const started = Date.now();
    const concurrent = await Promise.all(SENTENCES.map((s, i) => engine.translate([en(`c${i}`, s)])));
    console.log(`apertium 20 concurrent requests ${Date.now() - started} ms`);
    expect(concurrent.map((r) => r[0]!.text)).toEqual(sequential);
    expect(new Set(sequential).size).toBe(SENTENCES.length);

    const batch = await engine.translate(SENTENCES.map((s, i) => en(`b${i}`, s)));
    expect(batch.map((r) => r.id)).toEqual(SENTENCES.map((_, i) => `b${i}`));
    expect(batch.map((r) => r.text)).toEqual(sequential);
  }, 30_000);

  it('round-trips stream-format special characters without breaking the stream', async () => {
    const text = await one(engine, 'the price is $5 [not ^10] a/b c\\d {e} <f> @g *h #i');
    for (const ch of ['$5', '[', ']', '^', '/', '\\', '{e}', '<f>', '@g', '*h', '#i']) expect(text).toContain(ch);
    expect(await one(engine, 'line one\nline two')).not.toContain('\n');
    // The stream is still in step.
    expect(await one(engine, 'he was not an ill disposed young man')).toContain('hombre');
  });

  it('returns empty text without touching the pipeline', async () => {
    const fresh = new ApertiumEngine();
    expect(await fresh.translate([en('a', ''), en('b', '  \n ')])).toEqual([
      { id: 'a', text: '' },
      { id: 'b', text: '' },
    ]);
    expect(fresh.processCount).toBe(0);
  });

  it('rejects unsupported pairs with unsupported_target naming what is installed', async () => {
    expect(engine.supports('en', 'ja')).toBe(false);
    for (const target of ['xx', 'ja']) {
      await expect(engine.translate([en('u', 'hello', target)])).rejects.toMatchObject({
        code: 'unsupported_target',
        message: expect.stringContaining('en-es'),
      });
    }
  });

  it('reuses one process per pair', async () => {
    await one(engine, 'good morning');
    const pid = engine.pidFor('en', 'es');
    expect(pid).toBeGreaterThan(0);
    for (let i = 0; i < 10; i++) await one(engine, `sentence number ${i}`);
    expect(engine.pidFor('en', 'es')).toBe(pid);
    expect(engine.processCount).toBe(1);
  });

  it('fails in-flight requests with mt_failed when the process dies, then restarts', async () => {
    await one(engine, 'good morning');
    const pid = engine.pidFor('en', 'es')!;
    // Long enough that the pipeline cannot answer before the signal lands.
    const inFlight = engine.translate([en('k', SENTENCES.join('. ').repeat(20))]);
    process.kill(pid);
    await expect(inFlight).rejects.toMatchObject({ code: 'mt_failed' });
    expect(await one(engine, 'he was not an ill disposed young man')).toContain('hombre');
    expect(engine.pidFor('en', 'es')).not.toBe(pid);
    expect(engine.processCount).toBe(1);
  }, 30_000);

  it('times out with mt_failed and restarts on the next request', async () => {
    const slow = new ApertiumEngine({ timeoutMs: 1 });
    try {
      await expect(slow.translate([en('t', SENTENCES.join('. '))])).rejects.toMatchObject({
        code: 'mt_failed',
        message: expect.stringContaining('timed out'),
      });
      expect(slow.processCount).toBe(0);
    } finally {
      await slow.close();
    }
  });
});

describe('ApertiumEngine availability', () => {
  it('reports engine_unavailable without modes', async () => {
    const engine = new ApertiumEngine({ modesDir: '/nonexistent/modes' });
    await expect(engine.load()).rejects.toMatchObject({
      code: 'engine_unavailable',
      message: expect.stringContaining('apt-get install apertium apertium-eng-spa'),
    });
    expect(engine.supports('en', 'es')).toBe(false);
    await expect(engine.translate([en('a', 'hello')])).rejects.toMatchObject({ code: 'engine_unavailable' });
  });

  it('escapes and unescapes the stream format', () => {
    expect(escapeApertium('a$b\nc')).toBe('a\\$b c');
    expect(unescapeApertium(escapeApertium('^x/y$ [z] \\'))).toBe('^x/y$ [z] \\');
  });
});
