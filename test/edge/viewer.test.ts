/** Viewer (and the shared log reader) over the in-memory store and log: ordered captions, history, done, slow viewers. */
import { describe, expect, it } from 'vitest';
import { SharedLogReader } from '../../edge/realtime/shared-log-reader.ts';
import { Viewer, type ViewerLimits } from '../../edge/realtime/viewer.ts';
import { silentLogger } from '../../shared/logger.ts';
import type { WatchEvent } from '../../shared/protocol.ts';
import { MemoryResultLog } from '../../shared/queue/memory-result-log.ts';
import { MemorySessionStore } from '../../shared/queue/memory-session-store.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

async function setup() {
  const store = new MemorySessionStore();
  const results = new MemoryResultLog();
  await store.create({ id: 's1', language: 'en', targets: ['es'], segments: 0, audioEnd: 0, stopped: false });
  return { store, results };
}

function watcher(deps: Awaited<ReturnType<typeof setup>>, buffered = () => 0, limits?: ViewerLimits) {
  const events: WatchEvent[] = [];
  const closed: { code: number; reason: string }[] = [];
  const viewer = new Viewer(
    's1',
    { ...deps, logger: silentLogger, ...(limits ? { limits } : {}) },
    {
      send: (e) => events.push(e),
      close: (code, reason) => closed.push({ code, reason }),
      bufferedAmount: buffered,
    },
  );
  return { viewer, events, closed };
}

const final = (seq: number, text: string) => ({
  type: 'final' as const,
  seq,
  text,
  start: seq,
  end: seq + 0.5,
  targets: ['es'],
});

