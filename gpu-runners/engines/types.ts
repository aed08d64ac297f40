/**
 * Engines are what a runner drives. A runner hands an engine a batch (possibly from many sessions) and gets one
 * result per request back, in the same order. Engines know nothing about sessions, queues or sockets.
 */
import type { GlossaryTerm } from '../../shared/glossary.ts';

/** 16 kHz mono PCM16, the one audio format runners accept. */
export const ENGINE_SAMPLE_RATE = 16000;

export interface SttRequest {
  /** Correlates the result with its job; opaque to the engine. */
  id: string;
  pcm: Int16Array;
  /** ISO 639-1 code; undefined means the engine's default or detection. */
  language?: string;
  /** A provisional snapshot of an open utterance: engines may trade accuracy for speed. */
  partial: boolean;
  /** The session's previous final text, for engines that condition on context (Whisper). */
  prompt?: string;
  /** `fast` trades accuracy for speed (narrower beams, greedy search); absent means `full`. */
  effort?: 'fast' | 'full';
  /**
   * `fit`: the engine may encode the utterance in a window fitted to its length (Whisper's encoder, as whisper.cpp's
   * audio_ctx) rather than a fixed 30 s; absent or `full`: the engine's usual window.
   */
  window?: 'fit' | 'full';
  /** The session's glossary: engines that can bias recognition towards its terms do (Whisper's prompt, sphinx's dictionary). */
  glossary?: readonly GlossaryTerm[];
}

export interface SttResult {
  id: string;
  text: string;
  /** The language transcribed (detected when the request named none), for engines that know it. */
  language?: string;
  /** Timed pieces of the text, seconds from the utterance's start, for engines that produce them. */
  segments?: { start: number; end: number; text: string }[];
  /** Probability that the audio holds no speech, and the text's average token log-probability, for engines that know them. */
  noSpeechProb?: number;
  avgLogprob?: number;
  /** Text the engine dropped itself as no speech (Whisper's no-speech rule), so the runner can count it. */
  withheld?: string;
  /** The text's token ids, for engines that have a vocabulary (Whisper): the batch API's verbose_json shows them. */
  tokens?: number[];
}

export interface SttEngine {
  readonly name: string;
  /** Languages the engine can transcribe (ISO 639-1). */
  readonly languages: readonly string[];
  /** The language of sessions that name none, when the engine has one (the server's setting, an export's pin). */
  readonly defaultLanguage?: string;
  /** True once loaded when the engine honours `window: 'fit'` (a runner then plans full-window second passes). */
  readonly fitsWindows?: boolean;
  /**
   * Present on engines that decode incrementally (the streaming lane): a session's open utterance keeps a decoder
   * state on one runner, and partials cost only the audio fed since the last one.
   */
  readonly streaming?: SttStreaming;
  load(): Promise<void>;
  transcribe(batch: readonly SttRequest[], signal?: AbortSignal): Promise<SttResult[]>;
  close(): Promise<void>;
}

/** An engine's incremental decoding: a bounded number of open utterances (streams) per engine. */
export interface SttStreaming {
  /** Streams one engine holds at most (each costs a decoder's memory). */
  readonly maxStreams: number;
  /** Streams open now. */
  readonly held: number;
  /** True once `load` has finished; `open` and `decode` wait for a load in progress. */
  readonly loaded: boolean;
  load(): Promise<void>;
  /** A state for a new utterance, or null when `maxStreams` are open. */
  open(): Promise<SttStream | null>;
  /** A whole utterance decoded as a stream fed it would finish it: how another runner rebuilds a lost state. */
  decode(pcm: Int16Array): Promise<string>;
  close(): Promise<void>;
}

/** One open utterance: calls are taken one after another. */
export interface SttStream {
  /** Samples fed so far. */
  readonly fed: number;
  /** The next audio of the utterance (16 kHz mono PCM16). */
  feed(pcm: Int16Array): Promise<void>;
  /** The best text for the audio fed so far; decodes nothing again. */
  hypothesis(): Promise<string>;
  /** Ends the utterance: its final text, equal to `decode` of all the audio fed. */
  finish(): Promise<string>;
  /** Frees the state (after `finish`, or to give the utterance up). */
  close(): Promise<void>;
}

export interface MtRequest {
  id: string;
  text: string;
  /** ISO 639-1 source and target codes. */
  source: string;
  target: string;
}

export interface MtResult {
  id: string;
  text: string;
}

export interface MtEngine {
  readonly name: string;
  /** Whether the engine can translate from source to target (ISO 639-1). */
  supports(source: string, target: string): boolean;
  load(): Promise<void>;
  translate(batch: readonly MtRequest[], signal?: AbortSignal): Promise<MtResult[]>;
  close(): Promise<void>;
}
