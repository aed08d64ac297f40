/**
 * Chaos (`npm run test:chaos`): a real Redis (persistent, as in production), 2 edges, 2 STT runners and an MT
 * runner under steady load, while a script kills and restarts every process type and Redis several times. At the
 * end every session's captions equal those of the same audio processed without faults: no gap, no duplicate.
 * `chaos.test.ts` runs it on the stateless lane, `chaos-streaming.test.ts` on the streaming lane.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResilientSession } from '../../client/resilient-session.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import { Cluster, waitForRunners, type ProcessHandle } from '../support/cluster.ts';
import { TestRedis } from '../support/redis-server.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';
import { waitForStreams } from '../support/streaming-lane.ts';

const SESSIONS = Number(process.env.EARSHOT_CHAOS_SESSIONS ?? 6);
const recordings = librivoxRecordings();
const audioFor = (i: number) =>
  withPauses([recordings[i % 5]!.pcm, recordings[(i + 1) % 5]!.pcm, recordings[(i + 3) % 5]!.pcm]);
/**
 * The transcript as a reader ends up with it: each final's latest revision (a second pass may correct a final that
 * was decoded fast to catch up under load), with its translations.
 */
const captions = (session: ResilientSession) =>
  session.transcript.map((line) => `${line.seq}: ${line.text} | ${JSON.stringify(line.translations)}`);
/** No caption (seq and rev) was delivered twice. */
const duplicates = (events: ServerEvent[]) => {
  const keys = events.flatMap((e) =>
    e.type === 'final'
      ? [`${e.seq}:${e.rev ?? 1}`]
      : e.type === 'translation'
        ? [`${e.seq}:${e.lang}:${e.rev ?? 1}`]
        : [],
  );
  return keys.length - new Set(keys).size;
};
const translationsAfterFinals = (events: ServerEvent[]) =>
  events.every(
    (e, i) => e.type !== 'translation' || events.slice(0, i).some((f) => f.type === 'final' && f.seq === e.seq),
  );
const ws = (h: ProcessHandle) => `ws://127.0.0.1:${h.port}/v1/realtime`;

async function runAll(urls: string[], speed: number): Promise<ResilientSession[]> {
  return Promise.all(
    Array.from({ length: SESSIONS }, async (_, i) => {
      const session = await ResilientSession.open({
        urls: [urls[i % urls.length]!, ...urls],
        start: { sample_rate: 16000, targets: ['es'] },
        readyTimeoutMs: 20_000,
      });
      const audio = audioFor(i);
      for (let o = 0; o < audio.length; o += 1600) {
        session.sendAudio(audio.slice(o, o + 1600));
        await new Promise((r) => setTimeout(r, 100 / speed));
      }
      session.stop();
      await session.done;
      return session;
    }),
  );
}

/** Registers the chaos test; `env` goes to every process (the lane under test). */
export function chaosSuite(name: string, env: Record<string, string> = {}): void {
  const dataDir = mkdtempSync(join(tmpdir(), 'earshot-chaos-'));
  let redis: TestRedis;
  let cluster: Cluster;
  afterAll(async () => {
    await cluster?.stopAll();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  describe(name, { timeout: 600_000 }, () => {
    it('kills and restarts edges, runners and Redis under load; transcripts equal the fault-free run', async () => {
      redis = await TestRedis.start({ dataDir });
      // Catch-up off: it trades exact transcripts for latency (longer utterances when a session falls behind), and this
      // suite compares transcripts word for word with a fault-free run.
      cluster = new Cluster(redis.url, {
        EARSHOT_SPHINX_DECODERS: '1',
        EARSHOT_JOB_LOCK_MS: '1500',
        EARSHOT_CATCH_UP: 'off',
        ...env,
      });
      let edges = await Promise.all([cluster.edge(), cluster.edge()]);
      let stt = await Promise.all([cluster.runner('stt'), cluster.runner('stt')]);
      let mt = await cluster.runner('mt');
      await waitForRunners(edges[0]!.url, { stt: 2, mt: 1 });
      if (env.EARSHOT_STT_LANE && env.EARSHOT_STT_LANE !== 'stateless') await waitForStreams(edges[0]!.url, 2);

      const reference = await runAll(edges.map(ws), 4);

      const counts = { kills: 0, redisRestarts: 0, heldAtKill: 0 };
      const held = async () =>
        (
          (await (
            await fetch(`${edges[0]!.url}/health/full`).catch(() => fetch(`${edges[1]!.url}/health/full`))
          ).json()) as any
        ).components.queue?.stt?.active ?? 0;
      let chaosDone = false;
      const chaos = (async () => {
        const plan: (() => Promise<void>)[] = [
          async () => {
            counts.heldAtKill += await held();
            await stt[0]!.kill9();
            stt[0] = await cluster.restart(stt[0]!);
          },
          async () => {
            await edges[0]!.kill9();
            edges[0] = await cluster.restart(edges[0]!);
          },
          async () => {
            await mt.kill9();
            mt = await cluster.restart(mt);
          },
          async () => {
            await redis.stop();
            await new Promise((r) => setTimeout(r, 1000));
            await redis.restart();
            counts.redisRestarts += 1;
          },
          async () => {
            counts.heldAtKill += await held();
            await stt[1]!.kill9();
            stt[1] = await cluster.restart(stt[1]!);
          },
          async () => {
            await edges[1]!.kill9();
            edges[1] = await cluster.restart(edges[1]!);
          },
        ];
        for (let round = 0; !chaosDone; round++) {
          await new Promise((r) => setTimeout(r, 1500));
          if (chaosDone) break;
          await plan[round % plan.length]!();
          counts.kills += 1;
        }
      })();

      const chaotic = await runAll([ws(edges[0]!), ws(edges[1]!)], 1);
      chaosDone = true;
      await chaos;

      let finals = 0;
      for (const [i, session] of chaotic.entries()) {
        if (JSON.stringify(captions(session)) !== JSON.stringify(captions(reference[i]!))) {
          // Everything the two runs delivered, to tell a decoding difference from a delivery one.
          console.info(
            `session ${i} events`,
            JSON.stringify({ chaotic: session.events, reference: reference[i]!.events }),
          );
        }
        expect(captions(session), `session ${i}`).toEqual(captions(reference[i]!));
        expect(duplicates(session.events)).toBe(0);
        expect(translationsAfterFinals(session.events)).toBe(true);
        finals += session.events.filter((e) => e.type === 'final').length;
      }
      const reconnects = chaotic.reduce((n, s) => n + s.reconnects, 0);
      const summary = {
        sessions: chaotic.length,
        finals,
        kills: counts.kills,
        redisRestarts: counts.redisRestarts,
        jobsHeldByKilledRunners: counts.heldAtKill,
        clientReconnects: reconnects,
        gaps: 0,
        duplicates: 0,
      };
      console.info(`chaos summary ${JSON.stringify(summary)}`);
      expect(counts.kills).toBeGreaterThanOrEqual(6);
    });
  });
}
