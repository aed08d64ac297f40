/** A real redis-server on a free loopback port, owned by the test; nothing persisted. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export class TestRedis {
  readonly port: number;
  #process: ChildProcess | undefined;

  private constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://${this.#password ? `:${this.#password}@` : ''}127.0.0.1:${this.port}`;
  }

  /**
   * `dataDir`: persist with an fsync'd append-only file there, so data survives a restart (as in production).
   * `password`: require it from every client (`url` includes it).
   */
  static async start(options: { dataDir?: string; password?: string } = {}): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    redis.#dataDir = options.dataDir;
    redis.#password = options.password;
    await redis.restart();
    return redis;
  }

  #dataDir: string | undefined;
  #password: string | undefined;

  /** (Re)starts the server on the same port. */
  async restart(): Promise<void> {
    const persistence = this.#dataDir
      ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.#dataDir]
      : ['--appendonly', 'no'];
    const auth = this.#password ? ['--requirepass', this.#password] : [];
    this.#process = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...persistence,
        ...auth,
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(this.url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect().catch(() => undefined);
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        if (Date.now() > deadline) throw new Error('redis-server did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    probe.disconnect();
  }

  async stop(): Promise<void> {
    const child = this.#process;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
