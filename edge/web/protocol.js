// @ts-check
/** The pages' side of the protocol (docs/protocol.md): endpoint URLs on this origin and parsing server frames. */

/** @typedef {import('./captions.js').ProtocolEvent} ProtocolEvent */

/**
 * The WebSocket URL of an endpoint on the server that served this page (ws: or wss: to match http: or https:).
 * A `token` in the page's address is passed on: browsers cannot set headers on a WebSocket, and an edge with
 * auth on accepts a token as `?token=` there.
 * @param {string} path
 */
export function socketUrl(path) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

/**
 * A server text frame as an event, or null for anything that is not one (forward compatible: ignored).
 * @param {unknown} data
 * @returns {ProtocolEvent | null}
 */
export function parseEvent(data) {
  if (typeof data !== 'string') return null;
  try {
    const event = JSON.parse(data);
    return event && typeof event === 'object' && typeof event.type === 'string' ? event : null;
  } catch {
    return null;
  }
}

/** Languages offered on the speaker page; the server answers `unsupported_target` for any it cannot produce. */
export const COMMON_LANGUAGES = ['en', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'ca', 'pl', 'ru', 'uk', 'ar', 'hi', 'ja', 'ko', 'zh'];
