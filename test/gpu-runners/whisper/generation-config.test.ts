/**
 * Exports as users get them (the layouts of real published fine-tunes, written by the fixture factory): a
 * transformers 4.33 export pinning its language with `forced_decoder_ids` (107 added tokens, first timestamp at most
 * 0.02 s) and a transformers 5.0 export pinning `"language": "hi"` (1,608 added tokens). earshot decodes in the
 * pinned language and task unless the request or the server default names another, with transformers.js as the
 * oracle; the models favour German, so detection (what earshot did before) would pick `de`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogMelExtractor } from '../../../gpu-runners/engines/whisper-onnx/features.ts';
import { readGenerationConfig } from '../../../gpu-runners/engines/whisper-onnx/generation-config.ts';
import { WhisperModel } from '../../../gpu-runners/engines/whisper-onnx/model.ts';
import type { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { startTestServer } from '../../support/server.ts';
import { referenceGreedy } from './reference-decoder.ts';
import { engineFor, oracleInputs, referenceTokens, tinyModel, transformersWhisper } from './support.ts';

const MAX_NEW = 24;
const GREEDY = { temperatures: [0], timestamps: false, maxNewTokens: MAX_NEW, conditionOnPreviousText: false } as const;
const FAVOURS_GERMAN = { languageBias: { de: 8 } };
const old = (pin?: { language: string; task?: 'transcribe' | 'translate' }) =>
  tinyModel({ layout: 'transformers-4.33', ...(pin ? { pin } : {}), ...FAVOURS_GERMAN });
const recent = (pin?: { language: string; task?: 'transcribe' | 'translate' }) =>
  tinyModel({ layout: 'transformers-5.0', ...(pin ? { pin } : {}), ...FAVOURS_GERMAN });
const json = (dir: string, file: string) =>
  JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
const inputs = oracleInputs().slice(0, 5);

describe('generation_config as exports write it', () => {
  const engines: WhisperOnnxEngine[] = [];
  const engine = async (dir: string, options: Record<string, unknown> = {}) => {
    const e = await engineFor(dir, { ...GREEDY, ...options });
    engines.push(e);
    return e;
  };
  afterAll(async () => Promise.all(engines.map((e) => e.close())));

  it('reads the pins of both layouts, and language names as transformers.js accepts them', () => {
    const fine4 = old({ language: 'hi' });
    expect((json(fine4, 'tokenizer.json').added_tokens as unknown[]).length).toBe(107);
    expect(json(fine4, 'generation_config.json')).toHaveProperty('forced_decoder_ids');
    expect(readGenerationConfig(json(fine4, 'generation_config.json'), json(fine4, 'config.json'))).toMatchObject({
      language: 'hi',
      task: 'transcribe',
      maxInitialTimestampIndex: 1,
    });
    // openai's own 4.x exports force only the task: the language is detected.
    expect(readGenerationConfig(json(old(), 'generation_config.json'))).not.toHaveProperty('language');
    const fine5 = recent({ language: 'hi' });
    expect((json(fine5, 'tokenizer.json').added_tokens as unknown[]).length).toBe(1608);
    expect(readGenerationConfig(json(fine5, 'generation_config.json'))).toMatchObject({
      language: 'hi',
      task: 'transcribe',
      maxInitialTimestampIndex: 50,
    });
    for (const language of ['hi', 'Hindi', '<|hi|>']) expect(readGenerationConfig({ language }).language).toBe('hi');
    // Older exports kept forced_decoder_ids and suppress lists in config.json only.
    const { forced_decoder_ids, lang_to_id, task_to_id, suppress_tokens } = json(fine4, 'generation_config.json');
    expect(readGenerationConfig({ lang_to_id, task_to_id }, { forced_decoder_ids, suppress_tokens })).toMatchObject({
      language: 'hi',
      suppressTokens: suppress_tokens,
    });
  });

  it('5.0 layout: the pinned language is used as transformers.js uses it; a request or the server default overrides it', async () => {
    const dir = recent({ language: 'hi' });
    const [pinned, serverDefault, ref] = await Promise.all([
      engine(dir),
      engine(dir, { language: 'es' }),
      transformersWhisper(dir),
    ]);
    const detecting = await engine(recent());
    const { eot } = pinned.tokenizer.specials;
    for (const input of inputs) {
      const [mine] = await pinned.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(mine!.language).toBe('hi');
      expect(mine!.tokens[0]).toEqual(await referenceTokens(ref, input.samples, { maxNewTokens: MAX_NEW }, eot));
      const [asked] = await pinned.transcribeDetailed([{ samples: input.samples, partial: false, language: 'fr' }]);
      expect(asked!.tokens[0]).toEqual(
        await referenceTokens(ref, input.samples, { language: 'fr', maxNewTokens: MAX_NEW }, eot),
      );
      const [server] = await serverDefault.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(server!.language).toBe('es');
      expect(server!.tokens[0]).toEqual(
        await referenceTokens(ref, input.samples, { language: 'es', maxNewTokens: MAX_NEW }, eot),
      );
    }
    // Without a pin the same weights detect German.
    const [unpinned] = await detecting.transcribeDetailed([{ samples: inputs[0]!.samples, partial: false }]);
    expect(unpinned!.language).toBe('de');
  });

  it('5.0 layout: a pinned translate task is used, and a request can ask to transcribe', async () => {
    const dir = recent({ language: 'hi', task: 'translate' });
    const [pinned, ref] = await Promise.all([engine(dir), transformersWhisper(dir)]);
    const { eot } = pinned.tokenizer.specials;
    let differs = 0;
    for (const input of inputs) {
      const [translated] = await pinned.transcribeDetailed([{ samples: input.samples, partial: false }]);
      const [transcribed] = await pinned.transcribeDetailed([
        { samples: input.samples, partial: false, task: 'transcribe' },
      ]);
      expect(translated!.tokens[0]).toEqual(await referenceTokens(ref, input.samples, { maxNewTokens: MAX_NEW }, eot));
      expect(transcribed!.tokens[0]).toEqual(
        await referenceTokens(ref, input.samples, { task: 'transcribe', maxNewTokens: MAX_NEW }, eot),
      );
      if (JSON.stringify(translated!.tokens[0]) !== JSON.stringify(transcribed!.tokens[0])) differs++;
    }
    expect(differs).toBeGreaterThan(0);
  });

  it('4.33 layout: forced_decoder_ids pin the language (transformers.js, which ignores them, given that language)', async () => {
    const dir = old({ language: 'hi' });
    const [pinned, ref] = await Promise.all([engine(dir), transformersWhisper(dir)]);
    const { eot } = pinned.tokenizer.specials;
    for (const input of inputs) {
      const [mine] = await pinned.transcribeDetailed([{ samples: input.samples, partial: false }]);
      expect(mine!.language).toBe('hi');
      expect(mine!.tokens[0]).toEqual(
        await referenceTokens(ref, input.samples, { language: 'hi', task: 'transcribe', maxNewTokens: MAX_NEW }, eot),
      );
    }
    const [detected] = await (
      await engine(old())
    ).transcribeDetailed([{ samples: inputs[0]!.samples, partial: false }]);
    expect(detected!.language).toBe('de');
  });

  it("4.33 layout: the export's max_initial_timestamp_index (0.02 s) bounds the first timestamp", async () => {
    const dir = old({ language: 'en' });
    const timed = await engine(dir, { timestamps: true });
    const loose = await engine(
      tinyModel({
        layout: 'transformers-4.33',
        pin: { language: 'en' },
        maxInitialTimestampIndex: 50,
        ...FAVOURS_GERMAN,
      }),
      { timestamps: true },
    );
    const model = await WhisperModel.load(dir, { device: { kind: 'cpu', index: 0 }, logger: silentLogger, threads: 1 });
    const s = timed.tokenizer.specials;
    const firsts: number[] = [];
    for (const input of inputs) {
      const [mine] = await timed.transcribeDetailed([{ samples: input.samples, partial: false }]);
      const states = await model.encode([new LogMelExtractor(80).extract(input.samples)]);
      const prompt = [s.sot, s.languages.get('en')!, s.transcribe];
      expect(mine!.tokens[0]).toEqual(
        await referenceGreedy({ model, states, prompt, specials: s, timestamps: true, maxNew: MAX_NEW }),
      );
      expect(mine!.tokens[0]![0]! - s.timestampBegin).toBeLessThanOrEqual(1);
      const [other] = await loose.transcribeDetailed([{ samples: input.samples, partial: false }]);
      firsts.push(other!.tokens[0]![0]! - s.timestampBegin);
    }
    // With the usual 1.0 s bound the same weights start later: the setting is what held them.
    expect(Math.max(...firsts)).toBeGreaterThan(1);
    await model.release();
  });

  it("a server's sessions that name no language speak EARSHOT_LANGUAGE, else the export's pinned language", async () => {
    const dir = recent({ language: 'hi' });
    for (const [language, expected] of [
      ['', 'hi'],
      ['es', 'es'],
    ] as const) {
      const server = await startTestServer({
        EARSHOT_STT: 'whisper-onnx',
        EARSHOT_STT_MODEL: dir,
        EARSHOT_MT: 'none',
        EARSHOT_MODEL_HUB: '',
        EARSHOT_LANGUAGE: language,
      });
      try {
        const caps = (await (await fetch(`${server.server.url}/v1/capabilities`)).json()) as {
          stt: { default_language: string };
        };
        expect(caps.stt.default_language).toBe(expected);
      } finally {
        await server.close(0);
      }
    }
  });
});
