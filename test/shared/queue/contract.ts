/**
 * The queue-port contract every driver passes (in-process and Redis): ordering, latest-wins partials, retries and
 * the dead-letter set, result-log replay, session metadata and runner heartbeats.
 */
import { expect, it } from 'vitest';
import { EarshotError } from '../../../shared/errors.ts';
import { sttJobId, type SttJob } from '../../../shared/queue/jobs.ts';
import type { Drivers } from '../../../shared/queue/drivers.ts';
import type { LoggedResult } from '../../../shared/queue/ports.ts';

const job = (
  session: string,
  segment: number,
  kind: SttJob['kind'],
  samples = 10,
  enqueuedAt = Date.now(),
): SttJob => ({
  id: sttJobId(session, segment, kind),
  session,
  segment,
  kind,
  pcm: Int16Array.from({ length: samples }, (_, i) => i - 5),
  start: segment,
  end: segment + 1,
  targets: ['es'],
  enqueuedAt,
});

async function drain(d: Drivers): Promise<SttJob[]> {
  const out: SttJob[] = [];
  for (;;) {
    const batch = await d.sttQueue.take(10, AbortSignal.timeout(1500));
    if (batch.length === 0) return out;
    for (const j of batch) await d.sttQueue.complete(j);
    out.push(...batch);
  }
}

