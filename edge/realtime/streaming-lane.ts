/**
 * The edge's side of the streaming lane: binds each live session to one STT runner that streams (the one holding
 * the fewest utterance states) and sends it the session's jobs through that runner's own queue — a partial as only
 * the audio since the last one, a final whole. When the runner is gone, draining or full at an utterance's start,
 * the session is bound to another, which rebuilds the utterance from its start. With no streaming runner at all,
 * jobs go to the shared queue as in the stateless lane (finals still marked, so any runner that streams decodes
 * them as a stream would; others ignore the mark). Sessions see only `add`: the realtime session code is the same on both lanes.
 */
import type { Logger } from '../../shared/logger.ts';
import { metrics } from '../../shared/metrics.ts';
import type { SttJob } from '../../shared/queue/jobs.ts';
import type { StreamRoutes, SttQueue } from '../../shared/queue/ports.ts';
import type { RunnerInfo } from '../../shared/queue/runner-registry.ts';

export interface StreamingLaneOptions {
  shared: Pick<SttQueue, 'add'>;
  routes: Pick<StreamRoutes, 'queue'>;
  /** Live runners as last polled (the edge's heartbeat cache): sessions never wait on the registry. */
  runners: () => readonly RunnerInfo[];
  logger: Logger;
  /** A session with no job this long is forgotten (default 10 min). */
  forgetMs?: number;
  now?: () => number;
}

interface Binding {
  /** The runner holding the session's state; null while none can (its finals go to the shared queue). */
  runner: string | null;
  /**
   * The utterance being streamed (its number and start: a snapshot of an utterance later dropped as too short
   * shares its number with the next one), and how many of its samples the runner has been sent.
   */
  segment: number;
  start: number;
  /** -1: a send failed, the rest of this utterance's partials are skipped (its final is rebuilt whole). */
  sent: number;
  usedAt: number;
}

export class StreamingLaneRouter implements Pick<SttQueue, 'add'> {
  readonly #o: StreamingLaneOptions;
  readonly #bindings = new Map<string, Binding>();
  #sweptAt = 0;

  constructor(options: StreamingLaneOptions) {
    this.#o = options;
  }

  /** Sessions this edge has bound to each runner, for balancing and /health/full. */
  bound(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const b of this.#bindings.values()) if (b.runner) counts.set(b.runner, (counts.get(b.runner) ?? 0) + 1);
    return counts;
  }

  async add(job: SttJob): Promise<void> {
    // Second passes, glossary sessions (their decoders learn words) and whole-window decodes stay stateless.
    if (job.kind === 'refine' || job.glossary?.length || job.window === 'full' || job.withTokens)
      return this.#o.shared.add(job);
    const now = (this.#o.now ?? Date.now)();
    this.#sweep(now);
    const streaming = this.#o.runners().filter((r) => r.role === 'stt' && r.streams && r.state === 'running');
    let binding = this.#bindings.get(job.session);
    // No runner streams (yet: a runner announces streams once its decoders are loaded): the shared queue, finals
    // marked all the same, so a runner that can decodes them as a stream would and a session's text never depends
    // on when a runner was ready.
    if (!binding && streaming.length === 0)
      return this.#o.shared.add(job.kind === 'final' ? { ...job, stream: { offset: 0 } } : job);
    if (!binding) {
      binding = { runner: null, segment: job.segment, start: job.start, sent: 0, usedAt: now };
      this.#bindings.set(job.session, binding);
    }
    binding.usedAt = now;
    const newUtterance = binding.segment !== job.segment || binding.start !== job.start;
    if (newUtterance) {
      binding.segment = job.segment;
      binding.start = job.start;
      binding.sent = 0;
    }
    const current = binding.runner ? streaming.find((r) => r.id === binding.runner) : undefined;
    // Move at an utterance's start when the runner is full; at once when it is gone or draining.
    if (!current || (newUtterance && current.streams!.held >= current.streams!.max)) {
      const next = this.#choose(streaming, binding.runner);
      if (next && next !== binding.runner) {
        metrics.sttLaneSessions.inc({ event: binding.runner ? 'rebound' : 'bound' });
        this.#o.logger.debug({ session: job.session, from: binding.runner, to: next }, 'streaming lane: session bound');
        binding.runner = next;
        // The new runner has none of this utterance: send it from the start.
        binding.sent = 0;
      } else if (!current) binding.runner = null;
    }

    if (job.kind === 'final') {
      const final = { ...job, stream: { offset: binding.sent } };
      binding.sent = 0;
      return binding.runner ? this.#o.routes.queue(binding.runner).add(final) : this.#o.shared.add(final);
    }
    // A partial: only the new audio the final will certainly keep; none new, nothing to ask.
    if (!binding.runner) return this.#o.shared.add(job);
    const stable = Math.min(job.stable ?? 0, job.pcm.length);
    const offset = binding.sent;
    if (offset < 0 || stable <= offset) return;
    binding.sent = stable;
    try {
      await this.#o.routes
        .queue(binding.runner)
        .add({ ...job, pcm: job.pcm.slice(offset, stable), stream: { offset } });
    } catch (err) {
      if (binding.segment === job.segment) binding.sent = -1;
      throw err;
    }
  }

  /** The streaming runner with the fewest states (its heartbeat, or this edge's bindings when more), with room. */
  #choose(streaming: readonly RunnerInfo[], avoid: string | null): string | null {
    const bound = this.bound();
    let best: { id: string; load: number } | null = null;
    for (const r of streaming) {
      const load = Math.max(r.streams!.held, bound.get(r.id) ?? 0) + (r.id === avoid ? 0.5 : 0);
      if (load >= r.streams!.max) continue;
      if (!best || load < best.load) best = { id: r.id, load };
    }
    return best?.id ?? null;
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < 10_000) return;
    this.#sweptAt = now;
    const forgetMs = this.#o.forgetMs ?? 600_000;
    for (const [session, b] of this.#bindings) if (now - b.usedAt > forgetMs) this.#bindings.delete(session);
  }
}
