/**
 * Where the batch API keeps uploaded audio and results: a local directory by default, S3 (s3-blob-store.ts) when
 * configured. An async job is picked up by whichever edge's worker is free, so edges of one deployment on several
 * hosts need a store they all reach: S3, or one directory they share.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface BlobStore {
  readonly description: string;
  put(key: string, data: Uint8Array, contentType: string): Promise<void>;
  /** Undefined when there is no such blob. */
  get(key: string): Promise<Uint8Array | undefined>;
  delete(key: string): Promise<void>;
  /** Deletes the blobs under `prefix` last written before `before` (ms since the epoch); resolves to how many. */
  deleteOlderThan(prefix: string, before: number): Promise<number>;
  close(): void;
}

/** Keys are made by earshot (`uploads/<job>`), but are checked anyway: a key must never leave the store's root. */
export function checkKey(key: string): string {
  if (!/^[\w-]+(\/[\w.-]+)*$/.test(key) || key.split('/').some((part) => part.startsWith('.')))
    throw new Error(`invalid blob key ${JSON.stringify(key)}`);
  return key;
}

export class LocalBlobStore implements BlobStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  get description(): string {
    return `directory ${this.#root}`;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = join(this.#root, checkKey(key));
    await mkdir(dirname(path), { recursive: true });
    // Write then rename: a reader on another edge never sees half a file.
    const partial = `${path}.${process.pid}.${Date.now()}.partial`;
    await writeFile(partial, data);
    await rename(partial, path);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.#root, checkKey(key))));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(join(this.#root, checkKey(key)), { force: true });
  }

  async deleteOlderThan(prefix: string, before: number): Promise<number> {
    const dir = join(this.#root, checkKey(prefix));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    let deleted = 0;
    for (const name of names) {
      const path = join(dir, name);
      const info = await stat(path).catch(() => undefined);
      if (!info?.isFile() || info.mtimeMs >= before) continue;
      await rm(path, { force: true });
      deleted += 1;
    }
    return deleted;
  }

  close(): void {}
}
