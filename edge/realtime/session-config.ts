/**
 * Configuration → what a realtime session is given, written once for every runtime: limits, timeouts, the
 * segmenter, latency budgets and catch-up come from the settings (shared/config.ts); the runtime supplies its
 * queue, logs, store, VAD and what it can observe of the pipeline.
 */
import type { Config } from '../../shared/config.ts';
import { WebRtcVad, type FvadModule, type VadAggressiveness } from '../../shared/vad/webrtc-vad.ts';
import type { SessionDeps } from './session.ts';

/** The parts a runtime binds (wake-word engines and LLM hooks are Node-only today); everything else is read from the configuration. */
export type SessionBindings = Pick<
  SessionDeps,
  'sttQueue' | 'results' | 'store' | 'capabilities' | 'shedPartials' | 'logger'
> &
  Partial<Pick<SessionDeps, 'leases' | 'observer' | 'now' | 'wake' | 'hooks'>> & { fvad: FvadModule };

/** How audio is cut into utterances, for realtime sessions and batch files alike. */
export function segmenterFromConfig(config: Config): SessionDeps['segmenter'] {
  return {
    silenceMs: config.vadSilenceMs,
    maxUtteranceMs: config.vadMaxUtteranceMs,
    preRollMs: config.vadPreRollMs,
    minSpeechMs: 200,
    partialIntervalMs: config.partialIntervalMs,
    catchUpSilenceMs: config.catchUpSilenceMs,
  };
}

export function vadFactory(config: Config, fvad: FvadModule): SessionDeps['createVad'] {
  return () =>
    WebRtcVad.fromModule(fvad, {
      aggressiveness: config.vadAggressiveness as VadAggressiveness,
      sampleRate: 16000,
      frameMs: 30,
    });
}

export function sessionDepsFromConfig(config: Config, bindings: SessionBindings): SessionDeps {
  const { fvad, ...bound } = bindings;
  const budgets = {
    vad: config.budgetVadMs,
    queue: config.budgetQueueMs,
    stt: config.budgetSttMs,
    mt: config.budgetMtMs,
    relay: config.budgetRelayMs,
  };
  return {
    ...bound,
    createVad: vadFactory(config, fvad),
    glossaryLimits: { maxTerms: config.glossaryMaxTerms, maxBytes: config.glossaryMaxBytes },
    limits: { maxFrameBytes: config.maxFrameBytes, maxSessionSeconds: config.maxSessionSeconds },
    clientLimits: {
      maxAudioRate: config.maxAudioRate,
      audioBurstSeconds: config.audioBurstSeconds,
      maxFramesPerSecond: config.maxFramesPerSecond,
      maxSendBufferBytes: config.maxSendBufferBytes,
    },
    startTimeoutMs: config.startTimeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    segmenter: segmenterFromConfig(config),
    budgets,
    catchUp: { enabled: config.catchUp === 'on', queueBudgetMs: budgets.queue, sttBudgetMs: budgets.stt },
  };
}
