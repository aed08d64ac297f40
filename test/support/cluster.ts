/** Real earshot processes (edges, runners) joined by a test Redis, for distributed and failure tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from './redis-server.ts';

export interface ProcessHandle {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  output: string[];
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  kill9(): Promise<void>;
}

export class Cluster {
  readonly prefix: string;
  readonly processes: ProcessHandle[] = [];
  readonly #redisUrl: string;
  readonly #env: Record<string, string>;

  /** `prefix`: join another cluster's deployment (same Redis keys) with different settings. */
  constructor(redisUrl: string, env: Record<string, string> = {}, prefix = `c-${randomUUID().slice(0, 8)}`) {
    this.#redisUrl = redisUrl;
    this.#env = env;
    this.prefix = prefix;
  }

  edge(env: Record<string, string> = {}): Promise<ProcessHandle> {
    return this.#start('edge', ['edge'], env);
  }

  runner(role: 'stt' | 'mt', env: Record<string, string> = {}): Promise<ProcessHandle> {
    return this.#start(`${role}-runner`, ['runner', '--role', role], env);
  }

  /** Starts a dead process again with the same role and port (clients keep their URL lists). */
  restart(handle: ProcessHandle): Promise<ProcessHandle> {
    const args = handle.name === 'edge' ? ['edge'] : ['runner', '--role', handle.name.replace('-runner', '')];
    return this.#start(handle.name, args, {}, handle.port);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill9()));
    // Processes that died on their own are the interesting ones when a test fails.
    for (const p of this.processes) {
      if (process.env.EARSHOT_TEST_DEBUG || (p.child.exitCode !== null && p.child.exitCode !== 0)) {
        process.stderr.write(
          `--- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode}) ---\n${p.output.join('').slice(-4000)}\n`,
        );
      }
    }
  }

  async #start(
    name: string,
    args: string[],
    env: Record<string, string>,
    fixedPort?: number,
    attempt = 0,
  ): Promise<ProcessHandle> {
    const port = fixedPort ?? (await freePort());
    const child = spawn(
      process.execPath,
      ['bin/earshot.mjs', ...args, '--port', String(port), '--redis', this.#redisUrl, '--redis-prefix', this.prefix],
      {
        // Offline unless a test says otherwise: `auto` engines must not reach for a hub from tests.
        env: { ...process.env, LOG_LEVEL: 'warn', EARSHOT_MODEL_HUB: '', ...this.#env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    child.stdout!.on('data', (d) => output.push(String(d)));
    child.stderr!.on('data', (d) => output.push(String(d)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const handle: ProcessHandle = {
      name,
      port,
      url: `http://127.0.0.1:${port}`,
      child,
      output,
      stop: async (signal = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
      kill9: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    this.processes.push(handle);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) {
        // Another test's process can take a free port between our probe and the child's bind: pick another.
        if (fixedPort === undefined && output.join('').includes('EADDRINUSE') && attempt < 3) {
          this.processes.splice(this.processes.indexOf(handle), 1);
          return this.#start(name, args, env, undefined, attempt + 1);
        }
        throw new Error(`${name} exited ${child.exitCode}: ${output.join('')}`);
      }
      try {
        if ((await fetch(`${handle.url}/health`)).ok) return handle;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${name} did not become healthy: ${output.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Waits until the edge sees live runners of the given roles. */
export async function waitForRunners(edgeUrl: string, want: { stt: number; mt: number }): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const health = (await (await fetch(`${edgeUrl}/health/full`)).json()) as {
      components: { runners: { stt: unknown[]; mt: unknown[] } };
    };
    if (health.components.runners.stt.length >= want.stt && health.components.runners.mt.length >= want.mt) return;
    if (Date.now() > deadline) throw new Error(`runners not seen: ${JSON.stringify(health)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
