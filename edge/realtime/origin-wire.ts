/**
 * The wire between a Workers session relay (a Durable Object, which cannot speak Redis) and its origin, a Node
 * edge's `WS /v1/origin/:session?cursor=C`: one socket per session, JSON text frames.
 *
 * relay → origin: `job` (an STT job, audio as base64 PCM exactly as in Redis: shared/queue/codecs.ts) and `append`
 * (the session's `ended` marker), each numbered so the origin acknowledges it once it is queued: the relay only
 * counts audio as secured (resumable) after the `ack`.
 * origin → relay: `hello` first (what the pipeline can do, checked at `start`), then `ack`/`nack`, and `result`
 * for every entry of the session's result log after the cursor the relay connected with, so a relay that
 * reconnects resumes where it stopped reading.
 */
import type { ErrorCode } from '../../shared/errors.ts';
import { KNOWN_LANGUAGES } from '../../shared/languages.ts';
import type { SessionResult } from '../../shared/queue/jobs.ts';
import type { Capabilities } from './session.ts';

export const ORIGIN_ROUTE = '/v1/origin';

export type RelayMessage =
  | { type: 'job'; n: number; job: Record<string, unknown> }
  | { type: 'append'; n: number; result: Extract<SessionResult, { type: 'ended' }> };

export type OriginMessage =
  | { type: 'hello'; stt_languages: string[]; default_language: string; pairs: string[] }
  | { type: 'ack'; n: number }
  | { type: 'nack'; n: number; code: ErrorCode; message: string }
  | { type: 'result'; cursor: string; result: SessionResult };

/** The origin's capabilities as data: translation pairs enumerated over the languages earshot knows. */
export function helloFrom(capabilities: Capabilities): Extract<OriginMessage, { type: 'hello' }> {
  const pairs = KNOWN_LANGUAGES.flatMap((s) =>
    KNOWN_LANGUAGES.filter((t) => t !== s && capabilities.translates(s, t)).map((t) => `${s}-${t}`),
  );
  return {
    type: 'hello',
    stt_languages: [...capabilities.sttLanguages],
    default_language: capabilities.defaultLanguage,
    pairs,
  };
}

export function capabilitiesFrom(hello: Extract<OriginMessage, { type: 'hello' }>): Capabilities {
  const pairs = new Set(hello.pairs);
  return {
    sttLanguages: hello.stt_languages,
    defaultLanguage: hello.default_language,
    translates: (s, t) => pairs.has(`${s}-${t}`),
  };
}

/** Parses a relay's frame; null for anything that is not one of its two messages. */
export function parseRelayMessage(text: string): RelayMessage | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const m = raw as Partial<Record<string, unknown>> | null;
  if (!m || typeof m !== 'object' || !Number.isInteger(m.n)) return null;
  if (m.type === 'job' && m.job && typeof m.job === 'object' && typeof (m.job as { pcm?: unknown }).pcm === 'string')
    return m as RelayMessage;
  if (
    m.type === 'append' &&
    (m.result as { type?: unknown } | undefined)?.type === 'ended' &&
    Number.isInteger((m.result as { segments?: unknown }).segments)
  )
    return m as RelayMessage;
  return null;
}
