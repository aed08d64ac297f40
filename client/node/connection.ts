/**
 * Where the desktop clients connect: the realtime endpoint derived from the server URL people type
 * ("http://host:8080", "wss://captions.example.org"), and a WebSocket that carries the API key or token as an
 * Authorization header (Node's ws can set headers, unlike a browser; keys are never put in URLs).
 */
import WebSocket from 'ws';
import type { WebSocketConstructor } from '../realtime-client.ts';

/** ws(s)://host/…/v1/realtime for an http(s) or ws(s) server URL; a URL that already names an endpoint is kept. */
export function endpointUrl(serverUrl: string, path: '/v1/realtime' | `/v1/watch/${string}`): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  if (!/\/v1\/(realtime|watch\/[^/]+)$/.test(url.pathname)) url.pathname = url.pathname.replace(/\/$/, '') + path;
  return url.href;
}

/** The page URL of a session's watch page (for "share" and the overlay), on the same server. */
export function watchPageUrl(serverUrl: string, session: string, query: Record<string, string> = {}): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:';
  url.pathname = `/watch/${encodeURIComponent(session)}`;
  url.search = new URLSearchParams(query).toString();
  return url.href;
}

/**
 * A WebSocket class for the realtime client that authenticates with `token` (no header when empty). Always ws's:
 * Node 22+'s global WebSocket would be chosen otherwise, and its errors carry no reason ("ECONNREFUSED").
 */
export function authenticatedWebSocket(token: string): WebSocketConstructor {
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  return class extends WebSocket {
    constructor(url: string) {
      super(url, { headers });
    }
  } as unknown as WebSocketConstructor;
}
