/**
 * The wake gate with a scripted detector (it "hears" the phrase in chunks the test names; the real engines are
 * tested on speech in sphinx-kws.test.ts and the e2e tests): order, silence before the phrase, bounded backlog.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../shared/logger.ts';
import type { WakeDetection, WakeWordDetector } from '../../../edge/wake/detector.ts';
import { WakeGate, boundedWakeFactory } from '../../../edge/wake/wake-gate.ts';

function scripted(hearIn: Set<number>, delayMs = 0): WakeWordDetector & { seen: number } {
  let chunk = 0;
  return {
    engine: 'scripted',
    seen: 0,
    async process(pcm: Int16Array): Promise<WakeDetection[]> {
      this.seen += pcm.length;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return hearIn.has(chunk++) ? [{ phrase: 'hey', at: 0 }] : [];
    },
    close: async () => undefined,
  };
}

const chunk = (value: number, n = 1600) => new Int16Array(n).fill(value);

describe('WakeGate', () => {
  it('passes silence of the same length until the phrase, then the audio itself, in order', async () => {
    const out: Int16Array[] = [];
    const wakes: number[] = [];
    const gate = new WakeGate(scripted(new Set([2])), {
      logger: silentLogger,
      onAudio: (p) => out.push(p),
      onWake: (d) => wakes.push(d.at),
    });
    for (let i = 1; i <= 5; i++) gate.push(chunk(i));
    await gate.drain();
    expect(out.map((p) => p[0])).toEqual([0, 0, 0, 4, 5]);
    expect(out.reduce((n, p) => n + p.length, 0)).toBe(5 * 1600);
    expect(wakes).toEqual([0.3]); // the end of the third chunk: 4800 samples
  });

  it('waits for the phrase again after rearm()', async () => {
    const out: Int16Array[] = [];
    const gate = new WakeGate(scripted(new Set([0, 2])), {
      logger: silentLogger,
      onAudio: (p) => out.push(p),
      onWake: () => undefined,
    });
    gate.push(chunk(1));
    gate.push(chunk(2));
    await gate.drain();
    gate.rearm();
    for (let i = 3; i <= 5; i++) gate.push(chunk(i));
    await gate.drain();
    // chunk 1: the phrase; 2: captioned; rearmed: 3 (detector's 2nd chunk) silent, 4 holds the phrase, 5 captioned
    expect(out.map((p) => p[0])).toEqual([0, 2, 0, 0, 5]);
  });

  it('keeps at most maxPendingSeconds waiting for a slow detector: the oldest passes unexamined, as silence', async () => {
    const out: Int16Array[] = [];
    const detector = scripted(new Set(), 5);
    const gate = new WakeGate(detector, {
      logger: silentLogger,
      maxPendingSeconds: 1,
      onAudio: (p) => out.push(p),
      onWake: () => undefined,
    });
    for (let i = 0; i < 50; i++) gate.push(chunk(7)); // 5 s at once
    await gate.drain();
    expect(out.reduce((n, p) => n + p.length, 0)).toBe(50 * 1600);
    expect(out.every((p) => p.every((x) => x === 0))).toBe(true);
    expect(detector.seen).toBeLessThan(50 * 1600);
  });

  it('refuses detectors past the bound with overloaded, and frees a place on close', async () => {
    const create = boundedWakeFactory(async () => scripted(new Set()), 1);
    const first = await create({ phrase: 'hey' });
    await expect(create({ phrase: 'hey' })).rejects.toMatchObject({ code: 'overloaded' });
    await first.close();
    await expect(create({ phrase: 'hey' })).resolves.toBeDefined();
  });
});
