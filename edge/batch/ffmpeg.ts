/**
 * Decodes compressed audio with the ffmpeg binary into what the pipeline takes: 16 kHz mono PCM16. The upload goes
 * through a temporary file, not a pipe: MP4/M4A files often keep their index (moov) at the end, which ffmpeg can
 * only reach by seeking.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The binary could not be started (not installed, or EARSHOT_FFMPEG names nothing). */
export class FfmpegMissingError extends Error {
  override name = 'FfmpegMissingError';
}

/** ffmpeg ran and could not decode the input; the message is ffmpeg's own. */
export class FfmpegDecodeError extends Error {
  override name = 'FfmpegDecodeError';
}

export async function ffmpegToPcm16(binary: string, input: Uint8Array, signal?: AbortSignal): Promise<Int16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'earshot-ffmpeg-'));
  try {
    const path = join(dir, 'input');
    await writeFile(path, input);
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', path, '-vn', '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'];
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => (err = (err + String(d)).slice(-2000)));
      child.once('error', (e: NodeJS.ErrnoException) => {
        reject(e.code === 'ENOENT' || e.code === 'EACCES' ? new FfmpegMissingError(`ffmpeg is not available (${binary}: ${e.code})`) : e);
      });
      child.once('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out));
        else reject(new FfmpegDecodeError(err.trim().split('\n').at(-1) || `ffmpeg exited with code ${code}`));
      });
    });
    // Copy into an aligned buffer: Buffer.concat may return a slice of the shared pool at an odd offset.
    const pcm = new Int16Array(Math.floor(bytes.byteLength / 2));
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.byteLength));
    return pcm;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
