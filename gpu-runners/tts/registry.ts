/** The TTS engine chosen by configuration (`EARSHOT_TTS`), or null when nothing is spoken. */
import type { Config } from '../../shared/config.ts';
import { onPath } from '../../shared/node/executables.ts';
import { EspeakEngine } from './espeak.ts';
import type { TtsEngine } from './types.ts';
import { VitsOnnxEngine } from './vits-onnx.ts';

export function createTtsEngine(config: Pick<Config, 'tts' | 'ttsModel' | 'ttsLanguage'>): TtsEngine | null {
  switch (config.tts) {
    case 'espeak':
      return new EspeakEngine();
    case 'vits-onnx':
      if (!config.ttsModel || !config.ttsLanguage)
        throw new Error('EARSHOT_TTS=vits-onnx needs EARSHOT_TTS_MODEL (a model directory) and EARSHOT_TTS_LANGUAGE');
      return new VitsOnnxEngine({ dir: config.ttsModel, language: config.ttsLanguage });
    case 'auto':
      return onPath('espeak-ng') ? new EspeakEngine() : null;
    case 'none':
      return null;
  }
}
