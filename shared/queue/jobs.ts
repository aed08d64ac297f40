/**
 * What travels between the edge and the runners: jobs one way, session results the other.
 * Job ids are deterministic (`{session}:{segment}`) so a redelivered job is recognised as the same work.
 */
import type { ErrorCode } from '../errors.ts';

export interface SttJob {
  id: string;
  session: string;
  segment: number;
  /** `final` jobs are whole utterances; `partial` jobs are provisional snapshots (latest wins, droppable). */
  kind: 'final' | 'partial';
  /** 16 kHz mono PCM16. */
  pcm: Int16Array;
  language?: string;
  /** Seconds from the session's start. */
  start: number;
  end: number;
  /** Translation targets, turned into MT jobs once the final text is known. */
  targets: string[];
  enqueuedAt: number;
  /** W3C trace context of the span that queued the job: one trace follows a session across edge, queue and runners. */
  traceparent?: string;
}

export interface MtJob {
  id: string;
  session: string;
  /** `partial` translates a provisional snapshot (latest wins, behind every final); absent means final. */
  kind?: 'final' | 'partial';
  /** The final's seq, or for a partial the segment it belongs to. */
  seq: number;
  /** Partials: where the utterance starts (seconds), for the client. */
  start?: number;
  text: string;
  source: string;
  target: string;
  enqueuedAt: number;
  traceparent?: string;
}

/** Appended to a session's result log by runners, read by the session's relay. */
export type SessionResult =
  | { type: 'partial'; segment: number; text: string; start: number }
  | { type: 'final'; seq: number; text: string; start: number; end: number; targets: string[]; traceparent?: string }
  | { type: 'translation'; seq: number; lang: string; text: string; traceparent?: string }
  | { type: 'partial_translation'; segment: number; lang: string; text: string; start: number }
  | { type: 'error'; code: ErrorCode; message: string; seq?: number; lang?: string }
  /** The speaker stopped after `segments` utterances: once they are all delivered, the session is done. */
  | { type: 'ended'; segments: number };

export const sttJobId = (session: string, segment: number, kind: SttJob['kind']): string =>
  kind === 'final' ? `${session}:${segment}` : `${session}:${segment}:partial`;

export const mtJobId = (session: string, seq: number, target: string, kind: 'final' | 'partial' = 'final'): string =>
  kind === 'final' ? `${session}:${seq}:${target}` : `${session}:${seq}:partial:${target}`;
