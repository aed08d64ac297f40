/**
 * Human-readable log lines for a terminal, as a pino destination: pino still writes its JSON line, this turns it
 * into `12:04:05.123 INFO  [all] earshot ready url=http://127.0.0.1:8080 stt=sphinx`. Errors print their message,
 * then their stack indented. Used when stderr is a terminal (LOG_FORMAT=auto) or with LOG_FORMAT=pretty; anything
 * that reads logs as data gets the JSON lines (pino-pretty does the same, but is not among our dependencies).
 */

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[41m' },
};
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
/** pino's own fields, shown in the line's head or not at all. */
const HEAD = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'service', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** One pino JSON line as a human-readable line (or several, for an error's stack); other text passes through. */
export function formatLogLine(line: string, colors: boolean): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level), color: '' };
  const paint = (color: string, text: string) => (colors ? `${color}${text}${RESET}` : text);
  const fields: string[] = [];
  const stacks: string[] = [];
  for (const [key, v] of Object.entries(entry)) {
    if (HEAD.has(key)) continue;
    const err = v as { message?: unknown; stack?: unknown; type?: unknown } | null;
    if ((key === 'err' || key === 'error') && err && typeof err === 'object' && typeof err.message === 'string') {
      fields.push(`${key}=${value(err.message)}`);
      if (typeof err.stack === 'string') stacks.push(err.stack.split('\n').slice(1).join('\n'));
      continue;
    }
    fields.push(`${paint(DIM, `${key}=`)}${value(v)}`);
  }
  const head = [
    paint(DIM, clock(Number(entry.time ?? Date.now()))),
    paint(level.color, level.name.padEnd(5)),
    ...(entry.service ? [paint(DIM, `[${String(entry.service)}]`)] : []),
    String(entry.msg ?? ''),
  ];
  return `${[...head, ...fields].join(' ')}\n${stacks.map((s) => `${paint(DIM, s)}\n`).join('')}`;
}

/** A pino destination writing formatted lines to `out` (synchronously, like pino.destination(2)). */
export function prettyDestination(
  out: { write(text: string): unknown },
  colors: boolean,
): { write(line: string): void } {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(formatLogLine(line, colors));
    },
  };
}
