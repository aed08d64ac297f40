/**
 * Fitted encoder windows (whisper.cpp's audio_ctx): the load-time graph rewrite keeps a 30 s window's output
 * bit for bit, accepts any 2·P frames, and — the oracle — earshot on the rewritten full model gives the same tokens
 * as transformers.js on a natively short model (same weights, a P-row position table, a P/50 s preprocessor).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatData, floatTensor, OnnxSession } from '../../../gpu-runners/backend/onnx.ts';
import { fitEncoder } from '../../../gpu-runners/engines/whisper-onnx/encoder-window.ts';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { CHUNK_FRAMES, LogMelExtractor } from '../../../gpu-runners/engines/whisper-onnx/features.ts';
import { fitPositions } from '../../../gpu-runners/engines/whisper-onnx/fit-window.ts';
import { ModelProto } from '../../fixtures/onnx/onnx-schema.ts';
import { WHISPER_SHAPES, type WhisperShapeName } from '../../fixtures/whisper/shapes.ts';
import { engineFor, oracleInputs, referenceTokens, tinyModel, transformersWhisper, type Input } from './support.ts';

const MAX_NEW = 32;
const GREEDY = { temperatures: [0], timestamps: false, maxNewTokens: MAX_NEW, conditionOnPreviousText: false } as const;

const encoderBytes = (dir: string) => new Uint8Array(readFileSync(join(dir, 'onnx/encoder_model.onnx')));

/** Inputs cut to fit a window of `positions` with room for the analysis window (so features need no reflection). */
function inputsFitting(positions: number, count: number): Input[] {
  const room = positions * 320 - 800;
  return oracleInputs()
    .slice(0, count)
    .map((input) => ({
      name: `${input.name}@${positions}`,
      samples: input.samples.slice(0, Math.min(input.samples.length, room)),
    }));
}

describe('the encoder graph rewrite', () => {
  for (const shapeName of ['tiny-random', 'tiny-random-128'] as const) {
    it(`keeps a 30 s window's output (to float rounding) and accepts 2·P frames (${shapeName})`, async () => {
      const shape = WHISPER_SHAPES[shapeName];
      const dir = tinyModel({}, shapeName);
      const stock = encoderBytes(dir);
      const { bytes, table } = fitEncoder(stock, shape.dModel);
      expect(table).toBe('model.encoder.embed_positions.weight');
      const [before, after] = await Promise.all([
        OnnxSession.create(stock, { threads: 1 }),
        OnnxSession.create(bytes, { threads: 1 }),
      ]);
      const features = new LogMelExtractor(shape.nMels).extract(oracleInputs()[0]!.samples);
      const full = { input_features: floatTensor(features, [1, shape.nMels, CHUNK_FRAMES]) };
      const [mine, stockOut] = [
        floatData((await after.run(full)).last_hidden_state),
        floatData((await before.run(full)).last_hidden_state),
      ];
      // Not bit for bit: onnxruntime fuses the stock graph's constant-table Add into SkipLayerNormalization, which it
      // cannot do for a sliced table (with fusions at the `basic` level the outputs are identical). The full-window
      // oracle (oracle.test.ts, on the rewritten encoder) shows the tokens do not change.
      let worst = 0;
      for (let i = 0; i < mine.length; i++) worst = Math.max(worst, Math.abs(mine[i]! - stockOut[i]!));
      expect(mine.length).toBe(stockOut.length);
      expect(worst).toBeLessThan(1e-5);

      for (const positions of [50, 100, 250, 1000]) {
        const out = (
          await after.run({
            input_features: floatTensor(new Float32Array(shape.nMels * 2 * positions), [2, shape.nMels, positions]),
          })
        ).last_hidden_state!;
        expect(out.dims).toEqual([2, positions / 2, shape.dModel]);
      }
      // The stock export cannot do that: its table is fixed at 1500 rows.
      await expect(
        before.run({ input_features: floatTensor(new Float32Array(shape.nMels * 200), [1, shape.nMels, 200]) }),
      ).rejects.toThrow();
      await Promise.all([before.release(), after.release()]);
    });
  }

  it('changes nothing else in the model: same nodes, initializers and metadata, plus its three nodes and four constants', () => {
    const stock = encoderBytes(tinyModel());
    const read = (bytes: Uint8Array) =>
      ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as {
        producerName: string;
        opsetImport: object[];
        graph: { node: { opType: string; name: string }[]; initializer: { name: string }[]; input: object[] };
      };
    const a = read(stock);
    const b = read(fitEncoder(stock, WHISPER_SHAPES['tiny-random'].dModel).bytes);
    expect(b.producerName).toBe(a.producerName);
    expect(b.opsetImport).toEqual(a.opsetImport);
    expect(b.graph.node.filter((n) => !n.name.startsWith('earshot_fit')).map((n) => n.name)).toEqual(
      a.graph.node.map((n) => n.name),
    );
    expect(b.graph.node.filter((n) => n.name.startsWith('earshot_fit')).map((n) => n.opType)).toEqual([
      'Shape',
      'Slice',
      'Slice',
    ]);
    expect(b.graph.initializer.length).toBe(a.graph.initializer.length + 4);
  });

  it('says why a graph without a position table cannot be fitted', () => {
    const decoder = new Uint8Array(readFileSync(join(tinyModel(), 'onnx/decoder_model_merged.onnx')));
    expect(() => fitEncoder(decoder, 64)).toThrow(/no Add of a \[1500, 64\] position table/);
  });
});

