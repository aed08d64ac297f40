/** The TTS engine chosen by configuration (`EARSHOT_TTS`), or null when nothing is spoken. */
import type { Config } from '../../shared/config.ts';
import { onPath } from '../../shared/audio/recorder.ts';
import { EspeakEngine } from './espeak.ts';
import type { TtsEngine } from './types.ts';

export function createTtsEngine(config: Pick<Config, 'tts'>): TtsEngine | null {
  switch (config.tts) {
    case 'espeak':
      return new EspeakEngine();
    case 'auto':
      return onPath('espeak-ng') ? new EspeakEngine() : null;
    case 'none':
      return null;
  }
}
