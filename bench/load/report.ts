/** Numbers, the table and the SVG chart of the load benchmark. */

export const percentile = (values: readonly number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};

export interface Percentiles {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export const summarize = (values: readonly number[]): Percentiles => ({
  n: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  p99: round(percentile(values, 99)),
});

const round = (v: number | null) => (v === null ? null : Math.round(v));

export interface RunResult {
  label: string;
  contender: 'earshot' | 'baseline' | 'remote';
  /** earshot's STT lane (issue 20); absent in runs before it. */
  lane?: 'stateless' | 'streaming';
  model: string;
  features: { batching: boolean; priority: boolean; latestWins: boolean; batchSize: number; maxWaitMs: number };
  sessions: number;
  audioSecondsPerSession: number;
  wallSeconds: number;
  endOfSpeechToFinalMs: Percentiles;
  firstPartialMs: Percentiles;
  partialIntervalMs: Percentiles;
  /** Finals with text the clients received (rev 1). */
  finals: number;
  /** Utterances the edge queued for STT (null against --url). */
  utterances: number | null;
  /** Of those, utterances in which the engine heard no words (no text, none withheld): no final is owed for them. */
  heardNothing?: number | null;
  /** Corrected finals (rev 2, text changed) the clients received. */
  corrections: number;
  /** Second passes queued, and how each ended: text changed, unchanged, or skipped because it waited too long. */
  secondPasses: { queued: number; changed: number; unchanged: number; skipped: number } | null;
  partials: number;
  /** Engine seconds per audio second streamed (all sessions); null against --url. */
  realTimeFactor: number | null;
  /** The same less second passes (finished or abandoned): the cost of partials and first-pass finals. */
  realTimeFactorFirstPasses?: number | null;
  /** CPU cores the pipeline process used on average, per session; null against --url. */
  cpuCoresPerSession: number | null;
  cpuCoresTotal: number | null;
  rssMbPerSession: number | null;
  rssMbIdle: number | null;
  rssMbPeak: number | null;
  engine: {
    batches: number;
    jobs: number;
    finals: number;
    partials: number;
    meanBatch: number;
    maxBatch: number;
    busySeconds: number;
    secondPassBusySeconds?: number;
  } | null;
  queueDepth: { t: number; stt: number; mt: number }[];
  maxQueueDepth: number;
  errors: Record<string, number>;
  sessionsCompleted: number;
}

const ms = (v: number | null) => (v === null ? '–' : String(v));
const num = (v: number | null, digits: number) => (v === null ? '–' : v.toFixed(digits));

export function table(runs: readonly RunResult[]): string {
  const header = [
    'run',
    'sessions',
    'finals / utterances',
    'second passes run / queued',
    'EoS→final p50 / p95 / p99 ms',
    'first partial p50 / p95 ms',
    'partial interval p50 ms',
    'RTF',
    'mean batch',
    'CPU cores / session',
    'RSS MB / session',
    'max queue',
    'errors',
  ];
  const rows = runs.map((r) => [
    r.label,
    String(r.sessions),
    `${r.finals} / ${r.utterances ?? '–'}`,
    r.secondPasses ? `${r.secondPasses.changed + r.secondPasses.unchanged} / ${r.secondPasses.queued}` : '–',
    `${ms(r.endOfSpeechToFinalMs.p50)} / ${ms(r.endOfSpeechToFinalMs.p95)} / ${ms(r.endOfSpeechToFinalMs.p99)}`,
    `${ms(r.firstPartialMs.p50)} / ${ms(r.firstPartialMs.p95)}`,
    ms(r.partialIntervalMs.p50),
    num(r.realTimeFactor, 2),
    r.engine ? r.engine.meanBatch.toFixed(2) : '–',
    num(r.cpuCoresPerSession, 3),
    num(r.rssMbPerSession, 1),
    String(r.maxQueueDepth),
    Object.entries(r.errors)
      .map(([k, v]) => `${k}×${v}`)
      .join(', ') || '0',
  ]);
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Latency percentiles (y) against sessions (x, log2), one colour per contender, dashes per percentile. */
export function svgChart(runs: readonly RunResult[], title: string, boundMs?: number): string {
  const W = 720;
  const H = 420;
  const m = { l: 70, r: 170, t: 40, b: 50 };
  const groups = new Map<string, RunResult[]>();
  for (const r of runs)
    groups.set(r.label.replace(/ N=\d+$/, ''), [...(groups.get(r.label.replace(/ N=\d+$/, '')) ?? []), r]);
  const xs = runs.map((r) => r.sessions);
  const xMax = Math.max(2, ...xs);
  const ys = runs.flatMap((r) => [r.endOfSpeechToFinalMs.p99 ?? 0, r.endOfSpeechToFinalMs.p95 ?? 0]);
  const yMax = Math.max(boundMs ?? 0, ...ys, 100) * 1.1;
  const x = (n: number) => m.l + (Math.log2(n) / Math.log2(xMax)) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - (v / yMax) * (H - m.t - m.b);
  const colours = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  const dashes: Record<string, string> = { p50: '', p95: '6 3', p99: '2 3' };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2 - m.r / 2}" y="22" text-anchor="middle" font-size="14">${escape(title)}</text>`);
  // Axes and ticks.
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`,
  );
  for (let n = 1; n <= xMax; n *= 2)
    parts.push(
      `<line x1="${x(n)}" y1="${H - m.b}" x2="${x(n)}" y2="${H - m.b + 5}" stroke="black"/><text x="${x(n)}" y="${H - m.b + 18}" text-anchor="middle">${n}</text>`,
    );
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 10}" text-anchor="middle">concurrent sessions</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    parts.push(
      `<line x1="${m.l - 5}" y1="${y(v)}" x2="${W - m.r}" y2="${y(v)}" stroke="#ddd"/><text x="${m.l - 8}" y="${y(v) + 4}" text-anchor="end">${Math.round(v)}</text>`,
    );
  }
  parts.push(
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">end of speech → final (ms)</text>`,
  );
  if (boundMs)
    parts.push(
      `<line x1="${m.l}" y1="${y(boundMs)}" x2="${W - m.r}" y2="${y(boundMs)}" stroke="#888" stroke-dasharray="8 4"/><text x="${W - m.r - 4}" y="${y(boundMs) - 4}" text-anchor="end" fill="#555">bound ${boundMs} ms</text>`,
    );
  let legend = m.t;
  [...groups.entries()].forEach(([name, group], gi) => {
    const colour = colours[gi % colours.length]!;
    const sorted = [...group].sort((a, b) => a.sessions - b.sessions);
    for (const p of ['p50', 'p95', 'p99'] as const) {
      const points = sorted
        .filter((r) => r.endOfSpeechToFinalMs[p] !== null)
        .map((r) => `${x(r.sessions).toFixed(1)},${y(r.endOfSpeechToFinalMs[p]!).toFixed(1)}`);
      if (points.length === 0) continue;
      parts.push(
        `<polyline points="${points.join(' ')}" fill="none" stroke="${colour}" stroke-width="2" stroke-dasharray="${dashes[p]}"/>`,
      );
      for (const pt of points)
        parts.push(`<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="3" fill="${colour}"/>`);
      parts.push(
        `<line x1="${W - m.r + 10}" y1="${legend}" x2="${W - m.r + 34}" y2="${legend}" stroke="${colour}" stroke-width="2" stroke-dasharray="${dashes[p]}"/><text x="${W - m.r + 38}" y="${legend + 4}">${escape(name)} ${p}</text>`,
      );
      legend += 16;
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
