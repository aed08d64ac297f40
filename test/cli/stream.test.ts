/**
 * `earshot stream` against a scripted protocol peer: a tiny ws server in the test that speaks protocol v1 from a
 * script, so the CLI's printing and exit codes are checked without the real edge (which the e2e tests cover).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { EventPrinter, runStream } from '../../cli/stream.ts';
import { ClientMessage, ServerEvent } from '../../shared/protocol.ts';

const LIBRIVOX = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav';
const dir = mkdtempSync(join(tmpdir(), 'earshot-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Peer {
  url: string;
  audioBytes: number;
  messages: ClientMessage[];
  /** The Authorization header of the last connection. */
  authorization?: string;
}
let server: WebSocketServer | undefined;
afterEach(() => server?.close());

/** Starts a peer; `script` reacts to each client message (binary frames arrive as 'audio'). */
async function scriptedPeer(
  script: (msg: ClientMessage | 'audio', send: (e: ServerEvent) => void, ws: WebSocket) => void,
): Promise<Peer> {
  server = new WebSocketServer({ port: 0 });
  await new Promise((resolve) => server!.once('listening', resolve));
  const peer: Peer = {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/v1/realtime`,
    audioBytes: 0,
    messages: [],
  };
  server.on('connection', (ws, req) => {
    peer.authorization = req.headers.authorization;
    const send = (e: ServerEvent) => ws.send(JSON.stringify(ServerEvent.parse(e)));
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        const first = peer.audioBytes === 0;
        peer.audioBytes += data.length;
        if (first) script('audio', send, ws);
        return;
      }
      const msg = ClientMessage.parse(JSON.parse(data.toString()));
      peer.messages.push(msg);
      script(msg, send, ws);
    });
  });
  return peer;
}

function capture() {
  const out = { text: '', write: (s: string) => ((out.text += s), true) };
  return out;
}

async function run(args: string[], options: { env?: Record<string, string>; stdin?: Readable } = {}) {
  const stdout = capture();
  const stderr = capture();
  const code = await runStream(args, {
    stdout,
    stderr,
    env: options.env ?? {},
    ...(options.stdin ? { stdin: options.stdin } : {}),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Like the real edge: a refused target before ready, captions after stop, then done and close. */
const happyScript = (msg: ClientMessage | 'audio', send: (e: ServerEvent) => void, ws: WebSocket) => {
  if (msg === 'audio') return send({ type: 'error', code: 'stt_failed', message: 'segment 1 failed', seq: 1 });
  if (msg.type === 'start') {
    send({ type: 'error', code: 'unsupported_target', message: 'no translation to "xx"' });
    return send({ type: 'ready', session: 's1', protocol: 1, targets: ['es'] });
  }
  send({ type: 'partial', text: 'i am', start: 0.52 });
  send({ type: 'final', seq: 2, text: 'i am sure', start: 0.52, end: 3.1 });
  send({ type: 'translation', seq: 2, lang: 'es', text: 'estoy seguro' });
  send({ type: 'done' });
  ws.close(1000, 'done');
};

describe('earshot stream against a scripted protocol peer', () => {
  it('streams the whole file, prints captions, reports non-fatal errors and exits 0 after done', async () => {
    const peer = await scriptedPeer(happyScript);
    const r = await run([LIBRIVOX, '--speed', '0', '--targets', 'es,xx', '--language', 'en', '--url', peer.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(peer.messages[0]).toEqual({
      type: 'start',
      language: 'en',
      targets: ['es', 'xx'],
      sample_rate: 16000,
      encoding: 'pcm16',
    });
    expect(peer.messages.at(-1)).toEqual({ type: 'stop' });
    expect(peer.audioBytes).toBe(47840 * 2);
    expect(r.stdout).toBe('~ i am\n[0.52–3.10] i am sure\n  es: estoy seguro\n');
    expect(r.stderr).toContain('error [unsupported_target]: no translation to "xx"');
    expect(r.stderr).toContain('error [stt_failed]: segment 1 failed (utterance 1)');
  });

  it('prints one JSON event per line with --json', async () => {
    const peer = await scriptedPeer(happyScript);
    const r = await run([LIBRIVOX, '--speed=0', '--json', '--url', peer.url]);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((line) => ServerEvent.parse(JSON.parse(line)));
    expect(events.map((e) => e.type)).toEqual(['error', 'ready', 'error', 'partial', 'final', 'translation', 'done']);
  });

  // LIBRIVOX is 47840 samples at 16 kHz; other formats and rates arrive within a few ms of it.
  const closeTo = (bytes: number) => expect(Math.abs(bytes / 2 - 47840)).toBeLessThan(800);

  it('decodes mp3, ogg/opus and flac through ffmpeg and streams the same audio', async () => {
    for (const ext of ['mp3', 'opus', 'flac']) {
      const file = join(dir, `speech.${ext}`);
      execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', LIBRIVOX, '-ar', '48000', file]);
      const peer = await scriptedPeer(happyScript);
      const r = await run([file, '--speed', '0', '--url', peer.url]);
      expect(r.code, r.stderr).toBe(0);
      closeTo(peer.audioBytes);
      server?.close();
    }
  });

  it('reads raw PCM16 from stdin with --rate (resampled to 16 kHz), and a container from stdin without it', async () => {
    const raw = join(dir, 'speech-8k.raw');
    execFileSync('sox', [LIBRIVOX, '-r', '8000', '-t', 's16', raw]);
    let peer = await scriptedPeer(happyScript);
    let r = await run(['-', '--rate', '8000', '--speed', '0', '--url', peer.url], { stdin: createReadStream(raw) });
    expect(r.code, r.stderr).toBe(0);
    closeTo(peer.audioBytes);
    server?.close();

    const ogg = join(dir, 'speech.ogg');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', LIBRIVOX, ogg]);
    peer = await scriptedPeer(happyScript);
    r = await run(['-', '--speed', '0', '--url', peer.url], { stdin: Readable.from([readFileSync(ogg)]) });
    expect(r.code, r.stderr).toBe(0);
    closeTo(peer.audioBytes);
  });

  it('says what to install when a non-WAV file needs a missing ffmpeg, and checks --rate', async () => {
    const mp3 = join(dir, 'needs-ffmpeg.mp3');
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', LIBRIVOX, mp3]);
    const r = await run([mp3, '--url', 'ws://127.0.0.1:9/v1/realtime'], {
      env: { EARSHOT_FFMPEG: '/nonexistent/ffmpeg' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs ffmpeg, which is not installed .*install ffmpeg, set EARSHOT_FFMPEG/);
    expect((await run(['-', '--rate', 'fast'])).code).toBe(2);
    expect((await run([LIBRIVOX, '--rate', '8000'])).stderr).toContain('--rate is for raw PCM on stdin');
  });

  it('authenticates with --token or EARSHOT_TOKEN and prints the watch link with its watch token', async () => {
    const peer = await scriptedPeer((msg, send, ws) => {
      if (msg === 'audio') return;
      if (msg.type === 'start')
        return send({ type: 'ready', session: 'sess-9', protocol: 1, targets: [], watch_token: 'wt.abc' });
      send({ type: 'done' });
      ws.close(1000);
    });
    let r = await run([LIBRIVOX, '--speed', '0', '--token', 'esk_from-flag', '--url', peer.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(peer.authorization).toBe('Bearer esk_from-flag');
    expect(r.stderr).toContain(
      `watch live at ${peer.url.replace('ws:', 'http:').replace('/v1/realtime', '')}/watch/sess-9?token=wt.abc\n`,
    );
    r = await run([LIBRIVOX, '--speed', '0', '--url', peer.url], { env: { EARSHOT_TOKEN: 'esk_from-env' } });
    expect(r.code, r.stderr).toBe(0);
    expect(peer.authorization).toBe('Bearer esk_from-env');
  });

  it('exits 1 when a server error ends the session', async () => {
    const peer = await scriptedPeer((msg, send, ws) => {
      if (msg === 'audio') {
        send({ type: 'error', code: 'shutting_down', message: 'server is shutting down' });
        ws.close(1001);
      } else if (msg.type === 'start') send({ type: 'ready', session: 's2', protocol: 1, targets: [] });
    });
    const r = await run([LIBRIVOX, '--speed', '0', '--url', peer.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/server ended the session: \[shutting_down\]/);
  });

  it('exits 1 when the server refuses the start', async () => {
    const peer = await scriptedPeer((msg, send) => {
      if (msg !== 'audio' && msg.type === 'start')
        send({ type: 'error', code: 'unsupported_language', message: 'language "xx" is not supported' });
    });
    const r = await run([LIBRIVOX, '--language', 'xx', '--url', peer.url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('server refused the session: [unsupported_language]');
  });

  it('exits 1 with a clear message when nothing listens at the URL', async () => {
    const r = await run([LIBRIVOX, '--url', 'ws://127.0.0.1:9/v1/realtime']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:9\/v1\/realtime: .*ECONNREFUSED/);
  });

  it('exits 1 for a missing or non-WAV file and 2 for bad usage', async () => {
    const notWav = join(dir, 'notes.wav');
    writeFileSync(notWav, 'just some text');
    expect((await run([join(dir, 'missing.wav')])).stderr).toMatch(/cannot read .*missing\.wav: .*ENOENT/);
    const bad = await run([notWav]);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stderr).toMatch(/cannot decode .*notes\.wav: Invalid data found/);
    expect((await run([])).code).toBe(2);
    expect((await run([LIBRIVOX, '--speed', 'fast'])).code).toBe(2);
    expect((await run([LIBRIVOX, '--tokn', 'x'])).stderr).toBe(
      'earshot stream: unknown option --tokn; did you mean --token? (see --help)\n',
    );
    expect((await run([LIBRIVOX, '--targets', 'Spanish'])).stderr).toMatch(/invalid targets\.0/);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: earshot stream FILE [options]');
  });
});

describe('EventPrinter on a terminal', () => {
  it('rewrites partials in place and clears them before finals', () => {
    const out = Object.assign(capture(), { isTTY: true, columns: 20 });
    const printer = new EventPrinter(out, capture(), false);
    printer.print({ type: 'partial', text: 'hello', start: 0 });
    printer.print({ type: 'partial', text: 'hello there my dear friend', start: 0 });
    printer.print({ type: 'final', seq: 1, text: 'hello there', start: 0, end: 1.5 });
    expect(out.text).toBe('\r\x1b[2K~ hello\r\x1b[2K~ …e my dear friend\r\x1b[2K[0.00–1.50] hello there\n');
    out.text = '';
    printer.print({ type: 'partial', text: 'next', start: 2 });
    printer.print({ type: 'translation', seq: 1, lang: 'es', text: 'hola' }); // lands above the live partial
    printer.print({ type: 'done' });
    expect(out.text).toBe('\r\x1b[2K~ next\r\x1b[2K  es: hola\n\r\x1b[2K~ next\r\x1b[2K');
  });
});
