/**
 * README's performance tables come from committed result files: `npm run bench:tables` rewrites each marked block
 * from the file it names, so an edited number or a stale table is replaced by what the file holds.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { regenerate } from '../../bench/readme-tables.ts';
import type { RunResult } from '../../bench/load/report.ts';

const dir = resolve(import.meta.dirname, '../../.scratch/readme-tables-test');
const file = '.scratch/readme-tables-test/load.json';
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run: RunResult = {
  label: 'earshot N=1',
  contender: 'earshot',
  model: 'whisper-tiny',
  features: { batching: true, priority: true, latestWins: true, batchSize: 8, maxWaitMs: 0 },
  sessions: 1,
  audioSecondsPerSession: 20,
  wallSeconds: 30,
  endOfSpeechToFinalMs: { n: 4, p50: 900, p95: 1100, p99: 1100 },
  firstPartialMs: { n: 4, p50: 800, p95: 950, p99: 950 },
  partialIntervalMs: { n: 10, p50: 700, p95: 800, p99: 800 },
  finals: 4,
  utterances: 4,
  corrections: 2,
  secondPasses: { queued: 4, changed: 2, unchanged: 2, skipped: 0 },
  partials: 12,
  realTimeFactor: 0.3,
  cpuCoresPerSession: 0.5,
  cpuCoresTotal: 0.5,
  rssMbPerSession: 80,
  rssMbIdle: 300,
  rssMbPeak: 380,
  engine: null,
  queueDepth: [],
  maxQueueDepth: 2,
  errors: {},
  sessionsCompleted: 1,
};

describe('bench:tables', () => {
  it('rewrites a marked block from the result file it names, and leaves the rest of README alone', () => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'load.json'),
      JSON.stringify({
        machine: {
          cpus: 2,
          cpu: 'AMD EPYC',
          uptimeAtStart: '15:00 up 1:00, load average: 3.10, 2.00, 1.00',
          uptimeAtEnd: '15:05 up, load average: 4.20, 3.00, 2.00',
        },
        options: { model: 'whisper-tiny', duration: 20, guard: 'off', window: 'auto' },
        runs: [run],
      }),
    );
    const readme = `# before\n\n<!-- bench-table ${file} -->\n| stale | 1 / 2 / 3 |\n<!-- /bench-table -->\n\n# after\n`;
    const out = regenerate(readme);
    expect(out.startsWith('# before\n\n')).toBe(true);
    expect(out.endsWith('\n\n# after\n')).toBe(true);
    expect(out).not.toContain('stale');
    expect(out).toContain(
      `From \`${file}\`: model whisper-tiny, 20 s of speech per session, hallucination guard off, encoder window auto; 2 × AMD EPYC; load average at start 3.10, 2.00, 1.00, at end 4.20, 3.00, 2.00.`,
    );
    expect(out).toContain('| earshot N=1 | 1 | 4 / 4 | 4 / 4 | 900 / 1100 / 1100 | 800 / 950 |');
    expect(regenerate(out)).toBe(out);
  });
});
