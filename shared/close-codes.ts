/**
 * Every WebSocket close code earshot sends, in one place (test/shared/close-codes.test.ts keeps every `close(…)`
 * call on these names). The 1000–1013 codes are RFC 6455's; the 4xxx ones are HTTP's status plus 4000, so a client
 * reads them as it would the status of a refused request. The reason string beside a close is the error code
 * (shared/errors.ts) when there is one.
 */
export const CLOSE = {
  /** The session or view is done, or a client hangs up. */
  normal: 1000,
  /** The peer broke the protocol (clients: the server sent something unreadable). */
  protocolError: 1002,
  /** A message the receiver cannot read (a relay's unparseable frame). */
  unsupportedData: 1003,
  /** The client broke a limit or a timeout (the preceding error event says which). */
  policy: 1008,
  /** An unexpected error on the server. */
  internal: 1011,
  /** The edge is restarting or draining: resume elsewhere. */
  restart: 1012,
  /** At capacity, or the pipeline behind it is unreachable: try again later. */
  tryAgainLater: 1013,
  /** Client side: the connection was cut to be replaced (resilient-session). */
  cut: 4000,
  unauthorized: 4401,
  forbidden: 4403,
  /** Watch: no such session. */
  unknownSession: 4404,
  /** Watch: the viewer reads too slowly. */
  tooSlow: 4408,
  /** Another connection is, or became, the session's speaker. */
  conflict: 4409,
  /** Watch: an idle viewer. */
  idle: 4410,
  /** A key's request, session or viewer limit. */
  tooMany: 4429,
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];

/** Close codes of the watch socket besides 1000 (after `done`). */
export const WATCH_CLOSE = {
  forbidden: CLOSE.forbidden,
  unknownSession: CLOSE.unknownSession,
  tooSlow: CLOSE.tooSlow,
  idle: CLOSE.idle,
} as const;
/**
 * Close codes of the realtime socket that end a connection for a reason about the session: another tenant's session
 * or a connection bound elsewhere (4403); another connection is the session's speaker (4409, `session_busy`), or this
 * one was replaced by the owner's newer one (4409, `session_replaced`).
 */
export const REALTIME_CLOSE = { forbidden: CLOSE.forbidden, conflict: CLOSE.conflict } as const;

/** Auth refusals of a socket (edge/auth/ws-guard.ts). */
export const REFUSAL_CLOSE = {
  unauthorized: CLOSE.unauthorized,
  forbidden: CLOSE.forbidden,
  rate_limited: CLOSE.tooMany,
  session_limit: CLOSE.tooMany,
  viewer_limit: CLOSE.tooMany,
} as const;
