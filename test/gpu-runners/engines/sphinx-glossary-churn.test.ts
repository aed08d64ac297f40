/**
 * #14.9: building a glossary's decoder (a fresh pocketsphinx decoder, then every term added to its dictionary and
 * language model) must not stall the event loop of the process hosting the engine — in the embedded default that
 * loop also serves every live session. Sessions that churn glossaries are measured with perf_hooks'
 * monitorEventLoopDelay (the longest stall) and eventLoopUtilization (time the loop was busy, which the machine's
 * other load barely inflates) while a bystander request without a glossary is decoded beside them.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SphinxEngine } from '../../../gpu-runners/engines/sphinx.ts';
import { librivoxRecordings } from '../../support/librivox.ts';

const DICT = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';
const engine = new SphinxEngine({ decoders: 1, glossaryDecoders: 2 });
const pcm = librivoxRecordings().find((r) => r.id.endsWith('0880'))!.pcm;

/** `count` glossaries of 100 dictionary words each, none shared. */
function glossaries(count: number, skip: number): { term: string }[][] {
  const words = readFileSync(DICT, 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((w) => /^[a-z]{5,}$/.test(w));
  return Array.from({ length: count }, (_, g) =>
    words.slice(skip + g * 100, skip + (g + 1) * 100).map((term) => ({ term })),
  );
}

beforeAll(async () => {
  await engine.load();
  // Warm-up: the pronunciation dictionary is read once per process, and one glossary decoder built.
  await engine.transcribe([{ id: 'w', pcm, partial: false, glossary: glossaries(1, 0)[0]! }]);
}, 120_000);
afterAll(() => engine.close());

describe('#14.9 glossary churn', () => {
  it('#14.9 four sessions each bringing a new 100-term glossary keep the event loop free: no stall over 400 ms, under 2.5 s busy in all', async () => {
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const started = performance.now();
    const elu = performance.eventLoopUtilization();
    const [bystander] = await Promise.all([
      engine.transcribe([{ id: 'bystander', pcm, partial: false }]),
      ...glossaries(4, 1000).map((glossary, i) => engine.transcribe([{ id: `s${i}`, pcm, partial: false, glossary }])),
    ]);
    loop.disable();
    const busy = performance.eventLoopUtilization(elu);
    const stallMs = loop.max / 1e6;
    console.info(
      JSON.stringify({
        stallMaxMs: Math.round(stallMs),
        p99Ms: Math.round(loop.percentile(99) / 1e6),
        loopActiveMs: Math.round(busy.active),
        totalMs: Math.round(performance.now() - started),
      }),
    );
    expect(bystander[0]!.text.length).toBeGreaterThan(0);
    // Before the fix (ps_add_word on the loop) on the same shared 2-core machine: 1.8 s stalls, 7.2 s busy. After:
    // 0.14–0.24 s and 0.66–1.0 s: what the scheduler's delays and the test's own work add under load.
    expect(stallMs).toBeLessThan(400);
    expect(busy.active).toBeLessThan(2500);
  }, 180_000);
});
