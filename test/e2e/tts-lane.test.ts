/**
 * The TTS lane beside MT: in-process queues and log, real espeak-ng processes; the MT engine is an identity
 * function (said in the suite's name), since translation quality is not what is tested. Spoken translations never
 * hold up translation text, and a backlog of voices is refused with tts_failed rather than queued without bound.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../shared/logger.ts';
import { MemoryQueue } from '../../shared/queue/memory-queue.ts';
import { MemoryResultLog } from '../../shared/queue/memory-result-log.ts';
import { createMemoryMtQueue } from '../../shared/queue/memory-queue.ts';
import type { SessionResult, TtsJob } from '../../shared/queue/jobs.ts';
import { MtRunner } from '../../gpu-runners/mt-runner.ts';
import { TtsRunner } from '../../gpu-runners/tts-runner.ts';
import { EspeakEngine } from '../../gpu-runners/tts/espeak.ts';
import type { MtEngine } from '../../gpu-runners/engines/types.ts';

const identityMt: MtEngine = {
  name: 'identity',
  supports: () => true,
  load: async () => {},
  close: async () => {},
  translate: async (batch) => batch.map((r) => ({ id: r.id, text: r.text })),
};

const stoppers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stoppers.splice(0)) await stop();
});

function collect(log: MemoryResultLog, session: string): SessionResult[] {
  const out: SessionResult[] = [];
  log.subscribe(session, '0', (e) => out.push(e.result));
  return out;
}

const until = async (check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('spoken translations lane (identity MT engine)', () => {
  it('publishes translations while a slow espeak-ng (real, behind a 2 s sleep) is still speaking them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slow-espeak-'));
    const slow = join(dir, 'espeak-ng');
    writeFileSync(slow, '#!/bin/sh\ncase "$*" in *--voices*) ;; *) sleep 2 ;; esac\nexec espeak-ng "$@"\n');
    chmodSync(slow, 0o755);
    const results = new MemoryResultLog(60_000);
    const mtQueue = createMemoryMtQueue();
    const ttsQueue = new MemoryQueue<TtsJob>();
    const engine = new EspeakEngine({ binary: slow });
    await engine.load();
    const mt = new MtRunner({
      queue: mtQueue,
      results,
      engine: identityMt,
      logger: silentLogger,
      batchSize: 4,
      maxWaitMs: 0,
      ttsQueue,
    });
    const tts = new TtsRunner({ queue: ttsQueue, results, engine, logger: silentLogger, batchSize: 2, maxWaitMs: 0 });
    mt.start();
    tts.start();
    stoppers.push(
      () => mt.stop(),
      () => tts.stop(),
    );
    const log = collect(results, 's1');
    for (const seq of [1, 2, 3])
      await mtQueue.add({
        id: `s1:${seq}:es`,
        session: 's1',
        seq,
        text: `hola número ${seq}`,
        source: 'en',
        target: 'es',
        enqueuedAt: Date.now(),
        speak: true,
      });
    await until(() => log.filter((r) => r.type === 'translation').length === 3);
    // Every translation is out while no voice has finished yet.
    expect(log.filter((r) => r.type === 'translation_audio')).toHaveLength(0);
    expect(log.every((r) => r.type !== 'translation' || r.speak)).toBe(true);
    await until(() => log.filter((r) => r.type === 'translation_audio').length === 3);
    const seqs = log
      .filter((r) => r.type === 'translation_audio')
      .map((r) => (r.type === 'translation_audio' ? r.seq : 0));
    expect(seqs.sort()).toEqual([1, 2, 3]);
  });

  it('does not speak past the backlog bound: the listener gets tts_failed, the translation goes out', async () => {
    const results = new MemoryResultLog(60_000);
    const mtQueue = createMemoryMtQueue();
    const ttsQueue = new MemoryQueue<TtsJob>();
    for (let i = 0; i < 3; i++)
      await ttsQueue.add({ id: `old:${i}`, session: 'old', seq: i + 1, lang: 'es', text: 'x', enqueuedAt: Date.now() });
    const mt = new MtRunner({
      queue: mtQueue,
      results,
      engine: identityMt,
      logger: silentLogger,
      batchSize: 4,
      maxWaitMs: 0,
      ttsQueue,
      maxTtsWaiting: 3,
    });
    mt.start();
    stoppers.push(() => mt.stop());
    const log = collect(results, 's2');
    await mtQueue.add({
      id: 's2:1:es',
      session: 's2',
      seq: 1,
      text: 'hola',
      source: 'en',
      target: 'es',
      enqueuedAt: Date.now(),
      speak: true,
    });
    await until(() => log.length === 2);
    expect(log[0]).toMatchObject({ type: 'translation', seq: 1, text: 'hola', speak: true });
    expect(log[1]).toMatchObject({ type: 'error', code: 'tts_failed', seq: 1, lang: 'es', audio: true });
    expect((await ttsQueue.stats()).waiting).toBe(3);
  });
});
