/**
 * Per-stage latency of one session's finals, against configurable budgets:
 *
 * - `vad`: the audio at the utterance's end reached the edge → its final job queued (the silence wait, mostly);
 * - `queue`: job queued → a runner took it (the runner's `takenAt`, so across machines it includes clock skew);
 * - `stt`: the engine's time for the batch that held the job (the runner's `sttMs`);
 * - `mt`: the final reached the edge → a translation of it reached the edge (per target);
 * - `relay`: a final or translation reached the edge → sent to the client (waiting for its turn in seq order).
 *
 * Each sample goes to the runtime's observer (prom-client `earshot_stage_seconds{stage}` on Node) and into the
 * session's own summary (percentiles, over-budget counts), logged when the session ends.
 */
export const STAGES = ['vad', 'queue', 'stt', 'mt', 'relay'] as const;
export type Stage = (typeof STAGES)[number];
/** Milliseconds per stage. */
export type StageBudgets = Record<Stage, number>;

export const DEFAULT_STAGE_BUDGETS: StageBudgets = { vad: 1000, queue: 2000, stt: 2000, mt: 2000, relay: 250 };

export interface StageSummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
  budgetMs: number;
  overBudget: number;
}

/** Samples kept per stage for percentiles: the latest ones (a long session's summary describes its recent past). */
const KEEP = 2048;

export class StageLatency {
  readonly #budgets: StageBudgets;
  readonly #observe: ((stage: Stage, seconds: number) => void) | undefined;
  readonly #stats = new Map<Stage, { recent: number[]; count: number; max: number; over: number }>();

  constructor(budgets: StageBudgets, observe?: (stage: Stage, seconds: number) => void) {
    this.#budgets = budgets;
    this.#observe = observe;
  }

  get budgets(): StageBudgets {
    return this.#budgets;
  }

  record(stage: Stage, ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    this.#observe?.(stage, value / 1000);
    let s = this.#stats.get(stage);
    if (!s) this.#stats.set(stage, (s = { recent: [], count: 0, max: 0, over: 0 }));
    s.count += 1;
    s.max = Math.max(s.max, value);
    if (value > this.#budgets[stage]) s.over += 1;
    s.recent.push(value);
    if (s.recent.length > KEEP) s.recent.splice(0, s.recent.length - KEEP);
  }

  summary(): Partial<Record<Stage, StageSummary>> {
    const out: Partial<Record<Stage, StageSummary>> = {};
    for (const stage of STAGES) {
      const s = this.#stats.get(stage);
      if (!s) continue;
      const sorted = [...s.recent].sort((a, b) => a - b);
      const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
      out[stage] = {
        count: s.count,
        p50Ms: at(0.5),
        p90Ms: at(0.9),
        maxMs: Math.round(s.max),
        budgetMs: this.#budgets[stage],
        overBudget: s.over,
      };
    }
    return out;
  }
}

/** Audio kept in the arrival index (seconds): longer than any utterance plus its silence wait. */
const HORIZON_SECONDS = 120;

/** When audio reached the edge, by stream time: `mark(end, at)` says the audio before `end` (seconds) had arrived at `at`. */
export class AudioArrivals {
  #ends: number[] = [];
  #ats: number[] = [];

  mark(end: number, at: number): void {
    this.#ends.push(end);
    this.#ats.push(at);
    if (this.#ends.length > 256 && this.#ends[0]! < end - HORIZON_SECONDS) {
      const drop = this.#ends.findIndex((e) => e >= end - HORIZON_SECONDS);
      this.#ends.splice(0, drop);
      this.#ats.splice(0, drop);
    }
  }

  /** When the audio at stream time `t` arrived; undefined when not in the index (after the latest mark, or pruned). */
  at(t: number): number | undefined {
    const ends = this.#ends;
    if (ends.length === 0 || t > ends[ends.length - 1]! + 1e-6) return undefined;
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! + 1e-6 >= t) hi = mid;
      else lo = mid + 1;
    }
    return this.#ats[lo];
  }
}