/** `make(retentionMs)`: fresh drivers; the retention time defaults to a minute. */
export function queueContract(make: (retentionMs?: number) => Promise<Drivers>): void {
  it('serves finals ahead of partials and round-trips the audio exactly', async () => {
    const d = await make();
    await d.sttQueue.add(job('c', 1, 'partial'));
    await d.sttQueue.add(job('b', 1, 'final', 16000));
    await d.sttQueue.add(job('a', 2, 'final'));
    const taken = await drain(d);
    expect(taken.map((j) => j.id)).toEqual(['b:1', 'a:2', 'c:1:partial']);
    expect(Array.from(taken[0]!.pcm.subarray(0, 12))).toEqual(Array.from({ length: 12 }, (_, i) => i - 5));
    expect(taken[0]!.pcm.length).toBe(16000);
    await d.close();
  });

  it("a session's final makes its waiting partial stale (not computed); other sessions' partials stay", async () => {
    const d = await make();
    await d.sttQueue.add(job('a', 1, 'partial'));
    await d.sttQueue.add(job('b', 1, 'partial'));
    await d.sttQueue.add(job('a', 1, 'final'));
    const taken = await drain(d);
    expect(taken.map((j) => j.id)).toEqual(['a:1', 'b:1:partial']);
    await d.close();
  });

  it('never mixes finals and partials in one batch: a final must not wait for partials', async () => {
    const d = await make();
    await d.sttQueue.add(job('a', 1, 'partial', 10, 1));
    await d.sttQueue.add(job('b', 1, 'final'));
    await d.sttQueue.add(job('c', 1, 'final'));
    await d.sttQueue.add(job('d', 1, 'partial', 10, 2));
    const first = await d.sttQueue.take(10, AbortSignal.timeout(5000));
    expect(first.map((j) => j.kind)).toEqual(['final', 'final']);
    for (const j of first) await d.sttQueue.complete(j);
    const second = await d.sttQueue.take(10, AbortSignal.timeout(5000));
    expect(second.map((j) => j.kind)).toEqual(['partial', 'partial']);
    for (const j of second) await d.sttQueue.complete(j);
    await d.close();
  });

  it('keeps only the latest queued partial per session', async () => {
    const d = await make();
    await d.sttQueue.add(job('a', 1, 'partial', 10, 1000));
    await d.sttQueue.add(job('b', 1, 'partial', 10, 1001));
    await d.sttQueue.add(job('a', 1, 'partial', 20, 1002));
    const taken = await drain(d);
    expect(taken.map((j) => [j.session, j.pcm.length]).sort()).toEqual([
      ['a', 20],
      ['b', 10],
    ]);
    await d.close();
  });

  it('MT: translations of finals ahead of partial ones, which are latest-wins per session and language', async () => {
    const d = await make();
    const mt = (seq: number, kind: 'final' | 'partial', target: string, text: string, enqueuedAt: number) => ({
      id: `s:${seq}:${kind}:${target}:${enqueuedAt}`,
      kind,
      session: 's',
      seq,
      text,
      source: 'en',
      target,
      enqueuedAt,
    });
    await d.mtQueue.add(mt(2, 'partial', 'es', 'he was', 1));
    await d.mtQueue.add(mt(2, 'partial', 'fr', 'he was', 2));
    await d.mtQueue.add(mt(1, 'final', 'es', 'one', 3));
    await d.mtQueue.add(mt(2, 'partial', 'es', 'he was not', 4));
    const taken: string[] = [];
    for (;;) {
      const batch = await d.mtQueue.take(10, AbortSignal.timeout(1500));
      if (batch.length === 0) break;
      for (const j of batch) {
        taken.push(`${j.kind}:${j.target}:${j.text}`);
        await d.mtQueue.complete(j);
      }
    }
    expect(taken[0]).toBe('final:es:one');
    expect(taken.slice(1).sort()).toEqual(['partial:es:he was not', 'partial:fr:he was']);
    await d.close();
  });

  it('take waits for work, and returns nothing once aborted', async () => {
    const d = await make();
    const pending = d.sttQueue.take(4);
    setTimeout(() => void d.sttQueue.add(job('a', 1, 'final')), 100);
    const [got] = await pending;
    expect(got!.id).toBe('a:1');
    await d.sttQueue.complete(got!);
    expect(await d.sttQueue.take(4, AbortSignal.timeout(300))).toEqual([]);
    await d.close();
  });

  it('retries a failed job until its attempts run out, then dead-letters it', async () => {
    const d = await make(); // drivers are made with 3 attempts
    await d.sttQueue.add(job('a', 1, 'final'));
    const deadFlags: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const [taken] = await d.sttQueue.take(1, AbortSignal.timeout(5000));
      expect(taken?.id).toBe('a:1');
      deadFlags.push(await d.sttQueue.fail(taken!, new EarshotError('stt_failed', 'boom')));
    }
    expect(deadFlags).toEqual([false, false, true]);
    expect(await d.sttQueue.take(1, AbortSignal.timeout(800))).toEqual([]);
    expect((await d.sttQueue.stats()).dead).toBe(1);
    // A permanent error is not retried.
    await d.mtQueue.add({ id: 's:1:xx', session: 's', seq: 1, text: 'hi', source: 'en', target: 'xx', enqueuedAt: 0 });
    const [mt] = await d.mtQueue.take(1, AbortSignal.timeout(5000));
    expect(await d.mtQueue.fail(mt!, new EarshotError('unsupported_target'))).toBe(true);
    await d.close();
  });

  it('result log: replays from a cursor, then streams new entries', async () => {
    const d = await make();
    const session = `s-${Math.random()}`;
    await d.results.append(session, { type: 'partial', segment: 1, text: 'a', start: 0 });
    await d.results.append(session, { type: 'final', seq: 1, text: 'ab', start: 0, end: 1, targets: [] });
    const all: LoggedResult[] = [];
    const stopAll = d.results.subscribe(session, '0', (e) => all.push(e));
    await expect.poll(() => all.length).toBe(2);
    const after: string[] = [];
    const stopAfter = d.results.subscribe(session, all[0]!.cursor, (e) => after.push(e.result.type));
    await d.results.append(session, { type: 'translation', seq: 1, lang: 'es', text: 'x' });
    await expect.poll(() => after).toEqual(['final', 'translation']);
    stopAll();
    stopAfter();
    expect(await d.results.length(session)).toBe(3);
    await d.close();
  });

  it('session store: create, read, update; unknown sessions are undefined', async () => {
    const d = await make();
    await d.store.create({ id: 's1', language: 'en', targets: ['es', 'fr'], segments: 0, audioEnd: 0, stopped: false });
    await d.store.update('s1', { segments: 3, audioEnd: 7.25 });
    expect(await d.store.get('s1')).toEqual({
      id: 's1',
      language: 'en',
      targets: ['es', 'fr'],
      segments: 3,
      audioEnd: 7.25,
      stopped: false,
    });
    expect(await d.store.get('nope')).toBeUndefined();
    await d.close();
  });

  it('session store keeps the owner (the tenant) of a session', async () => {
    const d = await make();
    await d.store.create({
      id: 'owned',
      language: 'en',
      targets: [],
      segments: 0,
      audioEnd: 0,
      stopped: false,
      owner: 'key-a',
    });
    await d.store.update('owned', { segments: 1 });
    expect(await d.store.get('owned')).toMatchObject({ owner: 'key-a', segments: 1 });
    await d.close();
  });

  it('#14.7 a session that never stops expires after the retention time since its last activity: metadata and result log', async () => {
    const d = await make(400);
    const session = `s-${Math.random()}`;
    await d.store.create({ id: session, language: 'en', targets: [], segments: 0, audioEnd: 0, stopped: false });
    await d.results.append(session, { type: 'final', seq: 1, text: 'a', start: 0, end: 1, targets: [] });
    // Activity before the retention time is up keeps it.
    await new Promise((r) => setTimeout(r, 250));
    await d.store.update(session, { segments: 1 });
    await new Promise((r) => setTimeout(r, 250));
    expect(await d.store.get(session)).toMatchObject({ segments: 1 });
    // Then it goes quiet without ever sending stop: both are forgotten.
    await expect.poll(() => d.store.get(session), { timeout: 2000 }).toBeUndefined();
    await expect.poll(() => d.results.length(session), { timeout: 2000 }).toBe(0);
    await d.close();
  });

  it('#14.3 speaker leases: one holder per session; a second asks the first to yield and gets it once released or expired', async () => {
    const d = await make();
    const session = `s-${Math.random()}`;
    expect(await d.leases.acquire(session, 'first', 500)).toBe(true);
    expect(await d.leases.renew(session, 'first', 500)).toBe('kept');
    expect(await d.leases.acquire(session, 'second', 500)).toBe(false);
    expect(await d.leases.renew(session, 'first', 500)).toBe('yield');
    await d.leases.release(session, 'first');
    expect(await d.leases.acquire(session, 'second', 500)).toBe(true);
    expect(await d.leases.renew(session, 'second', 500)).toBe('kept');
    expect(await d.leases.renew(session, 'first', 500)).toBe('lost');
    // A holder that stops renewing (its edge died) loses the lease after its time to live.
    expect(await d.leases.acquire(session, 'third', 500)).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    expect(await d.leases.acquire(session, 'third', 500)).toBe(true);
    await d.leases.release(session, 'second'); // not the holder: no effect
    expect(await d.leases.renew(session, 'third', 500)).toBe('kept');
    await d.close();
  });

  it("#14.8 the viewers' result log replays each session from a cursor, then streams new entries, for many sessions at once", async () => {
    const d = await make();
    const sessions = Array.from({ length: 5 }, (_, i) => `w-${i}-${Math.random()}`);
    for (const s of sessions)
      await d.results.append(s, { type: 'final', seq: 1, text: `${s} one`, start: 0, end: 1, targets: [] });
    const seen = new Map<string, string[]>(sessions.map((s) => [s, []]));
    const stops = sessions.map((s) =>
      d.watchResults.subscribe(s, '0', (e) =>
        seen.get(s)!.push(e.result.type === 'final' ? e.result.text : e.result.type),
      ),
    );
    for (const s of sessions)
      await d.results.append(s, { type: 'final', seq: 2, text: `${s} two`, start: 1, end: 2, targets: [] });
    for (const s of sessions) await expect.poll(() => seen.get(s)).toEqual([`${s} one`, `${s} two`]);
    // A late reader of one session gets its history once, then live entries, and the others are undisturbed.
    const late: string[] = [];
    const stopLate = d.watchResults.subscribe(sessions[0]!, '0', (e) => late.push(e.cursor));
    await d.results.append(sessions[0]!, { type: 'ended', segments: 2 });
    await expect.poll(() => late.length).toBe(3);
    expect(new Set(late).size).toBe(3);
    expect(seen.get(sessions[1]!)).toHaveLength(2);
    for (const stop of [...stops, stopLate]) stop();
    await d.close();
  });

  it('runner heartbeats expire', async () => {
    const d = await make();
    await d.runners.beat(
      {
        id: 'r1',
        role: 'stt',
        engine: 'sphinx',
        languages: ['en'],
        processed: 0,
        failed: 0,
        state: 'running',
        at: Date.now(),
      },
      300,
    );
    expect((await d.runners.live()).map((r) => r.id)).toEqual(['r1']);
    await new Promise((r) => setTimeout(r, 450));
    expect(await d.runners.live()).toEqual([]);
    await d.close();
  });
}
