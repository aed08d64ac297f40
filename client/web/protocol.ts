/** The pages' side of the protocol (docs/protocol.md): endpoint URLs on this origin and parsing server frames. */

import type { ProtocolEvent } from './captions.ts';

/**
 * The WebSocket URL of an endpoint on the server that served this page (ws: or wss: to match http: or https:).
 * A `token` in the page's address is passed on: browsers cannot set headers on a WebSocket, and an edge with
 * auth on accepts a token as `?token=` there.
 */
export function socketUrl(path: string): string {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const token = new URLSearchParams(location.search).get('token');
  if (token) url.searchParams.set('token', token);
  return url.href;
}

/** A server text frame as an event, or null for anything that is not one (forward compatible: ignored). */
export function parseEvent(data: unknown): ProtocolEvent | null {
  if (typeof data !== 'string') return null;
  try {
    const event: unknown = JSON.parse(data);
    return event && typeof event === 'object' && typeof (event as { type?: unknown }).type === 'string'
      ? (event as ProtocolEvent)
      : null;
  } catch {
    return null;
  }
}

/** Languages offered on the speaker page; the server answers `unsupported_target` for any it cannot produce. */
export const COMMON_LANGUAGES = [
  'en',
  'es',
  'fr',
  'de',
  'it',
  'pt',
  'nl',
  'ca',
  'pl',
  'ru',
  'uk',
  'ar',
  'hi',
  'ja',
  'ko',
  'zh',
];
