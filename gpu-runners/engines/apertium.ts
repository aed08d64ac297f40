/**
 * Rule-based machine translation through Debian's Apertium language pairs. Each pair runs as ONE long-lived
 * pipeline process fed NUL-separated requests, so a sentence costs milliseconds instead of a process start.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EarshotError } from '../../shared/errors.ts';
import type { MtEngine, MtRequest, MtResult } from './types.ts';

const INSTALL_HINT = 'install it with `apt-get install apertium apertium-eng-spa` (or the apertium-* pair you need)';

/** ISO 639-1 → the ISO 639-3 codes Apertium names its modes with. Unlisted 3-letter codes pass through. */
const ISO3: Readonly<Record<string, string>> = {
  af: 'afr',
  an: 'arg',
  ar: 'ara',
  be: 'bel',
  bg: 'bul',
  br: 'bre',
  bs: 'bos',
  ca: 'cat',
  cs: 'ces',
  cy: 'cym',
  da: 'dan',
  de: 'deu',
  en: 'eng',
  eo: 'epo',
  es: 'spa',
  eu: 'eus',
  fr: 'fra',
  gl: 'glg',
  hr: 'hrv',
  id: 'ind',
  is: 'isl',
  it: 'ita',
  kk: 'kaz',
  mk: 'mkd',
  ms: 'msa',
  mt: 'mlt',
  nb: 'nob',
  nl: 'nld',
  nn: 'nno',
  oc: 'oci',
  pl: 'pol',
  pt: 'por',
  ro: 'ron',
  ru: 'rus',
  sk: 'slk',
  sl: 'slv',
  sr: 'srp',
  sv: 'swe',
  tt: 'tat',
  uk: 'ukr',
  ur: 'urd',
};
const ISO1 = Object.fromEntries(Object.entries(ISO3).map(([one, three]) => [three, one]));

function toIso3(code: string): string {
  const base = code.toLowerCase().split(/[-_]/)[0] ?? '';
  return ISO3[base] ?? base;
}

/**
 * Apertium's stream format gives ^ $ / \ [ ] { } < > @ * # meanings; unescaped they corrupt the stream (lt-proc
 * reports "Malformed input stream" and drops the segment). Newlines become spaces so a request stays one segment.
 */
