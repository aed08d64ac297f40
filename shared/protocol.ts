/**
 * Realtime protocol v1, the one definition shared by the edge and every client.
 * Binary WebSocket frames are audio (PCM16LE mono at the session's sample_rate); text frames are JSON with a `type`.
 * Documented for people in docs/protocol.md.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.ts';
import { Glossary } from './glossary.ts';

/** The newest protocol this server speaks; a client asks for it in `start.protocol` (default 1). */
export const PROTOCOL_VERSION = 1.2;
/**
 * v1.1 adds `ack` events and corrected finals (docs/protocol.md); v1 clients never receive either. v1.2 adds the
 * `speaker` of finals (diarization); v1 and v1.1 clients never receive it.
 */
export const SUPPORTED_PROTOCOLS = [1, 1.1, 1.2] as const;
export type ProtocolVersion = (typeof SUPPORTED_PROTOCOLS)[number];
export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48000;

/**
 * Session ids: letters, digits, `-` and `_` (the server makes UUIDs). Ids name Redis keys (`…:session:<id>`), so
 * `:` and the like would let a client name another key (`<id>:results`) and read Redis' errors back.
 */
export const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
export const isSessionId = (id: string): boolean => SESSION_ID.test(id);

/** Language codes are ISO 639-1 (two letters) or a BCP 47 tag starting with one. */
const languageCode = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language code such as "en" or "pt-BR"');

export const WakeWord = z.object({
  /** One to six words; words the recogniser's dictionary lacks are pronounced by rule. */
  phrase: z.string().trim().min(1).max(64),
  /** In [0, 1]: higher hears the phrase more readily, and falsely more often (default 0.5). */
  sensitivity: z.number().min(0).max(1).optional(),
  /**
   * `session` (default): after the phrase, caption the rest of the session. `utterance`: caption the one utterance
   * after it, then wait for the phrase again (an assistant's command turn; see `hooks.command`).
   */
  listen: z.enum(['session', 'utterance']).optional(),
});
export type WakeWord = z.infer<typeof WakeWord>;

/** Per-session LLM hooks; the server's LLM endpoint is configured by its operator (EARSHOT_LLM_URL). */
export const SessionHooks = z.object({
  /** Post-edit each final (punctuation, casing, the glossary's spellings): an `edited` event per final. */
  post_edit: z.boolean().optional(),
  /** Summarise the session when it is done, into its exports (`GET /v1/sessions/:id/export?format=json`). */
  summary: z.boolean().optional(),
  /** With `wake_word`: the utterance after the phrase is a command for the LLM, answered by a `reply` event. */
  command: z.boolean().optional(),
  /** Signed webhooks of this session's `final`, `translation` and `done` events (docs/llm-hooks.md). */
  webhook: z
    .object({
      url: z.string().max(2048),
      secret: z.string().min(16).max(256),
      events: z
        .array(z.enum(['final', 'translation', 'done', 'edited', 'reply', 'summary']))
        .min(1)
        .optional(),
    })
    .optional(),
});
export type SessionHooks = z.infer<typeof SessionHooks>;

export const StartMessage = z.object({
  type: z.literal('start'),
  language: languageCode.optional(),
  targets: z.array(languageCode).max(16).default([]),
  sample_rate: z.number().int(),
  encoding: z.literal('pcm16'),
  /** Resume this session (after a dropped connection, possibly on another edge) instead of starting a new one. */
  session: z.string().regex(SESSION_ID, 'a session id from "ready" (letters, digits, "-" and "_")').optional(),
  /**
   * With `session`: the highest seq up to which the client has every final and translation. Everything after it
   * is sent again (the client library drops what it already has).
   */
  last_seq: z.number().int().nonnegative().optional(),
  /**
   * v1.1, with `session`: where (seconds into the session) the audio this client sends next begins, when it replays
   * from earlier than `ready.resume_from`. The server skips what it already has, so a replay never duplicates audio.
   */
  replay_from: z.number().nonnegative().optional(),
  /** Protocol version the client speaks: 1 (default), 1.1 (audio acks, revised captions) or 1.2 (also speakers). */
  protocol: z.union([z.literal(1), z.literal(1.1), z.literal(1.2)]).optional(),
  /** Terms to recognise and translate as given (shared/glossary.ts); merged over the API key's default glossary. */
  glossary: Glossary.optional(),
  /** Targets whose translations are also spoken: `translation_audio` events (TTS) follow their translations. */
  speak: z.array(languageCode).max(4).optional(),
  /** Wait for this phrase before captioning (docs/wake-word.md); the server answers `wake` when it hears it. */
  wake_word: WakeWord.optional(),
  /** LLM hooks of this session (docs/llm-hooks.md), over the API key's own; each adds its events. */
  hooks: SessionHooks.optional(),
});
export const StopMessage = z.object({ type: z.literal('stop') });

export const ClientMessage = z.discriminatedUnion('type', [StartMessage, StopMessage]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type StartMessage = z.infer<typeof StartMessage>;
export const CLIENT_MESSAGE_TYPES: readonly string[] = ['start', 'stop'];

const seconds = z.number().nonnegative();
const errorCode = z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]);

export const ReadyEvent = z.object({
  type: z.literal('ready'),
  session: z.string(),
  /** The protocol version of this connection: the client's `start.protocol`. */
  protocol: z.number(),
  /** The translation targets the session accepted (unsupported ones were reported with an error). */
  targets: z.array(z.string()),
  /** Present when a session was resumed: send audio again from this many seconds into the session. */
  resume_from: seconds.optional(),
  /**
   * With auth on: a token for `/v1/watch/:session?token=…` that can watch (and export) this session only, for share
   * links. It expires like any token and is revoked with `POST /v1/tokens/revoke` by the speaker's key.
   */
  watch_token: z.string().optional(),
  /** With `start.speak`: the targets whose translations are spoken (unsupported ones were reported with an error). */
  speak: z.array(z.string()).optional(),
});
const seq = z.number().int().positive();
/**
 * v1.1 revision of a caption within its segment (`seq`): a higher `rev` replaces a lower one of the same kind, and
 * a final replaces every partial. Finals start at rev 1; a corrected final has a higher rev (v1.1 clients only).
 */
