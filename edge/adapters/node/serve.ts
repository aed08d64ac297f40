/** Node adapter: Hono on @hono/node-server, WebSockets through ws (via @hono/node-ws). */
import { serve, type ServerType } from '@hono/node-server';
import { createNodeWebSocket } from '@hono/node-ws';
import type { AddressInfo } from 'node:net';
import type { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { answeredSubprotocol } from '../../auth/authenticator.ts';

/** The server could not listen (`code`: EADDRINUSE, EACCES, EADDRNOTAVAIL, …). */
export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    readonly code: string,
    readonly host: string,
    readonly port: number,
    message: string,
  ) {
    super(message);
  }
}

export interface NodeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Builds the app with Node's upgradeWebSocket, then listens. `maxPayload` is the transport's hard cap: the
 * session enforces the (smaller) configured frame limit itself so an oversized frame gets an error event
 * instead of a dropped connection.
 */
export async function serveNode(
  build: (upgradeWebSocket: UpgradeWebSocket) => Hono,
  options: { host: string; port: number; maxPayload: number; maxHeaderBytes?: number },
): Promise<NodeServer> {
  let app: Hono | undefined;
  const nodeWs = createNodeWebSocket({ app: new Proxy({} as Hono, { get: (_t, key) => Reflect.get(app!, key, app) }) });
  app = build(nodeWs.upgradeWebSocket as UpgradeWebSocket);
  (nodeWs.wss.options as { maxPayload: number }).maxPayload = options.maxPayload;
  // ws answers with the first offered subprotocol by default, which may be an `earshot.bearer.<key>` credential.
  (nodeWs.wss.options as { handleProtocols: (offered: Set<string>) => string | false }).handleProtocols =
    answeredSubprotocol;
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve(
      {
        fetch: app!.fetch,
        hostname: options.host,
        port: options.port,
        serverOptions: { maxHeaderSize: options.maxHeaderBytes ?? 16 * 1024 },
      },
      () => {
        s.off('error', failed);
        resolve(s);
      },
    );
    function failed(err: NodeJS.ErrnoException) {
      reject(new ListenError(err.code ?? 'EUNKNOWN', options.host, options.port, err.message));
    }
    s.once('error', failed);
  });
  nodeWs.injectWebSocket(server as Parameters<typeof nodeWs.injectWebSocket>[0]);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of nodeWs.wss.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