describe('Viewer', () => {
  it('#14.8 closes a viewer that was sent nothing for idleMs (4410), not one that keeps receiving captions', async () => {
    const deps = await setup();
    let now = 0;
    await deps.store.create({ id: 'quiet', language: 'en', targets: [], segments: 0, audioEnd: 0, stopped: false });
    const make = (session: string) => {
      const events: WatchEvent[] = [];
      const closed: { code: number; reason: string }[] = [];
      const viewer = new Viewer(
        session,
        { ...deps, logger: silentLogger, idleMs: 10_000, now: () => now },
        {
          send: (e) => events.push(e),
          close: (code, reason) => closed.push({ code, reason }),
          bufferedAmount: () => 0,
        },
      );
      return { viewer, events, closed };
    };
    const [quiet, busy] = [make('quiet'), make('s1')];
    await quiet.viewer.open();
    await busy.viewer.open();
    now = 8_000;
    await deps.results.append('s1', final(1, 'one'));
    await tick();
    now = 10_500;
    quiet.viewer.tick();
    busy.viewer.tick();
    expect(quiet.closed).toEqual([{ code: 4410, reason: 'idle_timeout' }]);
    expect(quiet.events.at(-1)).toMatchObject({ type: 'error', code: 'idle_timeout' });
    expect(busy.closed).toEqual([]);
    now = 18_500;
    busy.viewer.tick();
    expect(busy.closed).toEqual([{ code: 4410, reason: 'idle_timeout' }]);
  });

  it("#14.1 refuses a viewer that may not watch the session (another key's) with forbidden and 4403", async () => {
    const deps = await setup();
    const events: WatchEvent[] = [];
    const closed: number[] = [];
    const viewer = new Viewer(
      's1',
      { ...deps, logger: silentLogger, mayWatch: (meta) => meta.owner === 'someone' },
      { send: (e) => events.push(e), close: (code) => closed.push(code), bufferedAmount: () => 0 },
    );
    await viewer.open();
    expect(events).toEqual([{ type: 'error', code: 'forbidden', message: expect.any(String) }]);
    expect(closed).toEqual([4403]);
  });

  it('says ready with the targets and the spoken language, then follows the log in seq order', async () => {
    const deps = await setup();
    const w = watcher(deps);
    await w.viewer.open();
    expect(w.events).toEqual([{ type: 'ready', session: 's1', protocol: 1, targets: ['es'], language: 'en' }]);
    await deps.results.append('s1', { type: 'partial', segment: 1, text: 'he was', start: 0.2 });
    await tick();
    await deps.results.append('s1', final(2, 'two'));
    await deps.results.append('s1', final(1, 'one'));
    await deps.results.append('s1', { type: 'translation', seq: 1, lang: 'es', text: 'uno' });
    await tick();
    expect(
      w.events.slice(1).map((e) => e.type + (e.type === 'final' || e.type === 'translation' ? e.seq : '')),
    ).toEqual(['partial', 'final1', 'final2', 'translation1']);
    expect(w.closed).toEqual([]);
  });

  it('gives a late joiner the history without the partials that finals replaced, then done and close 1000', async () => {
    const deps = await setup();
    for (const r of [
      { type: 'partial' as const, segment: 1, text: 'he', start: 0 },
      { type: 'partial' as const, segment: 1, text: 'he was', start: 0 },
      final(1, 'he was not'),
      { type: 'translation' as const, seq: 1, lang: 'es', text: 'no era' },
      { type: 'ended' as const, segments: 1 },
    ])
      await deps.results.append('s1', r);
    const w = watcher(deps);
    await w.viewer.open();
    await tick();
    expect(w.events.map((e) => e.type)).toEqual(['ready', 'final', 'translation', 'done']);
    expect(w.closed).toEqual([{ code: 1000, reason: 'done' }]);
  });

  it('sends a late joiner only the provisional events no later one replaced', async () => {
    const deps = await setup();
    for (const r of [
      { type: 'partial' as const, segment: 1, text: 'he', start: 0 },
      { type: 'partial_translation' as const, segment: 1, lang: 'es', text: 'él', start: 0 },
      { type: 'partial' as const, segment: 1, text: 'he was', start: 0 },
      { type: 'partial_translation' as const, segment: 1, lang: 'es', text: 'él era', start: 0 },
    ])
      await deps.results.append('s1', r);
    const w = watcher(deps);
    await w.viewer.open();
    await tick();
    expect(w.events.slice(1)).toEqual([
      { type: 'partial', text: 'he was', start: 0 },
      { type: 'partial_translation', lang: 'es', text: 'él era', start: 0 },
    ]);
  });

  it('waits for translations still owed after the end before saying done', async () => {
    const deps = await setup();
    const w = watcher(deps);
    await w.viewer.open();
    await deps.results.append('s1', final(1, 'one'));
    await deps.results.append('s1', { type: 'ended', segments: 1 });
    await tick();
    expect(w.events.at(-1)?.type).toBe('final');
    await deps.results.append('s1', { type: 'translation', seq: 1, lang: 'es', text: 'uno' });
    await tick();
    expect(w.events.slice(-2).map((e) => e.type)).toEqual(['translation', 'done']);
  });

  it('refuses an unknown session with unknown_session and close 4404', async () => {
    const deps = await setup();
    const events: WatchEvent[] = [];
    const closed: number[] = [];
    const viewer = new Viewer(
      'nope',
      { ...deps, logger: silentLogger },
      { send: (e) => events.push(e), close: (c) => closed.push(c), bufferedAmount: () => 0 },
    );
    await viewer.open();
    expect(events).toMatchObject([{ type: 'error', code: 'unknown_session' }]);
    expect(closed).toEqual([4404]);
  });

  it('sheds partials for a backed-up viewer and drops one past the bound, leaving the log to others', async () => {
    const deps = await setup();
    let buffered = 0;
    const limits = { shedPartialsBytes: 100, maxBufferedBytes: 1000 };
    const slow = watcher(deps, () => buffered, limits);
    const fine = watcher(deps);
    await slow.viewer.open();
    await fine.viewer.open();
    buffered = 500;
    await deps.results.append('s1', { type: 'partial', segment: 1, text: 'he', start: 0 });
    await tick();
    expect(slow.events.map((e) => e.type)).toEqual(['ready']);
    buffered = 5000;
    await deps.results.append('s1', final(1, 'one'));
    await tick();
    expect(slow.closed).toEqual([{ code: 4408, reason: 'viewer too slow' }]);
    await deps.results.append('s1', final(2, 'two'));
    await tick();
    expect(slow.events.map((e) => e.type)).toEqual(['ready']);
    expect(fine.events.map((e) => e.type)).toEqual(['ready', 'partial', 'final', 'final']);
  });

  it('stops reading the log when the viewer leaves', async () => {
    const deps = await setup();
    const w = watcher(deps);
    await w.viewer.open();
    w.viewer.onClose();
    await deps.results.append('s1', final(1, 'one'));
    await tick();
    expect(w.events).toHaveLength(1);
  });
});

describe('SharedLogReader', () => {
  it('reads each watched session once for all its viewers, replays history to late ones, and stops with the last', async () => {
    const log = new MemoryResultLog();
    let subscriptions = 0;
    let active = 0;
    const counting = {
      subscribe: (session: string, cursor: string, listener: Parameters<MemoryResultLog['subscribe']>[2]) => {
        subscriptions += 1;
        active += 1;
        const off = log.subscribe(session, cursor, listener);
        return () => {
          active -= 1;
          off();
        };
      },
    };
    const reader = new SharedLogReader(counting);
    await log.append('s1', final(1, 'one'));
    const a: number[] = [];
    const b: number[] = [];
    const offA = reader.subscribe('s1', '0', (e) => a.push(Number(e.cursor)));
    await log.append('s1', final(2, 'two'));
    const offB = reader.subscribe('s1', '0', (e) => b.push(Number(e.cursor)));
    await log.append('s1', final(3, 'three'));
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1, 2, 3]);
    expect(subscriptions).toBe(1);
    offA();
    expect(active).toBe(1);
    offB();
    expect(active).toBe(0);
    expect(reader.reading).toBe(0);
  });
});
