/**
 * The ONNX wake-word engine (openWakeWord's pipeline) on generated models with RANDOM WEIGHTS (no model hub is
 * reachable): its streaming scores, fed real speech in uneven chunks, equal an offline oracle that runs the same
 * three models over the whole recording at once; a score over the threshold is a detection at that step, and one
 * detection restarts the embedding window. Whether a trained model hears a phrase is not testable without one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floatData, floatTensor, OnnxSession } from '../../../gpu-runners/backend/onnx.ts';
import { OnnxWakeDetector, wakeModelFiles } from '../../../edge/wake/onnx-wake.ts';
import { wakeFactory } from '../../../edge/wake/engines.ts';
import { writeWakeFixture } from '../../fixtures/models/wake-fixture.ts';
import { librivoxRecordings } from '../../support/librivox.ts';

const dir = writeWakeFixture(mkdtempSync(join(tmpdir(), 'earshot-oww-')), 'hey earshot');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const speech = librivoxRecordings()[1]!.pcm; // 3 s

/** The oracle: mel over the whole (zero-prefixed) signal at once, then every 8 frames an embedding, then scores. */
async function offlineScores(pcm: Int16Array): Promise<{ score: number; at: number }[]> {
  const files = wakeModelFiles(dir, 'hey earshot');
  const [mel, emb, cls] = await Promise.all([
    OnnxSession.create(files.melspectrogram),
    OnnxSession.create(files.embedding),
    OnnxSession.create(files.classifier),
  ]);
  const steps = Math.floor(pcm.length / 1280);
  const padded = new Float32Array(480 + steps * 1280);
  for (let i = 0; i < steps * 1280; i++) padded[480 + i] = pcm[i]!;
  const all = floatData((await mel.run({ input: floatTensor(padded, [1, padded.length]) })).output);
  const frames = Array.from({ length: all.length / 32 }, (_, f) =>
    Array.from(all.subarray(f * 32, f * 32 + 32), (v) => v / 10 + 2),
  );
  const scores: { score: number; at: number }[] = [];
  const embeddings: Float32Array[] = [];
  for (let step = 0; step < steps; step++) {
    const last = 8 * step + 8; // frames 1..8 belong to step 0 (frame 0 is all context)
    if (last + 1 < 76) continue;
    const window = new Float32Array(frames.slice(last + 1 - 76, last + 1).flat());
    embeddings.push(floatData((await emb.run({ input_1: floatTensor(window, [1, 76, 32, 1]) })).conv2d_19));
    if (embeddings.length < 16) continue;
    const features = new Float32Array(embeddings.slice(-16).flatMap((e) => [...e]));
    scores.push({
      score: floatData((await cls.run({ 'x.1': floatTensor(features, [1, 16, 96]) })).score)[0]!,
      at: ((step + 1) * 1280) / 16000,
    });
  }
  await Promise.all([mel.release(), emb.release(), cls.release()]);
  return scores;
}

async function stream(detector: OnnxWakeDetector, pcm: Int16Array): Promise<number[]> {
  const hits: number[] = [];
  // Uneven chunks: the engine's own 80 ms steps must not depend on how the client frames its audio.
  for (let i = 0, n = 700; i < pcm.length; i += n, n = n === 700 ? 2333 : 700)
    for (const d of await detector.process(pcm.subarray(i, i + n))) hits.push(d.at);
  return hits;
}

describe('ONNX wake-word engine (random-weight openWakeWord-shaped fixture)', () => {
  it('scores streamed speech exactly as the offline oracle scores the whole recording (random weights)', async () => {
    const oracle = await offlineScores(speech);
    expect(oracle.length).toBeGreaterThan(5);
    // Scores that vary, so agreeing with them means something (a saturated sigmoid would agree with anything).
    expect(Math.max(...oracle.map((s) => s.score)) - Math.min(...oracle.map((s) => s.score))).toBeGreaterThan(0.01);
    const streamed: { score: number; at: number }[] = [];
    const detector = await OnnxWakeDetector.create({ phrase: 'hey earshot' }, wakeModelFiles(dir, 'hey earshot'), {
      threshold: 2,
      onScore: (score, at) => streamed.push({ score, at }),
    });
    expect(await stream(detector, speech)).toEqual([]);
    await detector.close();
    expect(streamed.map((s) => s.at)).toEqual(oracle.map((s) => s.at));
    streamed.forEach((s, i) => expect(s.score).toBeCloseTo(oracle[i]!.score, 4));
  });

  it('detects where the score first reaches the threshold, then needs a full new window (random weights)', async () => {
    const oracle = await offlineScores(speech);
    const best = oracle.reduce((a, b) => (b.score > a.score ? b : a));
    const detector = await OnnxWakeDetector.create({ phrase: 'hey earshot' }, wakeModelFiles(dir, 'hey earshot'), {
      threshold: best.score - 1e-6,
    });
    const hits = await stream(detector, speech);
    await detector.close();
    const first = oracle.find((s) => s.score >= best.score - 1e-6)!;
    expect(hits[0]).toBeCloseTo(first.at, 6);
    // After a detection the 16-embedding window refills: 1.28 s at least before the next.
    for (let i = 1; i < hits.length; i++) expect(hits[i]! - hits[i - 1]!).toBeGreaterThanOrEqual(1.28 - 1e-9);
  });

  it('refuses a phrase it has no classifier for', () => {
    expect(() => wakeModelFiles(dir, 'okay computer')).toThrow(
      expect.objectContaining({ code: 'unsupported_wake_word' }),
    );
  });

  it('is the engine EARSHOT_WAKE=onnx picks, from EARSHOT_WAKE_MODEL (random weights)', async () => {
    const detector = await wakeFactory({ wake: 'onnx', wakeModel: dir, wakeMaxDetectors: 1 })!({
      phrase: 'Hey Earshot',
    });
    expect(detector.engine).toBe('onnx-wake');
    await detector.close();
    expect(() => wakeFactory({ wake: 'onnx', wakeModel: '', wakeMaxDetectors: 1 })).toThrow(/EARSHOT_WAKE_MODEL/);
    expect(wakeFactory({ wake: 'off', wakeModel: '', wakeMaxDetectors: 1 })).toBeUndefined();
  });
});
