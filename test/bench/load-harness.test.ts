/**
 * The load benchmark's harness (bench/load.ts), run for a few seconds with two sphinx sessions: the JSON it writes
 * has every field, with sane values. Not a timing assertion: the numbers depend on the machine.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../bench/load/report.ts';
import { whisperFixture } from '../fixtures/whisper/write-model.ts';

const out = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('bench:load harness', () => {
  it('streams sessions through the embedded pipeline and writes JSON and an SVG chart', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      // The guard off: an utterance whose text it withholds would count as a missing final and fail the run.
      [
        '--import',
        'tsx',
        'bench/load.ts',
        '--model',
        'sphinx',
        '--sessions',
        '2',
        '--duration',
        '9',
        '--out',
        out,
        '--name',
        'harness',
        '--quiet',
        '--guard',
        'off',
      ],
      { timeout: 110_000 },
    );
    expect(stdout).toContain('| earshot N=2 | 2 |');
    expect(readdirSync(out).sort()).toEqual(['harness.json', 'harness.svg']);
    expect(readFileSync(join(out, 'harness.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);

    const report = JSON.parse(readFileSync(join(out, 'harness.json'), 'utf8')) as {
      machine: { cpus: number };
      runs: RunResult[];
      corpus: unknown[];
    };
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.corpus.length).toBeGreaterThanOrEqual(5);
    const [run] = report.runs;
    expect(report.runs).toHaveLength(1);
    expect(run).toMatchObject({
      contender: 'earshot',
      model: 'sphinx',
      sessions: 2,
      audioSecondsPerSession: 9,
      sessionsCompleted: 2,
      errors: {},
    });
    expect(run!.features).toEqual({ batching: true, priority: true, latestWins: true, batchSize: 8, maxWaitMs: 0 });
    // Both sessions spoke at least one whole utterance (the loop's first pieces end well inside 9 s).
    expect(run!.finals).toBeGreaterThanOrEqual(2);
    const latency = run!.endOfSpeechToFinalMs;
    expect(latency.n).toBe(run!.finals);
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p50!).toBeLessThanOrEqual(latency.p95!);
    expect(latency.p95!).toBeLessThanOrEqual(latency.p99!);
    expect(run!.partials).toBeGreaterThan(0);
    expect(run!.firstPartialMs.n).toBeGreaterThan(0);
    expect(run!.firstPartialMs.p50).toBeGreaterThan(0);
    expect(run!.wallSeconds).toBeGreaterThanOrEqual(9);
    expect(run!.realTimeFactor).toBeGreaterThan(0);
    expect(run!.cpuCoresTotal).toBeGreaterThan(0);
    expect(run!.cpuCoresPerSession).toBeCloseTo(run!.cpuCoresTotal! / 2, 3);
    expect(run!.rssMbIdle).toBeGreaterThan(10);
    expect(run!.rssMbPeak!).toBeGreaterThanOrEqual(run!.rssMbIdle!);
    expect(run!.engine!.jobs).toBeGreaterThanOrEqual(run!.finals);
    expect(run!.engine!.meanBatch).toBeGreaterThanOrEqual(1);
    expect(run!.queueDepth.length).toBeGreaterThanOrEqual(5);
    for (const d of run!.queueDepth) expect(d.stt).toBeGreaterThanOrEqual(0);
  });

  // The issue this guards against: with the hallucination guard on, a random-weight model's text is withheld, and
  // the benchmark printed a table of dashes and exited 0. Now a run that delivers no finals (or fewer than the
  // utterances queued) fails, saying why; the same model with the guard off delivers one final per utterance.
  it('exits 1 and says why when a contender delivers fewer finals than utterances; with the guard off it passes', async () => {
    const dir = whisperFixture('tiny-random');
    const run = (guard: string) =>
      promisify(execFile)(
        process.execPath,
        [
          '--import',
          'tsx',
          'bench/load.ts',
          '--model',
          dir,
          '--sessions',
          '1',
          '--duration',
          '8',
          '--out',
          out,
          '--name',
          `guard-${guard}`,
          '--guard',
          guard,
        ],
        { timeout: 110_000 },
      );
    const withheld = await run('on').then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(withheld?.code).toBe(1);
    expect(withheld?.stderr).toMatch(
      /bench:load FAILED[\s\S]*earshot N=1: (no finals delivered|\d+ finals for \d+ utterances queued)/,
    );
    const { stderr } = await run('off');
    expect(stderr).toContain('hallucination guard off');
    const report = JSON.parse(readFileSync(join(out, 'guard-off.json'), 'utf8')) as { runs: RunResult[] };
    expect(report.runs[0]!.utterances).toBeGreaterThan(0);
    expect(report.runs[0]!.finals).toBe(report.runs[0]!.utterances);
  });
});
