/** The hooks' own lane: bounded concurrency, bounded waiting, the least important work dropped first. */
import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../../edge/hooks/work-queue.ts';

const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

describe('WorkQueue', () => {
  it('runs at most `concurrency` tasks, higher priority first, and drops the least important when full', async () => {
    const queue = new WorkQueue({ concurrency: 1, maxQueue: 2 });
    const ran: string[] = [];
    const dropped: string[] = [];
    const blocker = gate();
    const task = (name: string, priority: number, wait?: Promise<void>) => ({
      priority,
      run: async () => (ran.push(name), await wait),
      dropped: () => dropped.push(name),
    });
    queue.push(task('hanging', 0, blocker.opened));
    queue.push(task('summary', 0));
    queue.push(task('edit', 1));
    expect(queue.running).toBe(1);
    queue.push(task('command', 2)); // full: the summary (lowest, oldest) makes room
    queue.push(task('another summary', 0)); // full, and the least important: dropped itself
    expect(dropped).toEqual(['summary', 'another summary']);
    blocker.open();
    await queue.whenIdle();
    expect(ran).toEqual(['hanging', 'command', 'edit']);
  });

  it('goes on after a task fails', async () => {
    const queue = new WorkQueue({ concurrency: 2, maxQueue: 10 });
    let done = 0;
    queue.push({ priority: 0, run: () => Promise.reject(new Error('endpoint down')) });
    queue.push({ priority: 0, run: async () => void (done += 1) });
    await queue.whenIdle();
    expect(done).toBe(1);
  });
});
