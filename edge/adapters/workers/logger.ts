/**
 * Logs on Workers: the bundler picks pino's browser build there, which writes each record as one JSON line to the
 * console, where `wrangler dev`, `wrangler tail` and Workers Logs collect it. Same fields as on Node: child loggers
 * carry the session (and job) ids.
 */
import { pino, type Logger } from 'pino';

export function workersLogger(level: string): Logger {
  return pino({ level, browser: { serialize: true, write: (record) => console.log(JSON.stringify(record)) } });
}
