/**
 * Download progress: sources report bytes, and the CLI draws a bar on stderr. Libraries take the reporter as an
 * option (they do not print); `stderrProgressBar` is what the earshot command passes.
 */
import type { Writable } from 'node:stream';

export interface ProgressEvent {
  file: string;
  /** Bytes received so far for `file`. */
  received: number;
  /** Size of `file` when the source knows it. */
  total?: number;
  done: boolean;
}

export type ProgressReporter = (event: ProgressEvent) => void;

const WIDTH = 30;

/** 1.5 KiB, 12.0 MiB, 1.20 GiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** One line per file, redrawn in place on a TTY (at most every `intervalMs`) and printed once when done otherwise. */
export function stderrProgressBar(
  out: Writable & { isTTY?: boolean } = process.stderr,
  intervalMs = 100,
): ProgressReporter {
  let last = 0;
  return ({ file, received, total, done }) => {
    const now = Date.now();
    if (!done && (!out.isTTY || now - last < intervalMs)) return;
    last = now;
    const fraction = total ? Math.min(1, received / total) : undefined;
    const bar =
      fraction === undefined
        ? ''
        : `[${'#'.repeat(Math.round(fraction * WIDTH)).padEnd(WIDTH, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
    const size = total ? `${formatBytes(received)} / ${formatBytes(total)}` : formatBytes(received);
    out.write(`${out.isTTY ? '\r\x1b[2K' : ''}${file} ${bar}${size}${done ? '\n' : ''}`);
  };
}
