/** The settings → session mapping both runtimes use (edge/realtime/session-config.ts). */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.ts';
import { silentLogger } from '../../shared/logger.ts';
import { loadFvad } from '../../shared/vad/webrtc-vad.ts';
import { sessionDepsFromConfig } from '../../edge/realtime/session-config.ts';

describe('sessionDepsFromConfig', () => {
  it('carries every session setting, catch-up included, and a working VAD', async () => {
    const config = loadConfig({
      EARSHOT_START_TIMEOUT_MS: '1234',
      EARSHOT_IDLE_TIMEOUT_MS: '5678',
      EARSHOT_MAX_FRAME_BYTES: '9000',
      EARSHOT_CATCH_UP: 'on',
      EARSHOT_BUDGET_QUEUE_MS: '777',
      EARSHOT_CATCH_UP_SILENCE_MS: '1600',
      EARSHOT_GLOSSARY_MAX_TERMS: '7',
    });
    const deps = sessionDepsFromConfig(config, {
      fvad: await loadFvad(),
      sttQueue: { add: async () => undefined },
      results: {} as never,
      store: {} as never,
      capabilities: { sttLanguages: ['en'], defaultLanguage: 'en', translates: () => false },
      shedPartials: () => false,
      logger: silentLogger,
    });
    expect(deps.startTimeoutMs).toBe(1234);
    expect(deps.idleTimeoutMs).toBe(5678);
    expect(deps.limits.maxFrameBytes).toBe(9000);
    expect(deps.catchUp).toEqual({ enabled: true, queueBudgetMs: 777, sttBudgetMs: config.budgetSttMs });
    expect(deps.segmenter.catchUpSilenceMs).toBe(1600);
    expect(deps.glossaryLimits?.maxTerms).toBe(7);
    const vad = deps.createVad();
    expect(vad.isSpeech(new Int16Array(480))).toBe(false);
    vad.close();
    expect(
      sessionDepsFromConfig(loadConfig({ EARSHOT_CATCH_UP: 'off' }), { ...deps, fvad: await loadFvad() }).catchUp
        ?.enabled,
    ).toBe(false);
  });
});
