/**
 * Structured logs (pino) on stderr: JSON lines for machines, or readable lines for a person at a terminal
 * (`format`: `auto` chooses by whether stderr is a TTY). Libraries receive a logger; they never print.
 */
import { pino, type Logger } from 'pino';
import { prettyDestination } from './log-pretty.ts';

export type { Logger };

export type LogFormat = 'auto' | 'json' | 'pretty';

/** Whether logs written to stderr are for a person: `auto` means stderr is a terminal. */
export function prettyLogs(format: LogFormat, stderr: { isTTY?: boolean } = process.stderr): boolean {
  return format === 'pretty' || (format === 'auto' && stderr.isTTY === true);
}

export function createLogger(level: string = 'info', name = 'earshot', format: LogFormat = 'json'): Logger {
  const pretty = prettyLogs(format);
  // The pretty destination writes synchronously to fd 2 as pino.destination(2) does, so a crash loses no line.
  const destination = pretty
    ? prettyDestination({ write: (s: string) => process.stderr.write(s) }, !process.env.NO_COLOR)
    : pino.destination({ dest: 2, sync: true });
  return pino({ name, level, base: { pid: process.pid } }, destination);
}

/** A logger that drops everything: the default for libraries and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
