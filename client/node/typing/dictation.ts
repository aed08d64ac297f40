/**
 * Dictations on the microphone: each one a realtime session fed by the recorder (client/node/live-capture.ts).
 * Used by the desktop app and `earshot type`; the controller (voice-typing.ts) only sees the Dictation interface.
 */
import type { RecorderCommand } from '../recorder.ts';
import { startCapture } from '../live-capture.ts';
import type { ServerEvent, WakeWord } from '../../../shared/protocol.ts';
import { authenticatedWebSocket, endpointUrl } from '../connection.ts';
import type { Dictation } from './voice-typing.ts';

export interface DictationConfig {
  serverUrl: string;
  token?: string;
  language?: string;
  /** Translations are not typed, but an overlay showing the dictation can display them. */
  targets?: string[];
  /** The recorder, or the microphone's and system audio's to mix (client/node/capture/source.ts). */
  recorder: RecorderCommand | readonly RecorderCommand[];
  /** Every event as it arrives (partials included), e.g. for a caption overlay. */
  onEvent?: (event: ServerEvent) => void;
  /** Type only what follows this phrase (docs/wake-word.md). */
  wakeWord?: WakeWord;
}

export function micDictations(config: DictationConfig): () => Promise<Dictation> {
  return async () => {
    const capture = await startCapture({
      url: endpointUrl(config.serverUrl, '/v1/realtime'),
      start: {
        ...(config.language ? { language: config.language } : {}),
        targets: config.targets ?? [],
        ...(config.wakeWord ? { wake_word: config.wakeWord } : {}),
      },
      recorder: config.recorder,
      WebSocket: authenticatedWebSocket(config.token ?? ''),
      onEvent: config.onEvent,
    });
    return {
      events: (async function* () {
        try {
          yield* capture.session;
        } catch (err) {
          // A recorder failure closes the session; its own message is the useful one.
          await capture.recorderEnded;
          throw err;
        }
      })(),
      stop: () => capture.stop(),
    };
  };
}