describe('fitted features', () => {
  it('equal the first frames of the 30 s features for audio that fits', () => {
    const extractor = new LogMelExtractor(80);
    for (const input of oracleInputs().filter((i) => i.samples.length < 20 * 16000)) {
      const positions = fitPositions(input.samples.length, true, {
        fitFloorSeconds: 0,
        fitPartialFloorSeconds: 0,
        fitMarginSeconds: 0,
      });
      const frames = 2 * positions;
      const fitted = extractor.extract(input.samples, frames);
      const full = extractor.extract(input.samples);
      expect(fitted.length).toBe(80 * frames);
      let same = true;
      for (let m = 0; m < 80 && same; m++)
        for (let t = 0; t < frames && same; t++) same = fitted[m * frames + t] === full[m * CHUNK_FRAMES + t];
      expect({ input: input.name, frames, same }).toEqual({ input: input.name, frames, same: true });
    }
  });

  it('pad the utterance to whole seconds plus the margin, at least the floor, at most 30 s', () => {
    const o = { fitFloorSeconds: 10, fitPartialFloorSeconds: 0, fitMarginSeconds: 2 };
    expect(fitPositions(1.2 * 16000, true, o)).toBe(200); // 3.2 s → 4 s
    expect(fitPositions(1.2 * 16000, false, o)).toBe(500); // the finals' floor
    expect(fitPositions(12.5 * 16000, false, o)).toBe(750);
    expect(fitPositions(29.9 * 16000, false, o)).toBe(1500);
    expect(fitPositions(16000, true, { ...o, fitMarginSeconds: 0 })).toBe(100); // 1 s needs its last frames' analysis windows
  });
});

describe('earshot on the rewritten full model against transformers.js on a natively short model', () => {
  const cases: { shape: WhisperShapeName; positions: number; count: number; language: string }[] = [
    { shape: 'tiny-random', positions: 100, count: 7, language: 'en' },
    { shape: 'tiny-random', positions: 250, count: 7, language: 'en' },
    { shape: 'tiny-random', positions: 500, count: 6, language: 'en' },
    { shape: 'tiny-random-128', positions: 150, count: 4, language: 'de' },
    { shape: 'tiny-random-128', positions: 400, count: 3, language: 'de' },
  ];
  const engines = new Map<string, WhisperOnnxEngine>();
  beforeAll(async () => {
    for (const c of cases)
      engines.set(
        `${c.shape}:${c.positions}`,
        await engineFor(tinyModel({}, c.shape), {
          ...GREEDY,
          language: c.language,
          fitFloorSeconds: c.positions / 50,
          fitPartialFloorSeconds: c.positions / 50,
          fitMarginSeconds: 0,
        }),
      );
  });
  afterAll(async () => {
    for (const e of engines.values()) await e.close();
  });

  it('gives the same tokens on 27 inputs over five window lengths, 80 and 128 mel bins', async () => {
    expect(cases.reduce((n, c) => n + c.count, 0)).toBeGreaterThanOrEqual(20);
    let differFromFull = 0;
    const lengths = new Set<number>();
    for (const c of cases) {
      const engine = engines.get(`${c.shape}:${c.positions}`)!;
      const short = await transformersWhisper(tinyModel({ sourcePositions: c.positions }, c.shape));
      for (const input of inputsFitting(c.positions, c.count)) {
        const [fitted] = await engine.transcribeDetailed([{ samples: input.samples, partial: false, window: 'fit' }]);
        const [full] = await engine.transcribeDetailed([{ samples: input.samples, partial: false, window: 'full' }]);
        const theirs = await referenceTokens(
          short,
          input.samples,
          { language: c.language, task: 'transcribe', maxNewTokens: MAX_NEW },
          engine.tokenizer.specials.eot,
        );
        expect({ input: input.name, tokens: fitted!.tokens[0] }).toEqual({ input: input.name, tokens: theirs });
        if (JSON.stringify(full!.tokens[0]) !== JSON.stringify(theirs)) differFromFull++;
        lengths.add(theirs.length);
      }
    }
    // A fitted window is a different input to the encoder: if no output changed, the test would not show it was used.
    expect(differFromFull).toBeGreaterThan(5);
    expect(lengths.size).toBeGreaterThan(3);
  });

  it('decodes a batch mixing window lengths as each alone', async () => {
    const engine = engines.get('tiny-random:250')!;
    const inputs = inputsFitting(250, 4);
    const requests = inputs.map((i, k) => ({
      samples: i.samples,
      partial: false,
      window: k % 2 ? ('fit' as const) : ('full' as const),
    }));
    const together = await engine.transcribeDetailed(requests);
    for (const [k, request] of requests.entries())
      expect(together[k]!.tokens).toEqual((await engine.transcribeDetailed([request]))[0]!.tokens);
  });
});
