/**
 * `npm run bench:tables`: regenerates README's performance tables from the result files committed under
 * bench/results/, so every number there can be checked against the run that produced it. A table is a block
 *
 *     <!-- bench-table bench/results/NAME.json -->
 *     …generated: the file's name, its machine and load, the table…
 *     <!-- /bench-table -->
 *
 * and the script rewrites what lies between the markers. `--check` exits 1 instead when README is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { table, type RunResult } from './load/report.ts';

/** A bench:load result file; bench:stt files have no `runs`, only their printed `table`. */
interface ResultFile {
  machine: {
    cpus: number;
    cpu: string;
    uptimeAtStart?: string;
    uptimeAtEnd?: string;
    loadavg1mAtEnd?: number;
    device?: string;
    threads?: number;
    loadavgAtEnd?: number[];
  };
  options?: { model?: string; duration?: number; guard?: string; window?: string; 'max-new-tokens'?: string };
  runs?: RunResult[] | number;
  table?: string;
  /** The script that wrote a file without `runs` (default bench:stt). */
  bench?: string;
  /** bench:load --model a,b --capacity: the largest N within the bound, per contender, as a table. */
  capacityTable?: string;
  /** bench:load --capacity: per contender, the largest N within the bound and each step's p95. */
  capacity?: Record<
    string,
    { largestWithinBound: number; steps: { sessions: number; p95: number | null; within: boolean }[] }
  >;
}

const ROOT = resolve(import.meta.dirname, '..');
const BLOCK = /<!-- bench-table (\S+) -->\n[\s\S]*?<!-- \/bench-table -->/g;

const load = (uptime: string | undefined) => /load average: (.*)$/.exec(uptime ?? '')?.[1] ?? '?';

/** The generated text of one block. */
export function renderBlock(file: string, result: ResultFile): string {
  const m = result.machine;
  if (!Array.isArray(result.runs))
    return `<!-- bench-table ${file} -->\nFrom \`${file}\` (${result.bench ?? 'bench:stt'}): ${m.cpus} × ${m.cpu}, load average at end ${m.loadavgAtEnd?.join(', ') ?? '?'}.\n\n${result.table ?? ''}\n<!-- /bench-table -->`;
  const o = result.options ?? {};
  const note =
    `From \`${file}\`: model ${o.model ?? '?'}, ${o.duration ?? '?'} s of speech per session, hallucination guard ${o.guard ?? 'on'}, ` +
    `encoder window ${o.window ?? 'full'}; ${m.cpus} × ${m.cpu}${m.device && m.device !== 'cpu' ? `, ${m.device}` : ''}; ` +
    `load average at start ${load(m.uptimeAtStart)}, at end ${load(m.uptimeAtEnd) === '?' ? (m.loadavg1mAtEnd ?? '?') : load(m.uptimeAtEnd)}.`;
  return `<!-- bench-table ${file} -->\n${note}\n\n${table(result.runs as RunResult[])}${capacityTable(result)}\n<!-- /bench-table -->`;
}

/** The capacity of each contender, when the run searched for it. */
function capacityTable(result: ResultFile): string {
  if (result.capacityTable) return `\n\n${result.capacityTable}`;
  if (!result.capacity) return '';
  const bound = (result.options as { boundMs?: number } | undefined)?.boundMs ?? '?';
  const rows = Object.entries(result.capacity).map(
    ([name, c]) =>
      `| ${name} | ${c.largestWithinBound} | ${c.steps.map((s) => `N=${s.sessions}: ${s.p95 ?? '–'}${s.within ? '' : ' ✗'}`).join(', ')} |`,
  );
  return `\n\n| contender | largest N with p95 end of speech → final ≤ ${bound} ms | p95 at each N (ms) |\n| --- | --- | --- |\n${rows.join('\n')}`;
}

export function regenerate(readme: string): string {
  return readme.replace(BLOCK, (_, file: string) =>
    renderBlock(file, JSON.parse(readFileSync(resolve(ROOT, file), 'utf8')) as ResultFile),
  );
}

if (process.argv[1]?.endsWith('readme-tables.ts')) {
  const path = resolve(ROOT, 'README.md');
  const before = readFileSync(path, 'utf8');
  const after = regenerate(before);
  if (process.argv.includes('--check')) {
    if (after !== before) {
      process.stderr.write('README.md performance tables differ from bench/results/: run npm run bench:tables\n');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(path, after);
    process.stdout.write(`${[...before.matchAll(BLOCK)].length} tables regenerated\n`);
  }
}
