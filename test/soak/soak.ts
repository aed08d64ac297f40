/**
 * Soak (`npm run test:soak -- --minutes M [--sessions N]`): real processes (2 edges, an STT and an MT runner) on
 * a real Redis with steady, overlapping sessions for M minutes. Samples every process's RSS and open file
 * descriptors, and Redis's key count; fails if RSS grows more than the bound after warm-up, descriptors leak, or
 * session keys outlive their retention. Prints a table and writes bench/results/soak.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ResilientSession } from '../../client/resilient-session.ts';
import { Cluster, waitForRunners, type ProcessHandle } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';

/** Allowed RSS growth per process between the end of warm-up and the end of the run. */
export const RSS_GROWTH_BOUND_MB = 40;
const RETENTION_SECONDS = 15;

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '2' }, sessions: { type: 'string', default: '4' } },
});
const minutes = Number(values.minutes);
const concurrency = Number(values.sessions);
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

const redis = await TestRedis.start();
const cluster = new Cluster(redis.url, {
  EARSHOT_SESSION_RETENTION_SECONDS: String(RETENTION_SECONDS),
  EARSHOT_SPHINX_DECODERS: '1',
});
const processes: ProcessHandle[] = [];
try {
  processes.push(...(await Promise.all([cluster.edge(), cluster.edge(), cluster.runner('stt'), cluster.runner('mt')])));
  const edges = processes.filter((p) => p.name === 'edge');
  await waitForRunners(edges[0]!.url, { stt: 1, mt: 1 });
  const admin = new Redis(redis.url);
  const recordings = librivoxRecordings();
  const audio = withPauses([recordings[1]!.pcm, recordings[4]!.pcm]);
  const samples: {
    t: number;
    rss: Record<string, number>;
    fds: Record<string, number>;
    keys: number;
    sessions: number;
  }[] = [];
  let sessionsDone = 0;
  let errors = 0;
  const started = Date.now();
  const endAt = started + minutes * 60_000;
  const warmupAt = started + Math.min(30_000, minutes * 15_000);

  const worker = async (i: number) => {
    while (Date.now() < endAt) {
      const session = await ResilientSession.open({
        urls: edges.map((e) => `ws://127.0.0.1:${e.port}/v1/realtime`).slice(i % 2),
        start: { sample_rate: 16000, targets: ['es'] },
      });
      for (let o = 0; o < audio.length; o += 1600) {
        session.sendAudio(audio.slice(o, o + 1600));
        await new Promise((r) => setTimeout(r, 50)); // 2× real time
      }
      session.stop();
      await session.done;
      errors += session.events.filter((e) => e.type === 'error').length;
      sessionsDone += 1;
    }
  };
  const sampler = setInterval(async () => {
    const name = (p: ProcessHandle, i: number) => `${p.name}#${i}`;
    samples.push({
      t: Math.round((Date.now() - started) / 1000),
      rss: Object.fromEntries(processes.map((p, i) => [name(p, i), Math.round(rssMb(p.child.pid!))])),
      fds: Object.fromEntries(processes.map((p, i) => [name(p, i), fds(p.child.pid!)])),
      keys: await admin.dbsize(),
      sessions: sessionsDone,
    });
    process.stderr.write(
      `\rsoak ${samples.at(-1)!.t}s / ${minutes * 60}s, sessions ${sessionsDone}, keys ${samples.at(-1)!.keys}   `,
    );
  }, 5000);
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  // Let session keys expire: nothing may outlive its retention.
  await new Promise((r) => setTimeout(r, (RETENTION_SECONDS + 5) * 1000));
  clearInterval(sampler);
  const leftover = (await admin.keys(`${cluster.prefix}:session:*`)).length;
  admin.disconnect();

  const afterWarmup = samples.filter((s) => s.t * 1000 >= warmupAt - started);
  const first = afterWarmup[0] ?? samples[0]!;
  const last = samples.at(-1)!;
  const rows = Object.keys(last.rss).map((p) => ({
    process: p,
    rssStartMb: first.rss[p]!,
    rssEndMb: last.rss[p]!,
    growthMb: last.rss[p]! - first.rss[p]!,
    fdsStart: first.fds[p]!,
    fdsEnd: last.fds[p]!,
  }));
  console.log(
    `\n\nsoak: ${minutes} min, ${sessionsDone} sessions (${concurrency} concurrent), ${errors} error events, ${leftover} session keys left after retention\n`,
  );
  console.table(rows);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/soak.json',
    JSON.stringify(
      {
        minutes,
        concurrency,
        sessions: sessionsDone,
        errors,
        leftoverSessionKeys: leftover,
        rssGrowthBoundMb: RSS_GROWTH_BOUND_MB,
        rows,
        samples,
      },
      null,
      2,
    ),
  );
  const failures = [
    ...rows
      .filter((r) => r.growthMb > RSS_GROWTH_BOUND_MB)
      .map((r) => `${r.process} RSS grew ${r.growthMb} MB (bound ${RSS_GROWTH_BOUND_MB})`),
    ...rows
      .filter((r) => r.fdsEnd > r.fdsStart + 10)
      .map((r) => `${r.process} file descriptors ${r.fdsStart} → ${r.fdsEnd}`),
    ...(leftover > 0 ? [`${leftover} session keys outlived their retention`] : []),
    ...(errors > 0 ? [`${errors} error events`] : []),
  ];
  console.log(failures.length ? `FAIL\n${failures.join('\n')}` : 'PASS');
  process.exitCode = failures.length ? 1 : 0;
} finally {
  await cluster.stopAll();
  await redis.stop();
}
