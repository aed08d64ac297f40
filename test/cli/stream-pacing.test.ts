import { describe, expect, it } from 'vitest';
import { frameDueMs, paceFrames, type PacerClock } from '../../cli/stream.ts';

/** A clock that only moves when slept on; `oversleepMs` models timers firing late. */
function fakeClock(oversleepMs = 0): PacerClock & { sleeps: number } {
  let t = 1000;
  return {
    sleeps: 0,
    now: () => t,
    async sleep(ms) {
      this.sleeps++;
      t += ms + oversleepMs;
    },
  };
}

async function sendTimes(count: number, speed: number, clock: PacerClock & { sleeps: number }): Promise<number[]> {
  const times: number[] = [];
  const start = clock.now();
  await paceFrames(
    Array.from({ length: count }, (_, i) => i),
    { frameMs: 100, speed, clock },
    () => (times.push(clock.now() - start), true),
  );
  return times;
}

describe('stream pacing', () => {
  it('schedules frames at real time', async () => {
    expect(await sendTimes(5, 1, fakeClock())).toEqual([0, 100, 200, 300, 400]);
    expect(frameDueMs(10, 100, 1)).toBe(1000);
  });

  it('schedules frames N times faster with --speed N', async () => {
    expect(await sendTimes(5, 4, fakeClock())).toEqual([0, 25, 50, 75, 100]);
    expect(await sendTimes(3, 0.5, fakeClock())).toEqual([0, 200, 400]);
  });

  it('sends everything at once with --speed 0', async () => {
    const clock = fakeClock();
    expect(await sendTimes(50, 0, clock)).toEqual(new Array(50).fill(0));
    expect(clock.sleeps).toBe(0);
  });

  it('does not accumulate drift when timers fire late', async () => {
    const times = await sendTimes(100, 1, fakeClock(7));
    times.forEach((t, i) => expect(t - i * 100).toBeLessThanOrEqual(7));
    expect(times.at(-1)).toBe(9907); // one lateness, not 99 of them
  });

  it('stops when send returns false and reports how many frames went out', async () => {
    const sent = await paceFrames(
      Array.from({ length: 10 }, (_, i) => i),
      { frameMs: 100, speed: 0 },
      (i) => i < 3,
    );
    expect(sent).toBe(3);
  });

  it('paces in real time with the real clock', async () => {
    const started = performance.now();
    await paceFrames(
      Array.from({ length: 5 }, (_, i) => i),
      { frameMs: 20, speed: 1 },
      () => true,
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(78);
  });
});
