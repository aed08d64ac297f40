/** Structured JSON logs (pino) on stderr. Libraries receive a logger; they never print. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string = 'info', name = 'earshot'): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

/** A logger that drops everything: the default for libraries and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
