/**
 * `WS /v1/origin/:session?cursor=C`: the origin role of a Node edge, through which a Workers session relay reaches
 * the queue and the result log it cannot reach itself (protocol in edge/realtime/origin-wire.ts). Relays prove
 * themselves with the deployment's shared secret (`Authorization: Bearer …`, EARSHOT_ORIGIN_SECRET), not with API
 * keys: the caller is earshot's own relay, and the speaker was already admitted at the Workers edge. Without a
 * configured secret every relay is refused.
 */
import type { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { CLOSE } from '../../shared/close-codes.ts';
import { clientError } from '../../shared/errors.ts';
import { errorResponse } from '../http-errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { sttJobCodec } from '../../shared/queue/codecs.ts';
import type { ResultLog, SttQueue } from '../../shared/queue/ports.ts';
import { helloFrom, parseRelayMessage, ORIGIN_ROUTE, type OriginMessage } from '../realtime/origin-wire.ts';
import type { Capabilities } from '../realtime/session.ts';

export interface OriginRouteDeps {
  upgradeWebSocket: UpgradeWebSocket;
  /** Empty: the origin role is off and every relay is refused. */
  secret: string;
  sttQueue: Pick<SttQueue, 'add'>;
  results: Pick<ResultLog, 'append' | 'subscribe'>;
  capabilities: Capabilities;
  logger: Logger;
}

/** Compares digests, so neither the secret's content nor its length shows in the time taken. */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
  const digest = async (s: string) =>
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)));
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

export function mountOrigin(app: Hono, deps: OriginRouteDeps): void {
  app.get(
    `${ORIGIN_ROUTE}/:session`,
    async (c, next) => {
      if (!deps.secret)
        return errorResponse(c, 'forbidden', 'this edge has no EARSHOT_ORIGIN_SECRET: it serves no Workers relays');
      const bearer = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      if (!(await sameSecret(bearer, deps.secret)))
        return errorResponse(c, 'unauthorized', 'a relay must present the origin secret');
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return c.json(
          { error: { code: 'invalid_message', message: `GET ${ORIGIN_ROUTE}/:session expects a WebSocket upgrade` } },
          426,
        );
      }
      await next();
    },
    deps.upgradeWebSocket((c) => {
      const session = c.req.param('session') ?? '';
      const cursor = c.req.query('cursor') ?? '0';
      const log = deps.logger.child({ session, origin: true });
      let unsubscribe: (() => void) | undefined;
      return {
        onOpen(_event, ws) {
          const send = (message: OriginMessage) => {
            if (ws.readyState === 1) ws.send(JSON.stringify(message));
          };
          send(helloFrom(deps.capabilities));
          unsubscribe = deps.results.subscribe(session, cursor, (entry) =>
            send({ type: 'result', cursor: entry.cursor, result: entry.result }),
          );
          log.info({ cursor }, 'relay connected');
        },
        onMessage(event, ws) {
          const message = typeof event.data === 'string' ? parseRelayMessage(event.data) : null;
          if (!message) {
            log.warn('unreadable relay message');
            return ws.close(CLOSE.unsupportedData, 'unreadable message');
          }
          const { n } = message;
          let queued: Promise<void>;
          if (message.type === 'append') queued = deps.results.append(session, message.result);
          else {
            const job = sttJobCodec.decode(message.job);
            // A relay speaks for its own session only.
            if (job.session !== session || !job.id.startsWith(`${session}:`))
              return ws.close(CLOSE.policy, 'job of another session');
            queued = deps.sttQueue.add(job);
          }
          queued.then(
            () => ws.readyState === 1 && ws.send(JSON.stringify({ type: 'ack', n } satisfies OriginMessage)),
            (err: unknown) => {
              const error = clientError(err, log.child({ n }), 'queue_unavailable');
              if (ws.readyState === 1)
                ws.send(
                  JSON.stringify({ type: 'nack', n, code: error.code, message: error.message } satisfies OriginMessage),
                );
            },
          );
        },
        onClose() {
          unsubscribe?.();
          log.info('relay disconnected');
        },
      };
    }),
  );
}
