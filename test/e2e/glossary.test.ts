/**
 * Glossaries end to end, real engines (pocketsphinx, Apertium) on a real recording: sphinx hears the surname in
 * "and mister john dashwood had then leisure…" as "guess would"; with "Dashwood" in the glossary it writes
 * "Dashwood", and "John" with a fixed Spanish translation comes out as "Juan" (Apertium keeps "john"). Also the
 * API key's default glossary (auth on), and too large a glossary refused without costing the connection.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../edge/auth/api-keys.ts';
import { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { START } from '../support/sessions.ts';
import { startTestServer } from '../support/server.ts';

const GLOSSARY = [{ term: 'Dashwood' }, { term: 'John', translations: { es: 'Juan' } }];
const plainKey = createApiKey({ id: 'plain', scopes: ['realtime'] });
const glossaryKey = createApiKey({ id: 'with-glossary', scopes: ['realtime'], glossary: GLOSSARY });
const recording = librivoxRecordings().find((r) => r.id.endsWith('0870'))!;

let server: Awaited<ReturnType<typeof startTestServer>>;
beforeAll(async () => {
  server = await startTestServer({
    EARSHOT_AUTH: 'on',
    EARSHOT_API_KEYS: JSON.stringify([plainKey.record, glossaryKey.record]),
    EARSHOT_GLOSSARY_MAX_TERMS: '3',
  });
});
afterAll(async () => {
  await server?.close(0);
});

interface Peer {
  ws: WebSocket;
  events: ServerEvent[];
  next(type: ServerEvent['type'], from?: number): Promise<ServerEvent>;
}

function connect(key: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${key}` } });
    const events: ServerEvent[] = [];
    let wake = () => {};
    ws.on('message', (data) => {
      events.push(ServerEvent.parse(JSON.parse(String(data))));
      wake();
    });
    ws.on('close', () => wake());
    const next = async (type: ServerEvent['type'], from = 0): Promise<ServerEvent> => {
      for (;;) {
        const found = events.slice(from).find((e) => e.type === type);
        if (found) return found;
        if (ws.readyState === WebSocket.CLOSED) throw new Error(`closed before "${type}": ${JSON.stringify(events)}`);
        await new Promise<void>((r) => (wake = r));
      }
    };
    ws.once('open', () => resolve({ ws, events, next }));
    ws.once('error', reject);
  });
}

/** Streams the recording through one session; returns the final's text and its Spanish translation. */
async function caption(key: string, start: object): Promise<{ final: string; es: string }> {
  const peer = await connect(key);
  peer.ws.send(JSON.stringify({ ...START, ...start }));
  await peer.next('ready');
  await streamPcm((frame) => peer.ws.send(frame), recording.pcm, 0);
  peer.ws.send(JSON.stringify({ type: 'stop' }));
  await peer.next('done');
  const text = (type: string) => peer.events.flatMap((e) => (e.type === type && 'text' in e ? [e.text] : [])).join(' ');
  return { final: text('final'), es: text('translation') };
}

describe('glossary (real sphinx and apertium)', () => {
  it('recognises a glossary surname and writes the fixed translation that neither engine produces alone', async () => {
    const without = await caption(plainKey.key, {});
    expect(without.final.toLowerCase()).not.toContain('dashwood');
    expect(without.es).not.toContain('Juan');

    const withGlossary = await caption(plainKey.key, { glossary: GLOSSARY });
    expect(withGlossary.final).toContain('John Dashwood');
    expect(withGlossary.es).toContain('Juan Dashwood');
  }, 120_000);

  it("applies the API key's default glossary to a session that sends none", async () => {
    const result = await caption(glossaryKey.key, {});
    expect(result.final).toContain('Dashwood');
    expect(result.es).toContain('Juan');
  }, 120_000);

  it('refuses a glossary over the limit with glossary_too_large; the socket then starts a session', async () => {
    const peer = await connect(plainKey.key);
    peer.ws.send(JSON.stringify({ ...START, glossary: ['a', 'b', 'c', 'd'] }));
    const error = await peer.next('error');
    expect(error).toMatchObject({ type: 'error', code: 'glossary_too_large' });
    // The key's default terms count too: two of its own plus two here is over 3.
    const keyed = await connect(glossaryKey.key);
    keyed.ws.send(JSON.stringify({ ...START, glossary: ['a', 'b'] }));
    expect(await keyed.next('error')).toMatchObject({ code: 'glossary_too_large' });
    keyed.ws.close();
    // Malformed terms are invalid_message.
    peer.ws.send(JSON.stringify({ ...START, glossary: [{ term: '' }] }));
    expect(await peer.next('error', 1)).toMatchObject({ code: 'invalid_message' });
    expect(peer.events.some((e) => e.type === 'ready')).toBe(false);
    peer.ws.send(JSON.stringify({ ...START, glossary: ['a', 'b', 'c'] }));
    expect(await peer.next('ready')).toMatchObject({ type: 'ready' });
    peer.ws.close();
  });
});
