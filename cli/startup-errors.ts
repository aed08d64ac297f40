/**
 * What `earshot` prints when it cannot start: one clear line (or the model store's list of ways to provide a model)
 * and no stack trace for the failures a user causes — a bad setting, a mistyped flag (with the closest valid one),
 * a port already in use (with the setting to change), a missing model or engine. Anything else is a bug and keeps
 * its stack.
 */
import { ConfigError } from '../shared/config.ts';
import { EarshotError } from '../shared/errors.ts';
import { RecorderError } from '../client/node/recorder.ts';
import { ListenError } from '../edge/adapters/node/serve.ts';

/** Edit distance, for "did you mean": small flags, so the quadratic table is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The known flag closest to `flag` (both without dashes), if one is close enough to be what was meant. */
export function closestFlag(flag: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    // A prefix (`--redi` for `--redis`) counts as close whatever its length.
    const d = name.startsWith(flag) ? 0.5 : distance(flag, name);
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(flag.length / 3)) ? best.name : undefined;
}

/** node:util parseArgs's "Unknown option '--prot'…" as one line naming the closest valid flag. */
export function unknownOptionMessage(err: unknown, known: readonly string[]): string | undefined {
  const code = (err as { code?: string } | null)?.code;
  if (code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  const flag = /Unknown option '(-{1,2}[^']+)'/.exec((err as Error).message)?.[1];
  if (!flag) return (err as Error).message;
  const name = flag.replace(/^-+/, '').split('=')[0]!;
  const guess = closestFlag(name, known);
  return `unknown option ${flag}${guess ? `; did you mean --${guess}?` : ''} (see --help)`;
}

/** The message for a failure to start that the user can fix, or undefined for a bug (print its stack). */
export function startupFailureMessage(err: unknown): string | undefined {
  if (err instanceof ListenError) {
    const where = `${err.host}:${err.port}`;
    if (err.code === 'EADDRINUSE')
      return `cannot listen on ${where}: the port is already in use (another earshot?); choose a free one with --port / PORT (0 picks one)`;
    if (err.code === 'EACCES')
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with --port / PORT`;
    if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
      return `cannot listen on ${where}: this machine has no such address; set --host / HOST to one of its addresses (0.0.0.0 for all)`;
    return `cannot listen on ${where}: ${err.message}`;
  }
  if (err instanceof ConfigError || err instanceof EarshotError || err instanceof RecorderError) return err.message;
  return undefined;
}
