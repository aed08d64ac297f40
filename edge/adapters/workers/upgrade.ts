/**
 * The Workers WebSocket binding of the shared routes: a WebSocketPair whose server end the route's events drive.
 * Unlike hono's own Cloudflare helper it calls `onOpen` (the routes start sessions and send refusals there) and
 * answers the subprotocol the way the Node edge does (never an `earshot.bearer.…` credential).
 */
import { defineWebSocketHelper, WSContext, type UpgradeWebSocket } from 'hono/ws';
import { answeredSubprotocol } from '../../auth/authenticator.ts';

export const upgradeWebSocket: UpgradeWebSocket = defineWebSocketHelper(async (c, events) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return;
  const { 0: client, 1: server } = new WebSocketPair();
  const offered = (c.req.header('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const protocol = answeredSubprotocol(offered);
  const ws = new WSContext({
    send: (data) => server.send(data as string | ArrayBuffer),
    close: (code, reason) => server.close(code, reason),
    raw: server,
    get readyState() {
      return server.readyState as 0 | 1 | 2 | 3;
    },
    url: null,
    protocol: protocol || null,
  });
  // Binary frames as ArrayBuffers, as the routes read them (recent compatibility dates default to Blobs).
  (server as { binaryType?: string }).binaryType = 'arraybuffer';
  server.accept();
  server.addEventListener('message', (event) => events.onMessage?.(event, ws));
  server.addEventListener('close', (event) => events.onClose?.(event, ws));
  server.addEventListener('error', (event) => events.onError?.(event, ws));
  // The socket is open once accepted; what onOpen sends is delivered after the 101.
  queueMicrotask(() => events.onOpen?.(new Event('open'), ws));
  return new Response(null, {
    status: 101,
    webSocket: client,
    ...(protocol ? { headers: { 'sec-websocket-protocol': protocol } } : {}),
  });
});