const rev = z.number().int().positive();
/** Partials name the segment (`seq`) their final will have, so a client updates one line in place. */
export const PartialEvent = z.object({
  type: z.literal('partial'),
  text: z.string(),
  start: seconds,
  seq: seq.optional(),
  rev: rev.optional(),
});
export const FinalEvent = z.object({
  type: z.literal('final'),
  seq,
  text: z.string(),
  start: seconds,
  end: seconds,
  rev: rev.optional(),
  /** v1.2: who spoke, 1, 2, … in order of first appearance, stable within the session (diarization). */
  speaker: z.number().int().positive().optional(),
});
export const TranslationEvent = z.object({
  type: z.literal('translation'),
  seq,
  lang: z.string(),
  text: z.string(),
  /** The rev of the final this translates. */
  rev: rev.optional(),
});
/**
 * A translation spoken (TTS), for clients that asked (`start.speak`, or `?speak=` on the watch URL): after its
 * `translation`. `audio` is a base64 WAV file (PCM16 mono at `sample_rate`), which browsers play as is
 * (`new Audio('data:audio/wav;base64,' + audio)`); `duration` is its length in seconds.
 */
export const TranslationAudioEvent = z.object({
  type: z.literal('translation_audio'),
  seq,
  lang: z.string(),
  rev: rev.optional(),
  format: z.literal('wav'),
  sample_rate: z.number().int().positive(),
  duration: seconds,
  audio: z.string(),
});
/** Provisional translation of the current partial (only when the server translates partials). */
export const PartialTranslationEvent = z.object({
  type: z.literal('partial_translation'),
  lang: z.string(),
  text: z.string(),
  start: seconds,
  seq: seq.optional(),
});
/**
 * v1.1: the server has secured the session's audio up to `audio_end` seconds (queued as whole utterances); a client
 * may forget audio before it. A resume asks for audio again from at most here (`ready.resume_from`).
 */
export const AckEvent = z.object({ type: z.literal('ack'), audio_end: seconds });
export const ErrorEvent = z.object({
  type: z.literal('error'),
  code: errorCode,
  message: z.string(),
  seq: z.number().int().positive().optional(),
  /** With `seq`: the translation that failed. */
  lang: z.string().optional(),
});
export const DoneEvent = z.object({ type: z.literal('done') });
/** The session's wake word was heard `at` seconds into the session (only to a client that sent `wake_word`). */
export const WakeEvent = z.object({ type: z.literal('wake'), phrase: z.string(), at: seconds });
/** The LLM's post-edit of final `seq` (only with `hooks.post_edit`); the final itself stays as recognised. */
export const EditedEvent = z.object({ type: z.literal('edited'), seq, text: z.string(), rev: rev.optional() });
/** The LLM's answer to the command spoken after the wake word, final `seq` (only with `hooks.command`). */
export const ReplyEvent = z.object({ type: z.literal('reply'), seq, text: z.string() });

export const ServerEvent = z.discriminatedUnion('type', [
  ReadyEvent,
  PartialEvent,
  FinalEvent,
  TranslationEvent,
  TranslationAudioEvent,
  PartialTranslationEvent,
  AckEvent,
  ErrorEvent,
  DoneEvent,
  WakeEvent,
  EditedEvent,
  ReplyEvent,
]);
export type ServerEvent = z.infer<typeof ServerEvent>;
/** The events of a session's result log (what viewers receive too); wake, edited and reply go to the speaker only. */
export type CaptionEvent = Exclude<ServerEvent, { type: 'wake' | 'edited' | 'reply' }>;
export type ReadyEvent = z.infer<typeof ReadyEvent>;
export type PartialEvent = z.infer<typeof PartialEvent>;
export type FinalEvent = z.infer<typeof FinalEvent>;
export type TranslationEvent = z.infer<typeof TranslationEvent>;
export type TranslationAudioEvent = z.infer<typeof TranslationAudioEvent>;
export type ErrorEvent = z.infer<typeof ErrorEvent>;
export type AckEvent = z.infer<typeof AckEvent>;
export type WakeEvent = z.infer<typeof WakeEvent>;
export type EditedEvent = z.infer<typeof EditedEvent>;
export type ReplyEvent = z.infer<typeof ReplyEvent>;

/**
 * `WS /v1/watch/:session`: viewers only listen. Their `ready` also names the spoken language (the "original" a
 * viewer may choose to read); after it they receive the same partial/final/translation/error/done events as the
 * speaker, from the start of the session.
 */
export const WatchReadyEvent = ReadyEvent.omit({ resume_from: true, watch_token: true }).extend({
  language: z.string(),
});
export const WatchEvent = z.discriminatedUnion('type', [
  WatchReadyEvent,
  PartialEvent,
  FinalEvent,
  TranslationEvent,
  TranslationAudioEvent,
  PartialTranslationEvent,
  ErrorEvent,
  DoneEvent,
]);
export type WatchReadyEvent = z.infer<typeof WatchReadyEvent>;
export type WatchEvent = z.infer<typeof WatchEvent>;
// Close codes of both sockets live with every other close code.
export { REALTIME_CLOSE, WATCH_CLOSE } from './close-codes.ts';
