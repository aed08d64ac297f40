/**
 * Apertium with pivots: Debian ships pairs from English into a few languages (Catalan, Galician, Esperanto, …) and
 * from Spanish into many (French, Portuguese, Italian, …). A pair with no package of its own goes through Spanish
 * (en→es→fr): two rule-based passes, rougher than one, but a sensible sentence where there was none. Direct pairs
 * always win; `route` says which way a pair goes (the capabilities endpoint shows it).
 */
import type { ApertiumEngine } from './apertium.ts';
import type { MtEngine, MtRequest, MtResult } from './types.ts';

export type ApertiumRoute = { kind: 'direct' } | { kind: 'pivot'; via: string };

export class PivotingApertium implements MtEngine {
  readonly name = 'apertium';
  readonly #inner: ApertiumEngine;
  readonly #pivot: string;

  constructor(inner: ApertiumEngine, pivot = 'es') {
    this.#inner = inner;
    this.#pivot = pivot;
  }

  load(): Promise<void> {
    return this.#inner.load();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  route(source: string, target: string): ApertiumRoute | undefined {
    if (this.#inner.supports(source, target)) return { kind: 'direct' };
    const p = this.#pivot;
    if (source !== p && target !== p && this.#inner.supports(source, p) && this.#inner.supports(p, target))
      return { kind: 'pivot', via: p };
    return undefined;
  }

  supports(source: string, target: string): boolean {
    return this.route(source, target) !== undefined;
  }

  async translate(batch: readonly MtRequest[], signal?: AbortSignal): Promise<MtResult[]> {
    // Unsupported pairs go to the inner engine as they are: it fails the batch with its unsupported_target error.
    const pivoted = batch.flatMap((r, i) => (this.route(r.source, r.target)?.kind === 'pivot' ? [i] : []));
    if (pivoted.length === 0) return this.#inner.translate(batch, signal);
    const direct = batch.flatMap((_, i) => (pivoted.includes(i) ? [] : [i]));
    const firstLeg = await this.#inner.translate(
      pivoted.map((i) => ({ ...batch[i]!, target: this.#pivot })),
      signal,
    );
    const [second, straight] = await Promise.all([
      this.#inner.translate(
        pivoted.map((i, k) => ({ ...batch[i]!, source: this.#pivot, text: firstLeg[k]!.text })),
        signal,
      ),
      direct.length
        ? this.#inner.translate(
            direct.map((i) => batch[i]!),
            signal,
          )
        : Promise.resolve([]),
    ]);
    const out: MtResult[] = new Array(batch.length);
    pivoted.forEach((i, k) => (out[i] = { id: batch[i]!.id, text: second[k]!.text }));
    direct.forEach((i, k) => (out[i] = straight[k]!));
    return out;
  }
}
