/**
 * Catch-up: what a session does when it falls behind, so its latency stays flat over hours instead of drifting.
 *
 * A session is behind when its finals wait in the STT queue longer than the queue budget (the runner's `takenAt`
 * minus the edge's enqueue time), or when a final it queued has been unanswered longer than the queue and STT
 * budgets together (no result needed to notice). It stops being behind once a final waits under half the budget
 * (hysteresis, so it does not flap at the boundary). While behind:
 *
 * - partial snapshots are not queued at all (`drop_partial`): they compete with finals for the same runners;
 * - the segmenter closes utterances only after the longer catch-up silence (`merge_utterances` per pause bridged):
 *   fewer, longer jobs, fewer per-call overheads (Whisper pays a whole 30 s window per call);
 * - runners decode finals that waited past the budget at `fast` effort (counted there, `fast_effort`).
 */
import type { SessionResult } from '../../shared/queue/jobs.ts';

export type CatchUpAction = 'drop_partial' | 'merge_utterances';

export interface CatchUpOptions {
  enabled: boolean;
  queueBudgetMs: number;
  sttBudgetMs: number;
}

export interface CatchUpSummary {
  /** Times the session fell behind. */
  episodes: number;
  droppedPartials: number;
  mergedPauses: number;
  /** Finals the runners decoded at `fast` effort. */
  fastFinals: number;
}

/** The part of the segmenter catch-up steers. */
export interface CatchUpSegmenter {
  catchUp: boolean;
  readonly merged: number;
}

export class CatchUp {
  readonly #o: CatchUpOptions;
  readonly #onAction: ((action: CatchUpAction) => void) | undefined;
  /** Final jobs queued and not yet answered, by segment (insertion order = oldest first). */
  readonly #pending = new Map<number, number>();
  #lateWaits = false;
  #wasBehind = false;
  #mergedSeen = 0;
  readonly #summary: CatchUpSummary = { episodes: 0, droppedPartials: 0, mergedPauses: 0, fastFinals: 0 };

  constructor(options: CatchUpOptions, onAction?: (action: CatchUpAction) => void) {
    this.#o = options;
    this.#onAction = onAction;
  }

  queued(segment: number, at: number): void {
    this.#pending.set(segment, at);
  }

  /** A result reached the edge: finals (and a final's error) answer their job and say how long it waited. */
  answered(result: SessionResult, now: number): void {
    if (result.type === 'error' && result.seq !== undefined && result.lang === undefined)
      this.#pending.delete(result.seq);
    if (result.type !== 'final' || (result.rev ?? 1) > 1) return;
    const queuedAt = this.#pending.get(result.seq);
    this.#pending.delete(result.seq);
    if (queuedAt === undefined) return; // replayed history of a resumed session
    if (result.effort === 'fast') this.#summary.fastFinals += 1;
    const { queueBudgetMs, sttBudgetMs } = this.#o;
    if (result.takenAt !== undefined) {
      const wait = result.takenAt - queuedAt;
      if (wait > queueBudgetMs) this.#lateWaits = true;
      else if (wait <= queueBudgetMs / 2) this.#lateWaits = false;
    } else {
      // A runner that reports no timings: judge by the whole round trip.
      this.#lateWaits = now - queuedAt > queueBudgetMs + sttBudgetMs;
    }
  }

  behind(now: number): boolean {
    if (!this.#o.enabled) return false;
    let behind = this.#lateWaits;
    if (!behind) {
      const oldest = this.#pending.values().next();
      behind = !oldest.done && now - oldest.value > this.#o.queueBudgetMs + this.#o.sttBudgetMs;
    }
    if (behind && !this.#wasBehind) this.#summary.episodes += 1;
    this.#wasBehind = behind;
    return behind;
  }

  /** Before a partial snapshot is queued: false (and counted) while behind. */
  allowPartial(now: number): boolean {
    if (!this.behind(now)) return true;
    this.#summary.droppedPartials += 1;
    this.#onAction?.('drop_partial');
    return false;
  }

  /** Before audio is fed: puts the segmenter in or out of catch-up mode and counts the pauses it bridged. */
  steer(segmenter: CatchUpSegmenter, now: number): void {
    segmenter.catchUp = this.behind(now);
    for (; this.#mergedSeen < segmenter.merged; this.#mergedSeen++) {
      this.#summary.mergedPauses += 1;
      this.#onAction?.('merge_utterances');
    }
  }

  summary(): CatchUpSummary {
    return { ...this.#summary };
  }
}
