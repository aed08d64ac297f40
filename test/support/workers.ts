/**
 * The Workers edge under `wrangler dev` (local workerd), started the way `npm run dev:workers` starts it, on a
 * free loopback port with its own throwaway Durable Object storage.
 *
 * It runs a snapshot of the sources: `wrangler dev` rebuilds and restarts the Worker whenever a file it bundled
 * changes, dropping every socket, so edits made elsewhere while a test runs must not reach it.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.ts';

export interface WorkersDev {
  url: string;
  wsUrl: string;
  /** wrangler's and the Worker's console output (the relays' JSON logs). */
  output: string[];
  /** Milliseconds from spawning wrangler to the Worker answering /health. */
  startMs: number;
  stop(): Promise<void>;
}

export async function startWorkersDev(
  env: { EARSHOT_ORIGIN_URL: string; EARSHOT_ORIGIN_SECRET: string } & Record<string, string>,
  timeoutMs = 45_000,
): Promise<WorkersDev> {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'earshot-workers-dev-'));
  for (const path of ['edge', 'shared', 'scripts', 'wrangler.toml', 'package.json'])
    cpSync(path, join(root, path), { recursive: true });
  symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules'));
  const started = performance.now();
  // Its own process group: wrangler starts workerd processes, and stop() must end them all.
  const child = spawn(process.execPath, [join(root, 'scripts/dev-workers.mjs'), '--persist-to', join(root, '.state')], {
    cwd: root,
    env: { ...process.env, WORKERS_PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}: ${output.join('')}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer within ${timeoutMs} ms: ${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    wsUrl: `${url.replace('http', 'ws')}/v1/realtime`,
    output,
    startMs: Math.round(performance.now() - started),
    stop,
  };
}
