/**
 * What the streaming lane must produce for some audio, worked out offline with the edge's own segmenter settings
 * and the engine: each utterance decoded alone (the finals), and every hypothesis the engine gives on the way (the
 * partials a session may show).
 */
import { loadConfig } from '../../shared/config.ts';
import { UtteranceSegmenter } from '../../shared/vad/segmenter.ts';
import { loadFvad, WebRtcVad, type VadAggressiveness } from '../../shared/vad/webrtc-vad.ts';
import { SphinxEngine } from '../../gpu-runners/engines/sphinx.ts';

export interface ExpectedUtterance {
  seq: number;
  /** Seconds from the session's start, as partials and finals carry it. */
  start: number;
  final: string;
  /** The engine's hypotheses at each snapshot's stable audio, in order. */
  partials: string[];
}

export async function expectedStreaming(
  pcm: Int16Array,
  env: Record<string, string> = {},
): Promise<ExpectedUtterance[]> {
  const config = loadConfig(env);
  const vad = WebRtcVad.fromModule(await loadFvad(), {
    aggressiveness: config.vadAggressiveness as VadAggressiveness,
    sampleRate: 16000,
    frameMs: 30,
  });
  const segmenter = new UtteranceSegmenter(vad, {
    sampleRate: 16000,
    frameMs: 30,
    silenceMs: config.vadSilenceMs,
    maxUtteranceMs: config.vadMaxUtteranceMs,
    preRollMs: config.vadPreRollMs,
    minSpeechMs: 200,
    partialIntervalMs: config.partialIntervalMs,
  });
  const events = [...segmenter.feed(pcm), ...segmenter.finish()];
  vad.close();
  const engine = new SphinxEngine({ maxStreams: 1 });
  await engine.load();
  const streaming = engine.streaming!;
  await streaming.load();
  const out: ExpectedUtterance[] = [];
  try {
    for (const seq of [...new Set(events.map((e) => e.segment))]) {
      const mine = events.filter((e) => e.segment === seq);
      const utterance = mine.find((e) => e.type === 'utterance');
      if (!utterance) continue;
      // One stream fed each stable prefix's new audio: hypotheses depend on the audio fed, not on its pieces.
      const partials: string[] = [];
      const stream = (await streaming.open())!;
      for (const e of mine) {
        // A snapshot of an utterance later dropped as too short shares its number with the next one.
        if (e.type !== 'snapshot' || e.startSample !== utterance.startSample) continue;
        const stable = e.pcm.subarray(0, e.stableSamples);
        if (stable.length > stream.fed) await stream.feed(stable.subarray(stream.fed));
        partials.push(await stream.hypothesis());
      }
      await stream.close();
      out.push({ seq, start: utterance.startSample / 16000, final: await streaming.decode(utterance.pcm), partials });
    }
  } finally {
    await engine.close();
  }
  return out;
}

/** Waits until the edge sees `count` STT runners announcing streams (their stream decoders are loaded). */
export async function waitForStreams(edgeUrl: string, count = 1): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const health = (await (await fetch(`${edgeUrl}/health/full`)).json()) as {
      components: { runners: { stt: { streams?: unknown }[] } };
    };
    if (health.components.runners.stt.filter((r) => r.streams).length >= count) return;
    if (Date.now() > deadline)
      throw new Error(`runners never announced streams: ${JSON.stringify(health.components.runners)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
