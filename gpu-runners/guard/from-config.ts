/** The hallucination guard a runner gets from configuration; null when it is off. A bad blocklist file stops the start. */
import type { Config } from '../../shared/config.ts';
import type { VadAggressiveness } from '../../shared/vad/webrtc-vad.ts';
import { Blocklist } from './blocklist.ts';
import { HallucinationGuard } from './hallucination-guard.ts';
import { speechMeter } from './speech-meter.ts';

export async function guardFromConfig(config: Config): Promise<HallucinationGuard | null> {
  if (config.hallucinationGuard === 'off') return null;
  const blocklist = config.blocklistFile ? Blocklist.fromFile(config.blocklistFile) : new Blocklist();
  const needsVad = config.minSpeechMs > 0 || config.minWordsPerSecond > 0;
  return new HallucinationGuard({
    noSpeechThreshold: config.noSpeechThreshold,
    logprobThreshold: -1, // openai/whisper's: text at least this likely is kept whatever the no-speech token says
    maxCompressionRatio: config.maxCompressionRatio,
    maxRepeats: config.maxRepeats,
    minSpeechMs: config.minSpeechMs,
    minWordsPerSecond: config.minWordsPerSecond,
    blocklist,
    ...(needsVad ? { measureSpeech: await speechMeter(config.vadAggressiveness as VadAggressiveness) } : {}),
  });
}
