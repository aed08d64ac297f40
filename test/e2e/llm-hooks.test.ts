/**
 * LLM hooks (issue 19 item 4) through the real server, real speech (librivox) and real engines, against a fake
 * OpenAI-compatible endpoint and a fake webhook receiver (node http servers on 127.0.0.1: no LLM runs here).
 * Post-edits arrive as `edited` events, a session's summary lands in its export, a wake-word command gets a
 * `reply`, webhooks are signed and carry stable ids; and an endpoint that hangs or fails never holds up a caption.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startFakeLlm, startWebhookReceiver } from '../support/fake-llm.ts';
import { concat, spokenPhrase, WAKE_VOICES } from '../support/wake-audio.ts';
import { PROMPTS } from '../../edge/hooks/session-hooks.ts';
import type { ServerEvent } from '../../shared/protocol.ts';

const SECRET = 'whsec-test-0123456789abcdef';
let server: Awaited<ReturnType<typeof startTestServer>>;
let llm: Awaited<ReturnType<typeof startFakeLlm>>;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
/** What the receiver answers: a failing receiver answers 500 to the first two attempts of each event. */
let receiverFails = false;
const recordings = librivoxRecordings();

beforeAll(async () => {
  llm = await startFakeLlm(({ messages }) => {
    const system = messages[0]!.content;
    const user = messages.at(-1)!.content;
    if (system === PROMPTS.summary) return `Summary of ${user.split('\n').length} captions.`;
    if (system === PROMPTS.command) return `You asked: ${user}`;
    const caption = user.split('\n').at(-1)!;
    return `${caption.charAt(0).toUpperCase()}${caption.slice(1)}.`;
  });
  receiver = await startWebhookReceiver((_, attempt) => (receiverFails && attempt <= 2 ? 500 : 200));
  // Loopback webhooks are refused by default (SSRF); the test allows them explicitly.
  server = await startTestServer({
    EARSHOT_LLM_URL: llm.url,
    EARSHOT_LLM_API_KEY: 'sk-fake',
    EARSHOT_LLM_TIMEOUT_MS: '1500',
    EARSHOT_WEBHOOK_ALLOW_PRIVATE: 'true',
  });
});
afterAll(async () => {
  await server?.close(0);
  await llm?.close();
  await receiver?.close();
});

/**
 * Streams a session; `beforeStop` keeps it open until an event arrives, as a user waiting for an assistant's answer
 * does (hook output after `done` goes to webhooks only).
 */
async function session(
  pcm: Int16Array,
  start: Record<string, unknown>,
  beforeStop?: ServerEvent['type'],
): Promise<{ socket: TestSocket; id: string; seconds: number }> {
  const socket = await TestSocket.open(server.wsUrl);
  socket.sendJson({ type: 'start', language: 'en', targets: ['es'], sample_rate: 16000, encoding: 'pcm16', ...start });
  const ready = await socket.waitFor('ready');
  const began = performance.now();
  await streamPcm((frame) => socket.sendRaw(frame), pcm, 2);
  if (beforeStop) await socket.waitFor(beforeStop, 0, 60_000);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 90_000);
  return { socket, id: ready.session, seconds: (performance.now() - began) / 1000 };
}

