/**
 * Watches every outgoing connection this process starts: fetch (undici), node:http(s) requests and raw TCP
 * sockets, through Node's diagnostics channels. A test that must prove "no request leaves the process" starts a
 * watch, does its work, and reads what was attempted (even attempts that fail to resolve or connect count).
 */
import diagnostics from 'node:diagnostics_channel';

export interface NetworkWatch {
  /** One line per attempt: `fetch <url>`, `http <host>`, `tcp <host:port>`. */
  readonly attempts: string[];
  stop(): void;
}

export function watchNetwork(): NetworkWatch {
  const attempts: string[] = [];
  const handlers: [string, (message: unknown) => void][] = [
    [
      'undici:request:create',
      (m) =>
        attempts.push(
          `fetch ${(m as { request: { origin: string; path: string } }).request.origin}${(m as { request: { path: string } }).request.path}`,
        ),
    ],
    ['http.client.request.start', (m) => attempts.push(`http ${(m as { request: { host: string } }).request.host}`)],
    [
      'net.client.socket',
      (m) => {
        const socket = m as { socket: { remoteAddress?: string; _host?: string } };
        attempts.push(`tcp ${socket.socket._host ?? socket.socket.remoteAddress ?? '?'}`);
      },
    ],
  ];
  for (const [name, handler] of handlers) diagnostics.subscribe(name, handler);
  return {
    attempts,
    stop: () => {
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
    },
  };
}
