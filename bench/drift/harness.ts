/**
 * One long realtime session through the real embedded pipeline (sphinx STT), streamed `speed` times faster than
 * real time, timing every final the way a user would: end of speech = the wall time the client sent the audio at
 * the final's `end`, latency = the final's arrival minus that. Shared by `npm run bench:drift` and the no-drift tests.
 *
 * The speech is the load benchmark's loop (pocketsphinx-testdata's librivox recordings and espeak-ng sentences, each
 * followed by a 1.2 s pause), repeated for `minutes`.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startEmbedded } from '../../cli/embedded.ts';
import { connect } from '../../client/realtime-client.ts';
import { loadConfig } from '../../shared/config.ts';
import { metrics } from '../../shared/metrics.ts';
import { EffortSphinxEngine } from '../../gpu-runners/engines/sphinx-effort.ts';
import { corpus, loopSlice, RATE } from '../load/corpus.ts';

const FRAME = RATE / 10; // 100 ms frames

export interface DriftOptions {
  /** Audio minutes. */
  minutes: number;
  /** Multiples of real time. */
  speed: number;
  catchUp: boolean;
  /** Extra server settings (environment variable names). */
  env?: Record<string, string>;
  onProgress?: (audioSeconds: number) => void;
}

export interface DriftFinal {
  /** Stream time (s) of the final's end. */
  end: number;
  latencyMs: number;
}

export interface DriftWindow {
  fromMinute: number;
  toMinute: number;
  finals: number;
  p50Ms: number;
  p90Ms: number;
}

export interface DriftResult {
  minutes: number;
  speed: number;
  catchUp: boolean;
  wallSeconds: number;
  finals: DriftFinal[];
  /** Latency per 5 minutes of audio. */
  windows: DriftWindow[];
  /** `earshot_catchup_total` by action, during this run. */
  catchUpActions: Record<string, number>;
  /** The session's own per-stage summary and catch-up counts (its `session done` log line). */
  session: {
    stages?: Record<
      string,
      { count: number; p50Ms: number; p90Ms: number; maxMs: number; budgetMs: number; overBudget: number }
    >;
    catchUp?: Record<string, number>;
  };
}

export const percentile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** Finals whose end lies in [fromMinute, toMinute) of audio. */
export function windowOf(finals: DriftFinal[], fromMinute: number, toMinute: number): DriftWindow {
  const latencies = finals.filter((f) => f.end >= fromMinute * 60 && f.end < toMinute * 60).map((f) => f.latencyMs);
  return {
    fromMinute,
    toMinute,
    finals: latencies.length,
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p90Ms: Math.round(percentile(latencies, 0.9)),
  };
}

async function catchUpCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.catchUp.get()).values) out[String(v.labels.action)] = v.value;
  return out;
}

/**
 * What this machine can transcribe right now, in multiples of real time: the speech loop's utterances decoded at
 * full effort by a runner's sphinx decoder pool (`decoders` at once), no partials. The machine is shared, so tests
 * pace relative to this rather than at a fixed speed.
 */
export async function sphinxCapacity(decoders = 2): Promise<number> {
  const engine = new EffortSphinxEngine({ decoders });
  await engine.load();
  try {
    const { pcm, pieces } = corpus();
    const utterances: Int16Array[] = [];
    let at = 0;
    for (const p of pieces) {
      const n = Math.round(p.seconds * RATE);
      utterances.push(pcm.subarray(at, at + n));
      at += n + Math.round(1.2 * RATE);
    }
    const started = performance.now();
    await engine.transcribe(
      utterances.map((u, i) => ({ id: String(i), pcm: u, partial: false, effort: 'full' as const })),
    );
    const audio = utterances.reduce((n, u) => n + u.length, 0) / RATE;
    return audio / ((performance.now() - started) / 1000);
  } finally {
    await engine.close();
  }
}

export async function runDrift(o: DriftOptions): Promise<DriftResult> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line.includes('"session done"')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    EARSHOT_MT: 'none',
    EARSHOT_CATCH_UP: o.catchUp ? 'on' : 'off',
    // The client-side rate limit is for abusive clients; this one streams fast on purpose.
    EARSHOT_MAX_AUDIO_RATE: String(Math.max(10, o.speed * 2)),
    EARSHOT_MAX_FRAMES_PER_SECOND: String(Math.max(500, o.speed * 40)),
    EARSHOT_IDLE_TIMEOUT_MS: '600000',
    ...o.env,
  });
  const server = await startEmbedded(config, logger);
  const before = await catchUpCounts();
  const finals: DriftFinal[] = [];
  const sentAt: number[] = [];
  const wallAt = (t: number) =>
    sentAt[Math.max(0, Math.min(sentAt.length - 1, Math.ceil((t * RATE) / FRAME) - 1))] ?? performance.now();
  const started = performance.now();
  try {
    const session = await connect(
      `${server.server.url.replace('http', 'ws')}/v1/realtime`,
      { sample_rate: RATE, language: 'en', targets: [] },
      {
        readyTimeoutMs: 30_000,
        onEvent: (ev) => {
          if (ev.type === 'final' && (ev.rev ?? 1) === 1)
            finals.push({ end: ev.end, latencyMs: performance.now() - wallAt(ev.end) });
        },
      },
    );
    const seconds = o.minutes * 60;
    const pcm = loopSlice(0, seconds);
    for (let i = 0; i < pcm.length; i += FRAME) {
      sentAt.push(performance.now());
      session.sendAudio(pcm.subarray(i, i + FRAME));
      if (i % (RATE * 60) === 0) o.onProgress?.(i / RATE);
      const wait = started + ((i + FRAME) / RATE / o.speed) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    session.stop();
    await session.done;
  } finally {
    await server.close(0);
  }
  const after = await catchUpCounts();
  const windows: DriftWindow[] = [];
  for (let m = 0; m < o.minutes; m += 5) windows.push(windowOf(finals, m, Math.min(o.minutes, m + 5)));
  const done = lines.at(-1) ?? {};
  return {
    minutes: o.minutes,
    speed: o.speed,
    catchUp: o.catchUp,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    finals,
    windows,
    catchUpActions: Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])),
    session: {
      stages: done.stages as DriftResult['session']['stages'],
      catchUp: done.catchUp as Record<string, number>,
    },
  };
}
