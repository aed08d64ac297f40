/**
 * What travels between the edge and the runners: jobs one way, session results the other.
 * Job ids are deterministic (`{session}:{segment}`) so a redelivered job is recognised as the same work.
 */
import type { ErrorCode } from '../errors.ts';
import type { GlossaryTerm, MtGlossaryEntry } from '../glossary.ts';

export interface SttJob {
  id: string;
  session: string;
  segment: number;
  /**
   * `final` jobs are whole utterances; `partial` jobs are provisional snapshots (latest wins, droppable); `refine`
   * re-decodes a final that was first decoded fast, at full effort, and publishes it as rev 2 (the second pass).
   */
  kind: 'final' | 'partial' | 'refine';
  /** Partials: the snapshot's number within its utterance, its `rev`. */
  rev?: number;
  /** Refine: the first pass's text, published again if the second pass cannot run. */
  draft?: string;
  /** 16 kHz mono PCM16. */
  pcm: Int16Array;
  language?: string;
  /** Seconds from the session's start. */
  start: number;
  end: number;
  /** Translation targets, turned into MT jobs once the final text is known. */
  targets: string[];
  /** Targets whose translations are also spoken (TTS), from `start.speak`. */
  speak?: string[];
  enqueuedAt: number;
  /** W3C trace context of the span that queued the job: one trace follows a session across edge, queue and runners. */
  traceparent?: string;
  /** The session's glossary (bounded, see shared/glossary.ts): biases recognition, and its MT jobs inherit it. */
  glossary?: GlossaryTerm[];
  /** Publish the final's token ids with it, when the engine has them (batch jobs: verbose_json); live sessions do not. */
  withTokens?: boolean;
  /**
   * Partials: samples at the start of `pcm` the utterance's final audio certainly starts with (the segmenter's
   * `stableSamples`); the streaming lane feeds decoders no further. Absent: none is known stable.
   */
  stable?: number;
  /**
   * The streaming lane (see docs/architecture.md): partials carry only the utterance's audio from sample `offset`
   * on, for the runner that holds the session's decoder state; finals carry the whole utterance, and are decoded
   * by a stream (that runner's state, or a whole-utterance rebuild anywhere) so every runner gives the same text.
   */
  stream?: { offset: number };
  /** `full`: decode in a 30 s window in one pass, whatever the runner's window policy (files: no one waits live). */
  window?: 'full';
}

export interface MtJob {
  id: string;
  session: string;
  /** `partial` translates a provisional snapshot (latest wins, behind every final); absent means final. */
  kind?: 'final' | 'partial';
  /** The final's seq, or for a partial the segment it belongs to. */
  seq: number;
  /** The rev of the final being translated (absent: 1). */
  rev?: number;
  /** Partials: where the utterance starts (seconds), for the client. */
  start?: number;
  text: string;
  source: string;
  target: string;
  enqueuedAt: number;
  traceparent?: string;
  /** Terms to keep out of the engine's hands, with their fixed translations into `target`. */
  glossary?: MtGlossaryEntry[];
  /** The session wants this translation spoken (`start.speak`): the MT runner queues a TTS job after it. */
  speak?: boolean;
}

/** Speak one translation (TTS): queued by the MT runner once the translation is in the log. */
export interface TtsJob {
  id: string;
  session: string;
  seq: number;
  /** The rev of the translation spoken (absent: 1). */
  rev?: number;
  lang: string;
  text: string;
  enqueuedAt: number;
  traceparent?: string;
}

export const ttsJobId = (session: string, seq: number, lang: string, rev = 1): string =>
  `${session}:${seq}:${lang}:tts${rev > 1 ? `:r${rev}` : ''}`;

/**
 * When and how a runner decoded a final, for the edge's per-stage latency (queue wait = `takenAt` − the job's
 * `enqueuedAt`; wall clocks, so across machines it includes their skew) and for catch-up bookkeeping.
 */
export interface SttTimings {
  /** Wall time (ms) the runner took the job from the queue. */
  takenAt?: number;
  /** Engine time (ms) of the batch the job was decoded in. */
  sttMs?: number;
  /** `fast`: decoded with narrower beams / greedy search because the job had waited past the queue budget. */
  effort?: 'fast' | 'full';
}

/** Appended to a session's result log by runners, read by the session's relay. */
export type SessionResult =
  | { type: 'partial'; segment: number; text: string; start: number; rev?: number }
  /** `rev` 1 (absent) is the first decode; `revision: true` promises a rev 2 (the second pass) before the session is done. */
  /**
   * `voice`: the utterance's speaker voiceprint (diarization), from which every reader derives the same `speaker`;
   * `voiceThreshold`: its embedder's same-speaker cosine distance, when not the default (0.1, MFCC voiceprints).
   */
  | ({
      type: 'final';
      seq: number;
      text: string;
      start: number;
      end: number;
      targets: string[];
      traceparent?: string;
      rev?: number;
      revision?: boolean;
      tokens?: number[];
      voice?: number[];
      voiceThreshold?: number;
    } & SttTimings)
  /** `speak`: a TTS job was queued for it, so its `translation_audio` (or a `tts_failed` error) follows. */
  | {
      type: 'translation';
      seq: number;
      lang: string;
      text: string;
      traceparent?: string;
      rev?: number;
      speak?: boolean;
    }
  /** The spoken translation: a base64 WAV (PCM16 mono). */
  | {
      type: 'translation_audio';
      seq: number;
      lang: string;
      rev?: number;
      audio: string;
      sampleRate: number;
      duration: number;
    }
  | { type: 'partial_translation'; segment: number; lang: string; text: string; start: number }
  /** With `lang`: the translation of rev `rev` (absent: 1) failed. */
  | { type: 'error'; code: ErrorCode; message: string; seq?: number; lang?: string; rev?: number; audio?: boolean }
  /** The speaker stopped after `segments` utterances: once they are all delivered, the session is done. */
  | { type: 'ended'; segments: number };

/** Queue order of STT jobs (lower first): finals, then partials (they are on screen), then second passes. */
export const sttUrgency = (job: Pick<SttJob, 'kind'>): number =>
  job.kind === 'final' ? 0 : job.kind === 'partial' ? 1 : 2;

export const sttJobId = (session: string, segment: number, kind: SttJob['kind']): string =>
  kind === 'final' ? `${session}:${segment}` : `${session}:${segment}:${kind}`;

export const mtJobId = (
  session: string,
  seq: number,
  target: string,
  kind: 'final' | 'partial' = 'final',
  rev = 1,
): string =>
  kind === 'final' ? `${session}:${seq}:${target}${rev > 1 ? `:r${rev}` : ''}` : `${session}:${seq}:partial:${target}`;
