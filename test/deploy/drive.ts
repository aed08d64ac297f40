/**
 * The client side of `npm run test:deploy` (scripts/test-deploy.sh starts the compose deployment first): streams
 * sessions of real speech through the edge's published port, once without faults and once while it kills an STT
 * runner container and restarts the Redis container mid-stream, and checks every transcript against the fault-free
 * run as the chaos suite does (each final's latest revision with its translations; no duplicates). Prints a JSON
 * summary; exits 1 on any difference.
 */
import { execFileSync } from 'node:child_process';
import { authenticatedWebSocket } from '../../client/node/connection.ts';
import { ResilientSession } from '../../client/resilient-session.ts';
import type { ServerEvent } from '../../shared/protocol.ts';
import { librivoxRecordings } from '../support/librivox.ts';
import { withPauses } from '../support/sessions.ts';

const EDGE = process.env.EARSHOT_TEST_EDGE ?? 'http://127.0.0.1:8080';
const KEY = process.env.EARSHOT_TEST_KEY ?? '';
const PROJECT = process.env.EARSHOT_TEST_PROJECT ?? 'earshot-deploy-test';
const SESSIONS = Number(process.env.EARSHOT_DEPLOY_SESSIONS ?? 4);

const docker = (...args: string[]) =>
  execFileSync(process.env.EARSHOT_TEST_DOCKER ?? 'docker', args, { encoding: 'utf8' }).trim();
const containers = (service: string) =>
  docker(
    'ps',
    '-q',
    '--filter',
    `label=com.docker.compose.project=${PROJECT}`,
    '--filter',
    `label=com.docker.compose.service=${service}`,
  )
    .split('\n')
    .filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForRunners(stt: number, mt: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const health = (await (await fetch(`${EDGE}/health/full`, { signal: AbortSignal.timeout(3000) })).json()) as {
        components: { runners?: { stt: unknown[]; mt: unknown[] } };
      };
      const runners = health.components.runners;
      if (runners && runners.stt.length >= stt && runners.mt.length >= mt) return;
    } catch {
      // the edge is still starting
    }
    if (Date.now() > deadline)
      throw new Error(`the deployment did not show ${stt} STT and ${mt} MT runners within 180 s`);
    await sleep(1000);
  }
}

const recordings = librivoxRecordings();
const audioFor = (i: number) =>
  withPauses([recordings[i % 5]!.pcm, recordings[(i + 1) % 5]!.pcm, recordings[(i + 3) % 5]!.pcm]);
const captions = (s: ResilientSession) =>
  s.transcript.map((line) => `${line.seq}: ${line.text} | ${JSON.stringify(line.translations)}`);
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

async function runAll(speed: number): Promise<ResilientSession[]> {
  const url = `${EDGE.replace(/^http/, 'ws')}/v1/realtime`;
  return Promise.all(
    Array.from({ length: SESSIONS }, async (_, i) => {
      const session = await ResilientSession.open({
        urls: [url],
        start: { sample_rate: 16000, targets: ['es'] },
        readyTimeoutMs: 30_000,
        WebSocket: authenticatedWebSocket(KEY),
      });
      const audio = audioFor(i);
      for (let o = 0; o < audio.length; o += 1600) {
        session.sendAudio(audio.slice(o, o + 1600));
        await sleep(100 / speed);
      }
      session.stop();
      await session.done;
      return session;
    }),
  );
}

// A bound on the whole run; it also keeps the process alive while a step waits on a socket that has no timer.
const watchdog = setTimeout(() => {
  console.error('test:deploy: the sessions did not finish within 15 minutes');
  process.exit(1);
}, 15 * 60_000);
const step = (name: string) => console.error(`test:deploy: ${name} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const started = Date.now();
await waitForRunners(3, 1);
step('3 STT runners and an MT runner are up; fault-free run');
const readyMs = Date.now() - started;
const reference = await runAll(4);

// Faults while the second run streams at real time: an STT runner container dies (SIGKILL), then Redis restarts.
const faults: string[] = [];
const chaos = (async () => {
  await sleep(8000);
  const victim = containers('stt-runner')[0]!;
  docker('kill', victim);
  faults.push(`killed stt-runner ${victim.slice(0, 12)}`);
  await sleep(8000);
  const redis = containers('redis')[0]!;
  docker('restart', '--time', '1', redis);
  faults.push(`restarted redis ${redis.slice(0, 12)}`);
})();
step('run with faults');
const chaotic = await runAll(1);
await chaos;
clearTimeout(watchdog);

let mismatches = 0;
let finals = 0;
let dupes = 0;
for (const [i, session] of chaotic.entries()) {
  const same = JSON.stringify(captions(session)) === JSON.stringify(captions(reference[i]!));
  if (!same) {
    mismatches += 1;
    console.error(
      `session ${i} differs:\n  faults:    ${JSON.stringify(captions(session))}\n  reference: ${JSON.stringify(captions(reference[i]!))}`,
    );
  }
  dupes += duplicates(session.events);
  finals += session.transcript.length;
}
const summary = {
  sessions: chaotic.length,
  finals,
  faults,
  mismatches,
  duplicates: dupes,
  clientReconnects: chaotic.reduce((n, s) => n + s.reconnects, 0),
  runnersReadyMs: readyMs,
};
console.log(`deploy summary ${JSON.stringify(summary)}`);
process.exit(mismatches === 0 && dupes === 0 && finals > 0 ? 0 : 1);
