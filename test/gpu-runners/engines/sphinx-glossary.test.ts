/**
 * Sphinx glossary decoders: terms bias only the sessions that name them. Words added to a decoder cannot be
 * removed, so each glossary has its own decoder; with room for one, glossaries take turns (the least recently
 * used is freed) and the shared pool never learns a term.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SphinxEngine } from '../../../gpu-runners/engines/sphinx.ts';
import { librivoxRecordings } from '../../support/librivox.ts';

const engine = new SphinxEngine({ decoders: 1, glossaryDecoders: 1 });
const pcm = librivoxRecordings().find((r) => r.id.endsWith('0870'))!.pcm;
beforeAll(() => engine.load());
afterAll(() => engine.close());

const A = [{ term: 'Dashwood' }];
const B = [{ term: 'Zorbax' }];

describe('sphinx glossary', () => {
  it('recognises a glossary term only for requests that carry it, in any order, with one glossary decoder', async () => {
    const run = async (glossary?: typeof A) =>
      (await engine.transcribe([{ id: 'x', pcm, partial: false, ...(glossary ? { glossary } : {}) }]))[0]!.text;
    const plain = await run();
    expect(plain).not.toMatch(/dashwood/i);
    expect(await run(A)).toContain('Dashwood');
    expect(await run()).toBe(plain);
    expect(await run(B)).not.toMatch(/dashwood/i); // evicts A's decoder
    expect(await run(A)).toContain('Dashwood'); // rebuilt
    // Concurrent requests with different glossaries share the single glossary slot in turn.
    const [a, b, none] = await Promise.all([run(A), run(B), run()]);
    expect(a).toContain('Dashwood');
    expect(b).not.toMatch(/dashwood/i);
    expect(none).toBe(plain);
  }, 120_000);
});