export function escapeApertium(text: string): string {
  return text.replace(/[\0\r\n]+/g, ' ').replace(/[\^$/\\[\]{}<>@*#]/g, '\\$&');
}

/** The pipeline keeps the backslashes of escaped characters (and drops some itself); drop the rest here. */
export function unescapeApertium(text: string): string {
  return text.replace(/\\(.)/gs, '$1');
}

export interface ApertiumOptions {
  /** Where the `<src>-<tgt>.mode` files live (default /usr/share/apertium/modes). */
  modesDir?: string;
  /** A request still unanswered after this long fails with `mt_failed` and restarts its pipeline (default 10 s). */
  timeoutMs?: number;
}

interface Pending {
  resolve: (text: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One pair's pipeline. Protocol (lttoolbox 3.7.1 workaround): `lt-proc -z` only flushes a segment when it reads
 * the character after the NUL, so each request ends in TWO NULs and yields two output segments: the translation,
 * then an empty one. Token 2k answers request k; a non-empty odd token means we lost sync.
 */
class PairProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private buffer = '';
  private expectEmpty = false;
  private stderrTail = '';
  private dead = false;

  constructor(
    readonly pair: string,
    command: string,
    private readonly timeoutMs: number,
    private readonly onDead: (proc: PairProcess) => void,
  ) {
    // detached: the pipeline gets its own process group, so one signal reaches every stage, not just `sh`.
    this.child = spawn('sh', ['-c', command], { detached: true, stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => (this.stderrTail = (this.stderrTail + chunk).slice(-500)));
    this.child.stdin.on('error', (err) => this.fail(`apertium ${pair} stdin: ${err.message}`));
    this.child.on('error', (err) => this.fail(`apertium ${pair} failed to start: ${err.message}`));
    this.child.on('exit', (code, signal) => this.fail(`apertium ${pair} exited (${signal ?? `code ${code}`})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(text: string): Promise<string> {
    if (this.dead) return Promise.reject(new EarshotError('mt_failed', `apertium ${this.pair} is not running`));
    return new Promise((resolve, reject) => {
      // A stuck pipeline would hold every later request too, so a timeout restarts it rather than skipping one.
      const timer = setTimeout(
        () => this.fail(`apertium ${this.pair} timed out after ${this.timeoutMs} ms`),
        this.timeoutMs,
      );
      this.pending.push({ resolve, reject, timer });
      // The trailing space works around lt-proc dropping a segment's last character (often its full stop).
      this.child.stdin.write(`${escapeApertium(text)} \0\0`);
    });
  }

  private onData(chunk: string): void {
    if (this.dead) return;
    this.buffer += chunk;
    let nul: number;
    while (!this.dead && (nul = this.buffer.indexOf('\0')) >= 0) {
      const token = this.buffer.slice(0, nul);
      this.buffer = this.buffer.slice(nul + 1);
      if (this.expectEmpty) {
        if (token.trim() !== '') return this.fail(`apertium ${this.pair} output out of sync`);
        this.expectEmpty = false;
        continue;
      }
      const head = this.pending.shift();
      if (!head) return this.fail(`apertium ${this.pair} produced unrequested output`);
      clearTimeout(head.timer);
      head.resolve(unescapeApertium(token).trim());
      this.expectEmpty = true;
    }
  }

  /** Fails every pending request and tears the pipeline down; the engine starts a fresh one on the next request. */
  fail(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    const detail = this.stderrTail.trim() ? `${reason}: ${this.stderrTail.trim()}` : reason;
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new EarshotError('mt_failed', detail));
    }
    this.onDead(this);
    try {
      if (this.child.pid) process.kill(-this.child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
    this.child.stdin.destroy();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
  }
}

/** Apertium-backed {@link MtEngine}; language pairs are whatever `apertium-*` packages are installed. */
export class ApertiumEngine implements MtEngine {
  readonly name = 'apertium';
  private readonly modesDir: string;
  private readonly timeoutMs: number;
  /** `eng-spa` (ISO 639-3 pair) → the mode file's name (`eng-spa`, or `en-gl` for pairs named with 2-letter codes). */
  private pairs: Map<string, string> | null = null;
  private readonly procs = new Map<string, PairProcess>();
  private readonly commands = new Map<string, string>();

  constructor(options: ApertiumOptions = {}) {
    this.modesDir = options.modesDir ?? '/usr/share/apertium/modes';
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Checks that apertium is installed and lists its pairs; pipelines start lazily, on a pair's first request. */
  async load(): Promise<void> {
    this.pairs = null;
    this.availablePairs();
    if (!findProgram('lt-proc'))
      throw new EarshotError('engine_unavailable', `apertium binaries not found (lt-proc); ${INSTALL_HINT}`);
  }

  supports(source: string, target: string): boolean {
    try {
      return this.availablePairs().has(`${toIso3(source)}-${toIso3(target)}`);
    } catch {
      return false; // no modes directory: nothing is supported (translate() says why)
    }
  }

  /** Installed pairs as ISO 639-1 `src-tgt` where a code is known, e.g. `en-es`. */
  listPairs(): string[] {
    return [...this.availablePairs().keys()]
      .map((p) =>
        p
          .split('-')
          .map((c) => ISO1[c] ?? c)
          .join('-'),
      )
      .sort();
  }

  /** Live pipelines, one per pair in use. */
  get processCount(): number {
    return this.procs.size;
  }

  /** Process id of a pair's pipeline (its `sh`, leader of the process group), if running. */
  pidFor(source: string, target: string): number | undefined {
    return this.procs.get(`${toIso3(source)}-${toIso3(target)}`)?.pid;
  }

  async translate(batch: readonly MtRequest[], signal?: AbortSignal): Promise<MtResult[]> {
    signal?.throwIfAborted();
    this.availablePairs(); // engine_unavailable rather than unsupported_target when apertium is not installed
    // Validate the whole batch before writing anything, so a bad request never leaves half a batch in flight.
    for (const req of batch) {
      if (req.text.trim() && !this.supports(req.source, req.target)) {
        const available = this.listPairs().join(', ') || 'none';
        throw new EarshotError(
          'unsupported_target',
          `apertium cannot translate ${req.source}→${req.target}; installed pairs: ${available}`,
        );
      }
    }
    const all = Promise.all(
      batch.map(async (req) => {
        if (!req.text.trim()) return { id: req.id, text: '' };
        return {
          id: req.id,
          text: await this.process(`${toIso3(req.source)}-${toIso3(req.target)}`).request(req.text),
        };
      }),
    );
    if (!signal) return all;
    // Requests already written cannot be withdrawn (their answers keep the stream in step), so an abort only
    // stops waiting for them.
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      all.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Kills every pipeline; pending requests fail with `mt_failed`. */
  async close(): Promise<void> {
    for (const proc of [...this.procs.values()]) proc.fail('apertium engine closed');
    this.procs.clear();
  }

  private process(pair: string): PairProcess {
    let proc = this.procs.get(pair);
    if (!proc) {
      proc = new PairProcess(pair, this.command(pair), this.timeoutMs, (dead) => {
        if (this.procs.get(pair) === dead) this.procs.delete(pair);
      });
      this.procs.set(pair, proc);
    }
    return proc;
  }

  /**
   * The pair's mode pipeline, run directly: the `apertium` wrapper `cat`s /dev/stdin, which fails on the socket
   * Node gives a child as stdin. Every stage gets `-z` (flush at NUL); `$1` (generator option) becomes `-n`
   * (no unknown-word marks) and `$2` (tagger option) is dropped.
   */
  private command(pair: string): string {
    const cached = this.commands.get(pair);
    if (cached) return cached;
    const mode = fs
      .readFileSync(path.join(this.modesDir, `${this.availablePairs().get(pair) ?? pair}.mode`), 'utf8')
      .trim();
    const stages = mode.split('|').map((stage) => {
      const m = /^\s*(\S+)(.*)$/s.exec(stage);
      if (!m) throw new EarshotError('engine_unavailable', `unreadable apertium mode ${pair}`);
      const program = m[1]!;
      const rest = m[2]!;
      if (!findProgram(program))
        throw new EarshotError('engine_unavailable', `apertium program ${program} not found; ${INSTALL_HINT}`);
      return `${program}${/(^|\s)-z(\s|$)/.test(rest) ? '' : ' -z'}${rest}`;
    });
    const command = stages.join(' | ').replace(/\$1/g, '-n').replace(/\$2/g, '');
    this.commands.set(pair, command);
    return command;
  }

  private availablePairs(): Map<string, string> {
    if (this.pairs) return this.pairs;
    let files: string[];
    try {
      files = fs.readdirSync(this.modesDir);
    } catch (err) {
      throw new EarshotError('engine_unavailable', `no apertium modes in ${this.modesDir}; ${INSTALL_HINT}`, {
        cause: err,
      });
    }
    // Variant modes (spa-eng_US.mode) and debug modes (eng-spa-tagger.mode) are not plain language pairs. Older
    // packages name modes with 2-letter codes (en-gl, es-pt): keyed by ISO 639-3 like the rest.
    this.pairs = new Map();
    for (const file of files) {
      const mode = /^([a-z]{2,3})-([a-z]{2,3})\.mode$/.exec(file);
      if (mode) this.pairs.set(`${toIso3(mode[1]!)}-${toIso3(mode[2]!)}`, `${mode[1]}-${mode[2]}`);
    }
    return this.pairs;
  }
}

function findProgram(program: string): boolean {
  const isExecutable = (file: string) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (program.includes('/')) return isExecutable(program);
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => dir && isExecutable(path.join(dir, program)));
}
