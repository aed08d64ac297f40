/**
 * `npm run bench:drift`: does end-of-speech → final latency drift over a long session? One realtime session of
 * real speech (sphinx STT, no MT) streamed at `--speed` times real time, with catch-up on and/or off; prints the
 * latency per 5 minutes of audio, the first and last 5 minutes compared, the catch-up actions taken and the session's
 * per-stage latency, and writes JSON under bench/results/.
 *
 *   npm run bench:drift -- --minutes 60 --speed auto --catch-up on,off
 *   npm run bench:drift -- --minutes 12 --speed 12 --catch-up off --two-pass behind
 *
 * --speed auto (default) paces at --factor (default 1.4) times the capacity measured first (full-effort sphinx,
 * two decoders, no partials): above what the pipeline sustains without catch-up, below what it sustains with it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runDrift, sphinxCapacity, windowOf, type DriftResult } from './drift/harness.ts';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    speed: { type: 'string', default: 'auto' },
    factor: { type: 'string', default: '1.4' },
    'catch-up': { type: 'string', default: 'on,off' },
    'two-pass': { type: 'string', default: 'off' },
    out: { type: 'string', default: 'bench/results' },
    name: { type: 'string' },
  },
});

const log = (m: string) => process.stderr.write(`[bench:drift ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const minutes = Number(args.minutes);
let capacity: number | null = null;
let speed = Number(args.speed);
if (args.speed === 'auto') {
  capacity = await sphinxCapacity();
  speed = Math.round(capacity * Number(args.factor) * 10) / 10;
  log(`capacity ${capacity.toFixed(1)}× real time (full effort, no partials): pacing at ${speed}×`);
}

const runs: (Omit<DriftResult, 'finals'> & {
  first5: ReturnType<typeof windowOf>;
  last5: ReturnType<typeof windowOf>;
  finalsCount: number;
})[] = [];
for (const mode of args['catch-up'].split(',')) {
  log(`${minutes} min at ${speed}×, catch-up ${mode}, two-pass ${args['two-pass']}`);
  const r = await runDrift({
    minutes,
    speed,
    catchUp: mode === 'on',
    env: { EARSHOT_STT_TWO_PASS: args['two-pass'] },
    onProgress: (s) => s > 0 && log(`  ${Math.round(s / 60)} min sent`),
  });
  const { finals, ...rest } = r;
  runs.push({
    ...rest,
    finalsCount: finals.length,
    first5: windowOf(finals, 0, 5),
    last5: windowOf(finals, minutes - 5, minutes),
  });
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '–' : (ms / 1000).toFixed(2));
console.log(
  `\nend of speech → final latency (s), ${minutes} min of audio at ${speed}× real time${capacity ? ` (capacity ${capacity.toFixed(1)}×)` : ''}\n`,
);
console.log(`| audio minutes | ${runs.map((r) => `catch-up ${r.catchUp ? 'on' : 'off'} p50 | p90`).join(' | ')} |`);
console.log(`|---|${runs.map(() => '---|---').join('|')}|`);
for (const [i, w] of runs[0]!.windows.entries())
  console.log(
    `| ${w.fromMinute}–${w.toMinute} | ${runs.map((r) => `${fmt(r.windows[i]!.p50Ms)} | ${fmt(r.windows[i]!.p90Ms)}`).join(' | ')} |`,
  );
console.log('');
console.log(
  '| run | wall s | finals | first 5 min p50 | last 5 min p50 | last / first | catch-up actions | stage p50 ms (vad / queue / stt / relay) |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of runs) {
  const s = r.session.stages ?? {};
  const stages = ['vad', 'queue', 'stt', 'relay'].map((k) => s[k]?.p50Ms ?? '–').join(' / ');
  const actions =
    Object.entries(r.catchUpActions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  console.log(
    `| catch-up ${r.catchUp ? 'on' : 'off'} | ${r.wallSeconds} | ${r.finalsCount} | ${fmt(r.first5.p50Ms)} | ${fmt(r.last5.p50Ms)} | ${(r.last5.p50Ms / r.first5.p50Ms).toFixed(2)} | ${actions} | ${stages} |`,
  );
}

mkdirSync(args.out, { recursive: true });
const file = join(args.out, `${args.name ?? `drift-${new Date().toISOString().replace(/[:.]/g, '-')}`}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ machine: { cpus: cpus().length, loadavg: loadavg() }, minutes, speed, capacity, twoPass: args['two-pass'], runs }, null, 2)}\n`,
);
log(`wrote ${file}`);
