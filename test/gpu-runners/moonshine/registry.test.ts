/**
 * `--stt moonshine-onnx` as configuration reaches the engine: the default `--model` (a Whisper) means Moonshine base,
 * the short names expand to the onnx-community exports, a directory stays a directory, and `--language` names the
 * language of a single-language model.
 */
import { describe, expect, it } from 'vitest';
import { MoonshineOnnxEngine } from '../../../gpu-runners/engines/moonshine-onnx/engine.ts';
import { moonshineModel } from '../../../gpu-runners/engines/moonshine-onnx/names.ts';
import { createSttEngine } from '../../../gpu-runners/engines/registry.ts';
import { loadConfig } from '../../../shared/config.ts';

describe('moonshine-onnx from configuration', () => {
  it('maps --model: the default to moonshine-base, short names to the exports, anything else as given', () => {
    expect(moonshineModel(loadConfig({}).sttModel)).toBe('onnx-community/moonshine-base-ONNX');
    expect(moonshineModel('moonshine-tiny')).toBe('onnx-community/moonshine-tiny-ONNX');
    expect(moonshineModel('moonshine-base')).toBe('onnx-community/moonshine-base-ONNX');
    expect(moonshineModel('/models/moonshine-es')).toBe('/models/moonshine-es');
  });

  it('--stt moonshine-onnx builds the engine, English by default, the configured language otherwise', () => {
    const english = createSttEngine(loadConfig({ EARSHOT_STT: 'moonshine-onnx', EARSHOT_MODEL_HUB: '' }));
    expect(english).toBeInstanceOf(MoonshineOnnxEngine);
    expect([english.name, english.languages, english.defaultLanguage]).toEqual(['moonshine-onnx', ['en'], 'en']);
    const spanish = createSttEngine(
      loadConfig({ EARSHOT_STT: 'moonshine-onnx', EARSHOT_LANGUAGE: 'es', EARSHOT_MODEL_HUB: '' }),
    );
    expect([spanish.languages, spanish.defaultLanguage]).toEqual([['es'], 'es']);
  });
});
