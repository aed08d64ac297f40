/**
 * One file downloaded safely: bytes go to `<file>.incomplete`, are checked (size, and the source's checksum where
 * it gives one), then renamed into place. So a file at its final name is always whole, and an interrupted transfer
 * leaves only the `.incomplete` file, which the next attempt continues from where it stopped (HTTP Range / S3
 * Range) instead of starting over.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { ProgressReporter } from './progress.ts';

/** What the source says the finished file is; each known field is checked. */
export interface ExpectedFile {
  size?: number;
  /** Hex SHA-256 of the content (the hub's `X-Linked-Etag` of LFS files). */
  sha256?: string;
  /** Hex git blob SHA-1 (the hub's `ETag` of small, non-LFS files). */
  gitSha1?: string;
  /** Hex MD5 (an S3 ETag of a single-part upload). */
  md5?: string;
}

/** A transfer as the source opened it: the whole file, or the rest of it from the requested offset. */
export type OpenedTransfer =
  | { kind: 'whole'; body: Readable; size?: number }
  | { kind: 'rest'; body: Readable; size?: number }
  | { kind: 'missing' };

export interface DownloadOptions {
  /** Final path of the file. */
  path: string;
  /** Shown in progress and errors (e.g. `onnx/encoder_model.onnx`). */
  label: string;
  expected: ExpectedFile;
  /** Starts the transfer at `offset` (0: the whole file). */
  open(offset: number): Promise<OpenedTransfer>;
  progress: ProgressReporter;
}

/** The temporary name a download writes to. */
export const incompletePath = (path: string) => `${path}.incomplete`;

/** Downloads, verifies and renames. False when the source does not have the file; throws on any other failure. */
export async function downloadVerified(o: DownloadOptions): Promise<boolean> {
  const temp = incompletePath(o.path);
  mkdirSync(dirname(o.path), { recursive: true });
  let offset = existsSync(temp) ? statSync(temp).size : 0;
  if (o.expected.size !== undefined && offset > o.expected.size) offset = 0;

  let size = o.expected.size;
  if (!(size !== undefined && offset === size)) {
    const transfer = await o.open(offset);
    if (transfer.kind === 'missing') return false;
    if (transfer.kind === 'whole') offset = 0;
    size ??= transfer.size;
    let received = offset;
    // Each chunk is written before the next is read, so every byte received is on disk when a transfer breaks.
    const out = await open(temp, transfer.kind === 'whole' ? 'w' : 'a');
    try {
      for await (const chunk of transfer.body as AsyncIterable<Buffer>) {
        await out.write(chunk);
        received += chunk.byteLength;
        o.progress({ file: o.label, received, total: size, done: false });
      }
    } catch (err) {
      const reason = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new Error(
        `${o.label}: download interrupted after ${received}${size ? ` of ${size}` : ''} bytes (${reason}); run again to resume`,
        { cause: err },
      );
    } finally {
      await out.close();
    }
  }

  const actual = statSync(temp).size;
  if (size !== undefined && actual !== size) {
    // Short is an interruption the next run resumes; long cannot be repaired.
    if (actual > size) rmSync(temp, { force: true });
    throw new Error(`${o.label}: received ${actual} of ${size} bytes${actual < size ? '; run again to resume' : ''}`);
  }
  const mismatch = await checksumMismatch(temp, o.expected);
  if (mismatch) {
    rmSync(temp, { force: true });
    throw new Error(`${o.label}: ${mismatch}; the download was discarded`);
  }
  renameSync(temp, o.path);
  o.progress({ file: o.label, received: actual, total: actual, done: true });
  return true;
}

/** A description of the first checksum that does not match, or undefined when all known ones do. */
async function checksumMismatch(path: string, expected: ExpectedFile): Promise<string | undefined> {
  const checks: [string, string, ReturnType<typeof createHash>][] = [];
  if (expected.sha256) checks.push(['sha256', expected.sha256, createHash('sha256')]);
  if (expected.md5) checks.push(['md5', expected.md5, createHash('md5')]);
  if (expected.gitSha1) {
    const git = createHash('sha1');
    git.update(`blob ${statSync(path).size}\0`);
    checks.push(['git blob sha1', expected.gitSha1, git]);
  }
  if (checks.length === 0) return undefined;
  for await (const chunk of createReadStream(path)) for (const [, , hash] of checks) hash.update(chunk as Buffer);
  for (const [kind, want, hash] of checks) {
    const got = hash.digest('hex');
    if (got !== want.toLowerCase()) return `${kind} ${got} does not match the source's ${want}`;
  }
  return undefined;
}

/** An empty body (a source that says the requested range is already complete). */
export const emptyBody = (): Readable => Readable.from([]);
