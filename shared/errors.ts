/**
 * Every error earshot reports has a stable code from this list. Clients switch on the code; the message is for
 * people. Transport mapping (WS close codes, HTTP statuses) lives next to the list so it is decided in one place.
 */
export const ERROR_CODES = {
  bad_json: { http: 400, message: 'text frames must be JSON' },
  unknown_type: { http: 400, message: 'unknown message type' },
  invalid_message: { http: 400, message: 'message does not match the protocol' },
  not_started: { http: 409, message: 'send "start" before audio' },
  already_started: { http: 409, message: 'the session has already started' },
  already_stopped: { http: 409, message: 'the session has been stopped' },
  bad_frame: { http: 400, message: 'audio frames must be PCM16LE: an even number of bytes' },
  frame_too_large: { http: 413, message: 'audio frame exceeds the frame size limit' },
  bad_sample_rate: { http: 400, message: 'sample_rate out of range' },
  unsupported_language: { http: 400, message: 'language not supported by the engine' },
  unsupported_target: { http: 400, message: 'translation target not supported by the engine' },
  unknown_session: { http: 404, message: 'no such session to resume' },
  glossary_too_large: { http: 413, message: 'the glossary has too many terms or bytes' },
  unsupported_wake_word: { http: 400, message: 'the wake word cannot be spotted here' },
  queue_unavailable: { http: 503, message: 'the job queue is unreachable' },
  overloaded: { http: 503, message: 'the pipeline is overloaded' },
  slow_consumer: { http: 400, message: 'the client is not reading its messages' },
  start_timeout: { http: 408, message: 'no "start" message in time' },
  idle_timeout: { http: 408, message: 'no audio for too long' },
  session_too_long: { http: 400, message: 'session length limit reached' },
  too_many_sessions: { http: 503, message: 'server at capacity' },
  stt_failed: { http: 500, message: 'transcription failed' },
  mt_failed: { http: 500, message: 'translation failed' },
  tts_failed: { http: 500, message: 'speaking the translation failed' },
  unsupported_voice: { http: 400, message: 'no voice speaks this language' },
  engine_unavailable: { http: 503, message: 'engine is not available on this machine' },
  shutting_down: { http: 503, message: 'server is shutting down' },
  unauthorized: { http: 401, message: 'missing or invalid API key or token' },
  forbidden: { http: 403, message: 'the credential does not grant this' },
  rate_limited: { http: 429, message: 'too many requests for this key; retry after the time in Retry-After' },
  session_limit: { http: 429, message: "this key's concurrent session limit is reached" },
  session_busy: { http: 409, message: 'another connection is speaking into this session' },
  session_replaced: { http: 409, message: "a newer connection of the session's owner took over" },
  viewer_limit: { http: 429, message: "this key's concurrent viewer limit is reached" },
  too_many_viewers: { http: 503, message: 'this edge serves its maximum of viewers' },
  invalid_request: { http: 400, message: 'the request is malformed' },
  file_too_large: { http: 413, message: 'the uploaded file exceeds the size limit' },
  body_too_large: { http: 413, message: 'the request body exceeds the size limit' },
  unsupported_media_type: { http: 415, message: 'the audio format cannot be decoded here' },
  bad_audio: { http: 400, message: 'the audio could not be decoded' },
  too_many_channels: { http: 400, message: 'the audio has more channels than are accepted' },
  audio_too_long: { http: 400, message: 'the audio is longer than the limit' },
  decode_timeout: { http: 400, message: 'the audio took too long to decode' },
  unknown_job: { http: 404, message: 'no such batch job' },
  model_not_found: { http: 404, message: 'no such model is loaded' },
  internal: { http: 500, message: 'internal error' },
} as const satisfies Record<string, { http: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class EarshotError extends Error {
  readonly code: ErrorCode;
  /** Set on errors made from an unexpected one: the id the client is told, under which the log has the details. */
  ref?: string;
  constructor(code: ErrorCode, message: string = ERROR_CODES[code].message, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EarshotError';
    this.code = code;
  }
  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }
}

/** Errors that a retry cannot fix: the job goes straight to the dead-letter set. */
export const PERMANENT_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'unsupported_target',
  'unsupported_language',
  'bad_frame',
]);

/**
 * Library errors are translated at the boundary; anything unknown becomes `fallback` (`internal` by default) with
 * the code's generic message and a correlation id (`ref`): a raw message (a V8 TypeError, Redis' WRONGTYPE, a
 * server path) says nothing a client can act on and tells an attacker about the server. The original is the
 * cause; whoever reports the error logs it with the ref (see {@link clientError}).
 */
export function toEarshotError(err: unknown, fallback: ErrorCode = 'internal'): EarshotError {
  if (err instanceof EarshotError) return err;
  const ref = newErrorRef();
  const error = new EarshotError(fallback, `${ERROR_CODES[fallback].message} (ref ${ref})`, { cause: err });
  error.ref = ref;
  return error;
}

/**
 * What a client may be told of an error, its details logged under the ref it is given: unknown errors (see
 * {@link toEarshotError}) and `internal` ones, whose messages are written for operators (they may name files,
 * hosts or stores), become a generic message with a ref. Coded errors about the request pass unchanged.
 */
export function clientError(
  err: unknown,
  log: { error(details: object, message: string): void },
  fallback: ErrorCode = 'internal',
): EarshotError {
  const error = toEarshotError(err, fallback);
  if (error.ref) {
    log.error({ err: error.cause, ref: error.ref, code: error.code }, 'unexpected error');
    return error;
  }
  if (error.code !== 'internal') return error;
  const ref = newErrorRef();
  log.error({ err: error, ref, code: error.code }, 'internal error');
  const safe = new EarshotError('internal', `${ERROR_CODES.internal.message} (ref ${ref})`, { cause: error });
  safe.ref = ref;
  return safe;
}

function newErrorRef(): string {
  return crypto.randomUUID().slice(0, 8);
}
