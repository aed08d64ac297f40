/** Drives whole sessions over raw WebSockets and checks the delivery rules on what came back. */
import { expect } from 'vitest';
import type { ServerEvent } from '../../shared/protocol.ts';
import { TestSocket } from './socket.ts';
import { streamPcm } from './librivox.ts';

export const START = { type: 'start', language: 'en', targets: ['es'], sample_rate: 16000, encoding: 'pcm16' } as const;

/** Joins recordings with pauses, so one session holds several utterances. */
export function withPauses(parts: Int16Array[], pauseSeconds = 1.2): Int16Array {
  const pause = new Int16Array(Math.round(pauseSeconds * 16000));
  const all = parts.flatMap((p) => [p, pause]);
  const out = new Int16Array(all.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of all) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export async function runSession(wsUrl: string, pcm: Int16Array, speed: number): Promise<ServerEvent[]> {
  const socket = await TestSocket.open(wsUrl);
  socket.sendJson(START);
  await socket.waitFor('ready');
  await streamPcm((f) => socket.sendRaw(f), pcm, speed);
  socket.sendJson({ type: 'stop' });
  await socket.waitFor('done', 0, 120_000);
  return socket.events;
}

type Final = Extract<ServerEvent, { type: 'final' }>;

/** Finals in strictly increasing seq, each once; every final has exactly one translation per target. */
export function expectDeliveryRules(events: ServerEvent[], targets: readonly string[] = ['es']): Final[] {
  const finals = events.filter((e): e is Final => e.type === 'final');
  const seqs = finals.map((f) => f.seq);
  expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  for (const final of finals) {
    for (const lang of targets) {
      expect(
        events.filter((e) => e.type === 'translation' && e.seq === final.seq && e.lang === lang),
        `translation ${final.seq}/${lang}`,
      ).toHaveLength(1);
    }
  }
  return finals;
}

export const transcript = (events: ServerEvent[]): string =>
  events
    .filter((e): e is Final => e.type === 'final')
    .map((f) => f.text)
    .join(' ');
