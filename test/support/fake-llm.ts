/**
 * Fakes of what the LLM hooks call, for tests: an OpenAI-compatible chat-completions endpoint (we run no LLM here)
 * and a webhook receiver, both node http servers on 127.0.0.1 with a free port. Each records what it received;
 * `mode` switches how it answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeServer<R> {
  url: string;
  received: R[];
  close(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  authorization: string | undefined;
}

/**
 * A fake chat-completions endpoint: `answer` says what the assistant replies to a request; mode `hang` never
 * answers, `fail` answers 500.
 */
export async function startFakeLlm(
  answer: (request: ChatRequest) => string,
): Promise<FakeServer<ChatRequest> & { mode: 'ok' | 'hang' | 'fail' }> {
  const received: ChatRequest[] = [];
  const fake = { mode: 'ok' as 'ok' | 'hang' | 'fail' };
  const { server, url } = await listen((req, body, res) => {
    const parsed = JSON.parse(body) as { model: string; messages: ChatRequest['messages'] };
    const request = { model: parsed.model, messages: parsed.messages, authorization: req.headers.authorization };
    received.push(request);
    if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
    if (fake.mode === 'hang') return; // never answers
    if (fake.mode === 'fail')
      return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        model: parsed.model,
        choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: answer(request) } }],
      }),
    );
  });
  return Object.assign(fake, { url: `${url}/v1`, received, close: () => closeServer(server) });
}

export interface WebhookDelivery {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  json: { id: string; type: string; data: Record<string, unknown> };
}

/** A webhook receiver: answers `status(delivery, attempt)` (200 by default) and records every delivery attempt. */
export async function startWebhookReceiver(
  status: (delivery: WebhookDelivery, attempt: number) => number = () => 200,
): Promise<FakeServer<WebhookDelivery>> {
  const received: WebhookDelivery[] = [];
  const { server, url } = await listen((req, body, res) => {
    const delivery = {
      id: String(req.headers['webhook-id']),
      timestamp: String(req.headers['webhook-timestamp']),
      signature: String(req.headers['webhook-signature']),
      body,
      json: JSON.parse(body) as WebhookDelivery['json'],
    };
    received.push(delivery);
    res.writeHead(status(delivery, received.filter((d) => d.id === delivery.id).length)).end();
  });
  return { url: `${url}/hooks`, received, close: () => closeServer(server) };
}