async function until<T>(what: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = what();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('LLM hooks against a fake OpenAI-compatible endpoint', () => {
  it('post-edits each final (edited event), summarises the session into its export, and signs webhooks of finals, translations and done', async () => {
    const webhook = { url: receiver.url, secret: SECRET };
    const { socket, id } = await session(
      concat([recordings[0]!.pcm, new Int16Array(16000), recordings[1]!.pcm]),
      { hooks: { post_edit: true, summary: true, webhook } },
      'edited',
    );
    const finals = socket.events.flatMap((e) => (e.type === 'final' ? [e] : []));
    expect(finals.length).toBeGreaterThan(0);
    // Edits come on their own queue; they may trail `done`, so the socket has them for the finals it got in time.
    const edited = socket.events.flatMap((e) => (e.type === 'edited' ? [e] : []));
    for (const edit of edited) {
      const final = finals.find((f) => f.seq === edit.seq)!;
      expect(edit.text).toBe(`${final.text.charAt(0).toUpperCase()}${final.text.slice(1)}.`);
    }
    expect(edited.length).toBeGreaterThan(0);
    // The endpoint got the model and the key; every request is bounded.
    expect(llm.received[0]).toMatchObject({ model: 'llama3.2', authorization: 'Bearer sk-fake' });

    // The summary reaches the session's JSON export.
    const summary = await pollSummary(id);
    expect(summary).toBe(`Summary of ${finals.length} captions.`);

    // Webhooks: one per final, per translation, done and summary; each signed over id.timestamp.body.
    const hooks = await until(() =>
      receiver.received.some((d) => d.json.type === 'summary' && d.json.data.session === id)
        ? receiver.received.filter((d) => d.json.data.session === id)
        : undefined,
    );
    for (const d of hooks)
      expect(d.signature).toBe(
        `v1,${createHmac('sha256', SECRET).update(`${d.id}.${d.timestamp}.${d.body}`).digest('base64')}`,
      );
    const types = hooks.map((d) => d.json.type);
    expect(types.filter((t) => t === 'final')).toHaveLength(finals.length);
    expect(types.filter((t) => t === 'translation')).toHaveLength(
      socket.events.filter((e) => e.type === 'translation').length,
    );
    expect(types.filter((t) => t === 'done')).toHaveLength(1);
    expect(new Set(hooks.map((d) => d.id)).size).toBe(hooks.length);
    expect(hooks.find((d) => d.json.type === 'final')!.json.data).toMatchObject({
      session: id,
      seq: finals[0]!.seq,
      text: finals[0]!.text,
    });
  });

  it('answers the command spoken after the wake word with a reply event', async () => {
    const voice = WAKE_VOICES[1]!;
    const pcm = concat([
      spokenPhrase('hey earshot', voice.voice, voice.speed),
      new Int16Array(12000),
      recordings[1]!.pcm,
      new Int16Array(16000),
    ]);
    const { socket } = await session(
      pcm,
      { wake_word: { phrase: 'hey earshot', listen: 'utterance' }, hooks: { command: true } },
      'reply',
    );
    const final = await socket.waitFor('final');
    const reply = socket.events.find((e) => e.type === 'reply');
    expect(reply).toEqual({ type: 'reply', seq: final.seq, text: `You asked: ${final.text}` });
  });

  it('keeps captions flowing while the fake endpoint hangs, then while it fails, and retries webhooks the receiver refused (same id)', async () => {
    const pcm = concat([recordings[2]!.pcm, new Int16Array(16000), recordings[3]!.pcm]);
    const baseline = await session(pcm, {});
    const baselineFinals = baseline.socket.events.filter((e) => e.type === 'final').length;
    receiverFails = true;
    try {
      for (const mode of ['hang', 'fail'] as const) {
        llm.mode = mode;
        const webhook = { url: receiver.url, secret: SECRET };
        const { socket, id, seconds } = await session(pcm, { hooks: { post_edit: true, summary: true, webhook } });
        // Every caption arrives, none edited, and the session ends as the one without hooks did.
        expect(socket.events.filter((e) => e.type === 'final')).toHaveLength(baselineFinals);
        expect(socket.events.filter((e) => e.type === 'edited' || e.type === 'error')).toEqual([]);
        expect(socket.events.at(-1)!.type).toBe('done');
        console.info(
          JSON.stringify({
            endpoint: mode,
            sessionSeconds: seconds,
            withoutHooksSeconds: baseline.seconds,
            finals: baselineFinals,
          }),
        );
        expect(seconds).toBeLessThan(baseline.seconds + 10);
        // Each webhook was refused twice and delivered on the third attempt, under the same id.
        const done = await until(
          () =>
            receiver.received.filter((d) => d.json.data.session === id && d.json.type === 'done').length >= 3 ||
            undefined,
        );
        expect(done).toBe(true);
        const attempts = receiver.received.filter((d) => d.json.data.session === id && d.json.type === 'done');
        expect(new Set(attempts.map((d) => d.id)).size).toBe(1);
      }
    } finally {
      llm.mode = 'ok';
      receiverFails = false;
    }
  });

  it('refuses a webhook that is not http(s) with a typed error', async () => {
    const socket = await TestSocket.open(server.wsUrl);
    socket.sendJson({
      type: 'start',
      language: 'en',
      sample_rate: 16000,
      encoding: 'pcm16',
      hooks: { webhook: { url: 'file:///etc/passwd', secret: SECRET } },
    });
    expect(await socket.waitFor('error')).toMatchObject({ code: 'invalid_request' });
    socket.close();
  });
});

async function pollSummary(id: string): Promise<string> {
  const base = server.server.url;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(`${base}/v1/sessions/${id}/transcript?format=json`);
    const body = (await res.json()) as { summary?: string };
    if (body.summary) return body.summary;
    if (Date.now() > deadline) throw new Error(`no summary in ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
