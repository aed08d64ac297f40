/**
 * The whole pipeline on `whisper-onnx` with a generated tiny Whisper: a librivox recording streamed over the
 * WebSocket through the VAD, the batched Whisper runner (default decoding options: timestamps, temperature
 * fallback, no-speech guard) and apertium. Random weights make the text meaningless, so the test asserts the
 * structure: ready, finals with increasing seq and timestamps, their translations, done, no errors. The second
 * test is `npm start -- --stt whisper-onnx --model DIR` as a user types it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings, streamPcm } from '../support/librivox.ts';
import { startTestServer } from '../support/server.ts';
import { TestSocket } from '../support/socket.ts';
import { whisperFixture } from '../fixtures/whisper/write-model.ts';

const model = whisperFixture('tiny-random');
const recording = librivoxRecordings().find((r) => r.id.endsWith('0870'))!;

async function stream(wsUrl: string, targets: string[]): Promise<ServerEvent[]> {
  const socket = await TestSocket.open(wsUrl);
  socket.sendJson({ type: 'start', language: 'en', targets, sample_rate: 16000, encoding: 'pcm16' });
  expect(await socket.waitFor('ready')).toMatchObject({ type: 'ready', targets });
  await streamPcm((frame) => socket.sendRaw(frame), recording.pcm, 4);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 90_000);
  socket.close();
  return socket.events;
}

type Final = Extract<ServerEvent, { type: 'final' }>;

function expectStructure(events: ServerEvent[], targets: string[]): Final[] {
  expect(events.filter((e) => e.type === 'error')).toEqual([]);
  expect(events[0]!.type).toBe('ready');
  expect(events.at(-1)!.type).toBe('done');
  const finals = events.filter((e): e is Final => e.type === 'final');
  expect(finals.length).toBeGreaterThan(0);
  const duration = recording.pcm.length / 16000;
  for (const [i, f] of finals.entries()) {
    expect(f.start).toBeGreaterThanOrEqual(0);
    expect(f.end).toBeGreaterThan(f.start);
    expect(f.end).toBeLessThanOrEqual(duration + 0.5);
    if (i > 0) expect(f.seq).toBeGreaterThan(finals[i - 1]!.seq);
    if (f.text)
      for (const lang of targets)
        expect(events.filter((e) => e.type === 'translation' && e.seq === f.seq && e.lang === lang)).toHaveLength(1);
  }
  return finals;
}

describe('realtime pipeline on whisper-onnx', () => {
  let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    await server?.close(0);
    // The group may already be gone (its exit not yet reported here): nothing left to stop then.
    if (child?.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
  });

  it('streams a librivox recording to done: finals with seq and timestamps, translations, no errors', async () => {
    // The guard off: a random model's few letters on seconds of speech are exactly what it withholds (sparse).
    server = await startTestServer({
      EARSHOT_STT: 'whisper-onnx',
      EARSHOT_STT_MODEL: model,
      EARSHOT_STT_MAX_WAIT_MS: '20',
      EARSHOT_MODEL_HUB: '',
      EARSHOT_HALLUCINATION_GUARD: 'off',
    });
    const finals = expectStructure(await stream(server.wsUrl, ['es']), ['es']);
    // Whisper wrote text for some utterance (random text: only its presence is checked).
    expect(finals.some((f) => f.text.length > 0)).toBe(true);
  });

  it('npm start -- --stt whisper-onnx --model DIR serves the same pipeline and logs the execution provider', async () => {
    child = spawn(
      'npm',
      [
        'start',
        '--',
        '--stt',
        'whisper-onnx',
        '--model',
        model,
        '--mt',
        'none',
        '--port',
        '0',
        '--model-hub',
        '',
        '--hallucination-guard',
        'off',
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true, // its own process group: npm, the shell and node stop together
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening on" within 60 s:\n${stderr}`)), 60_000);
      child!.stderr!.on('data', () => {
        const match = /listening on (http:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child!.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${stderr}`)));
    });
    expectStructure(await stream(`${url.replace('http', 'ws')}/v1/realtime`, []), []);
    expect(stderr).toMatch(/"executionProvider":"CPUExecutionProvider"/);
    expect(stderr).toMatch(/"msg":"whisper loaded"/);
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  });
});
