/** The decoding loops on a mock decoder: greedy with rows leaving the batch, beam search against exhaustive search. */
import { describe, expect, it } from 'vitest';
import { beamSearch, logSumExp, topK } from '../../../gpu-runners/engines/nllb-onnx/beam-search.ts';
import {
  argmax,
  greedyDecode,
  type SequenceSpec,
  type SpecialIds,
} from '../../../gpu-runners/engines/nllb-onnx/greedy.ts';
import { logits, MockRun, randomLanguageModel, type LanguageModel } from './mock-run.ts';

const START = 0;
const EOS = 1;
const LANG = 3;
const ids: SpecialIds = { decoderStartId: START, eosId: EOS };

/** What greedy decoding of one sentence must give, computed directly from the language model. */
function expectedGreedy(lm: LanguageModel, sentence: number, spec: SequenceSpec, special: SpecialIds = ids): number[] {
  const fed = [START];
  const out = [spec.forcedBos];
  while (out.at(-1) !== EOS && out.length < spec.maxNewTokens) {
    fed.push(out.at(-1)!);
    const forcedEos = special.forcedEosId !== undefined && out.length === spec.maxNewTokens - 1;
    out.push(forcedEos ? special.forcedEosId! : argmax(lm(sentence, fed)));
  }
  return out;
}

/** The most probable complete sequence, by trying them all. */
function exhaustiveBest(
  lm: LanguageModel,
  sentence: number,
  spec: SequenceSpec,
): { tokens: number[]; logProb: number } {
  let best = { tokens: [] as number[], logProb: -Infinity };
  const visit = (fed: number[], tokens: number[], logProb: number) => {
    const row = lm(sentence, fed);
    const lse = logSumExp(row);
    row.forEach((logit, token) => {
      const next = [...tokens, token];
      const score = logProb + logit - lse;
      if (token === EOS || next.length >= spec.maxNewTokens) {
        if (score > best.logProb) best = { tokens: next, logProb: score };
      } else visit([...fed, token], next, score);
    });
  };
  visit([START, spec.forcedBos], [spec.forcedBos], 0);
  return best;
}

describe('greedy decoding', () => {
  const lm = randomLanguageModel(6, 1);
  const specs: SequenceSpec[] = [4, 9, 2, 12, 7, 30].map((maxNewTokens) => ({ forcedBos: LANG, maxNewTokens }));

  it('forces the language token, takes the argmax, and stops at </s> or the length cap, per row', async () => {
    const run = new MockRun(specs.length, lm);
    const out = await greedyDecode(run, specs, ids);
    expect(out).toEqual(specs.map((spec, s) => expectedGreedy(lm, s, spec)));
    for (const [s, tokens] of out.entries()) {
      expect(tokens[0]).toBe(LANG);
      expect(tokens.length).toBeLessThanOrEqual(specs[s]!.maxNewTokens);
      expect(tokens.indexOf(EOS) === -1 || tokens.indexOf(EOS) === tokens.length - 1).toBe(true);
    }
  });

  it('drops finished rows from the batch instead of feeding them', async () => {
    const run = new MockRun(specs.length, lm);
    const out = await greedyDecode(run, specs, ids);
    // One step per token of the longest sentence, never wider than the sentences still running.
    expect(run.rowsPerStep.length).toBe(Math.max(...out.map((t) => t.length)));
    run.rowsPerStep.forEach((rows, step) => expect(rows).toBe(out.filter((t) => t.length > step).length));
    expect(run.rowsPerStep.at(-1)).toBeLessThan(specs.length);
  });

  it('forces </s> at the last position when the model configures forced_eos_token_id', async () => {
    const forced = { ...ids, forcedEosId: EOS };
    const never: LanguageModel = () => logits([0.05, 0.05, 0.8, 0.1]); // </s> is never the argmax
    const out = await greedyDecode(
      new MockRun(2, never),
      [
        { forcedBos: LANG, maxNewTokens: 5 },
        { forcedBos: LANG, maxNewTokens: 2 },
      ],
      forced,
    );
    expect(out).toEqual([
      [LANG, 2, 2, 2, EOS],
      [LANG, EOS],
    ]);
  });

  it('stops between steps when its signal aborts', async () => {
    const controller = new AbortController();
    const slow: LanguageModel = (s, history) => {
      if (history.length === 3) controller.abort(new Error('session closed'));
      return lm(s, history);
    };
    await expect(
      greedyDecode(new MockRun(1, slow), [{ forcedBos: LANG, maxNewTokens: 50 }], ids, controller.signal),
    ).rejects.toThrow('session closed');
  });
});

describe('beam search', () => {
  it('finds the most probable sequence when the beam holds every hypothesis', async () => {
    const lm = randomLanguageModel(4, 7);
    const specs = [3, 4, 5].map((maxNewTokens) => ({ forcedBos: LANG, maxNewTokens }));
    const out = await beamSearch(new MockRun(specs.length, lm), specs, ids, { beams: 64, lengthPenalty: 0 });
    expect(out).toEqual(specs.map((spec, s) => exhaustiveBest(lm, s, spec).tokens));
  });

  it('beats greedy on a garden path: the likelier first word leads nowhere', async () => {
    // After the language token: "2" (p .5) or "0" (p .4). After 2 everything is unlikely; after 0, </s> is near certain.
    const lm: LanguageModel = (_s, history) => {
      const last = history.at(-1);
      if (last === LANG) return logits([0.4, 0.05, 0.5, 0.05]);
      if (last === 2) return logits([0.25, 0.25, 0.25, 0.25]);
      return logits([0.02, 0.95, 0.02, 0.01]);
    };
    const spec = [{ forcedBos: LANG, maxNewTokens: 6 }];
    expect((await greedyDecode(new MockRun(1, lm), spec, ids))[0]!.slice(0, 2)).toEqual([LANG, 2]);
    expect(await beamSearch(new MockRun(1, lm), spec, ids, { beams: 2, lengthPenalty: 1 })).toEqual([[LANG, 0, EOS]]);
  });

  it('gives each sentence of a batch the result it gets alone', async () => {
    const lm = randomLanguageModel(7, 3);
    const specs = [6, 3, 10, 8].map((maxNewTokens) => ({ forcedBos: LANG, maxNewTokens }));
    const together = await beamSearch(new MockRun(specs.length, lm), specs, ids, { beams: 3, lengthPenalty: 1 });
    for (const [s, spec] of specs.entries()) {
      const alone = await beamSearch(new MockRun(1, (_, history) => lm(s, history)), [spec], ids, {
        beams: 3,
        lengthPenalty: 1,
      });
      expect(together[s]).toEqual(alone[0]);
    }
  });
});

describe('selection helpers', () => {
  it('topK keeps the largest values, the lower index first on ties', () => {
    expect(topK(Float32Array.from([1, 5, 3, 5, 2]), 3)).toEqual([
      [1, 5],
      [3, 5],
      [2, 3],
    ]);
    expect(topK(Float32Array.from([1, 2]), 4)).toEqual([
      [1, 2],
      [0, 1],
    ]);
  });

  it('logSumExp is stable for large logits', () => {
    expect(logSumExp(Float32Array.from([1000, 1000]))).toBeCloseTo(1000 + Math.log(2), 6);
    expect(argmax(Float32Array.from([0, 3, 3, 1]))).toBe(1);
  });
});
