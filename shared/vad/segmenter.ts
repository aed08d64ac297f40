/**
 * Cuts a stream of 16 kHz PCM into utterances (sans-I/O: `feed(pcm) → events`, no sockets or timers inside).
 *
 * An utterance opens when enough recent frames are speech, with `preRollMs` of audio before the trigger so word
 * onsets are not clipped; it closes after `silenceMs` of mostly non-speech, or is split at the quietest frame near
 * `maxUtteranceMs` so a speaker who never pauses still gets finals. While it is open, a provisional snapshot of the
 * audio so far is emitted every `partialIntervalMs` of audio, for partial captions.
 */

export interface SegmenterOptions {
  sampleRate: number;
  frameMs: 10 | 20 | 30;
  /** Trailing audio with at most 10 % speech frames for this long closes an utterance. */
  silenceMs: number;
  /** Longest utterance before a forced split. */
  maxUtteranceMs: number;
  /** Audio kept before the speech trigger. */
  preRollMs: number;
  /** Utterances with less speech than this are dropped as clicks and breaths. */
  minSpeechMs: number;
  /** Audio time between provisional snapshots; 0 disables snapshots. */
  partialIntervalMs: number;
  /** Silence that closes an utterance while `catchUp` is set (its session is behind): fewer, longer utterances. */
  catchUpSilenceMs?: number;
}

export const DEFAULT_SEGMENTER_OPTIONS: SegmenterOptions = {
  sampleRate: 16000,
  frameMs: 30,
  silenceMs: 600,
  maxUtteranceMs: 15000,
  preRollMs: 300,
  minSpeechMs: 200,
  partialIntervalMs: 700,
};

/** Times are sample offsets from the start of the stream. */
export type SegmenterEvent =
  /** `rev` numbers the snapshots of one utterance (1, 2, …): the same audio gives the same numbers on any edge. */
  /**
   * `stableSamples`: how much of `pcm` the utterance's final audio certainly starts with (the rest may still be cut
   * off as trailing silence), so the streaming lane feeds a decoder only audio it will never have to take back.
   */
  | { type: 'snapshot'; segment: number; rev: number; startSample: number; pcm: Int16Array; stableSamples: number }
  | { type: 'utterance'; segment: number; startSample: number; endSample: number; pcm: Int16Array };

export interface SpeechDetector {
  readonly frameSamples: number;
  isSpeech(frame: Int16Array): boolean;
  /** Forgets adapted state. Detectors that have it are reset at every utterance end (see #close). */
  reset?(): void;
}

/** Voiced frames among the last few that open an utterance (a single voiced frame is usually a click). */
const TRIGGER_WINDOW = 5;
const TRIGGER_VOICED = 3;
const SILENCE_MAX_VOICED_RATIO = 0.1;
/** A forced split looks this far back for the quietest frame. */
const SPLIT_SEARCH_MS = 1500;

export class UtteranceSegmenter {
  readonly #o: SegmenterOptions;
  readonly #vad: SpeechDetector;
  readonly #frameSamples: number;
  #pending = new Int16Array(0);
  /** Absolute sample offset of the next frame to classify. */
  #position = 0;
  /** Recent frames, kept for pre-roll while idle. */
  #history: { pcm: Int16Array; speech: boolean }[] = [];
  #open: {
    startSample: number;
    frames: { pcm: Int16Array; speech: boolean }[];
    lastSnapshotSample: number;
    snapshots: number;
    bridging?: boolean;
  } | null = null;
  #segment = 0;
  #catchUp = false;
  #merged = 0;

  /**
   * `origin` continues a stream another segmenter started (a session resumed on another edge): numbering goes on
   * after `segments` and times count from `sample`.
   */
  constructor(
    vad: SpeechDetector,
    options: Partial<SegmenterOptions> = {},
    origin: { segments: number; sample: number } = { segments: 0, sample: 0 },
  ) {
    this.#o = { ...DEFAULT_SEGMENTER_OPTIONS, ...options };
    this.#vad = vad;
    this.#segment = origin.segments;
    this.#position = origin.sample;
    this.#frameSamples = (this.#o.sampleRate * this.#o.frameMs) / 1000;
    if (vad.frameSamples !== this.#frameSamples) throw new Error('VAD frame size does not match the segmenter');
  }

  /** Samples consumed so far (the stream's clock). */
  get position(): number {
    return this.#position + this.#pending.length;
  }

  /** True while an utterance is open. */
  get inSpeech(): boolean {
    return this.#open !== null;
  }

  /**
   * Catch-up mode, switched at any time: pauses shorter than `catchUpSilenceMs` no longer close utterances. Off (the
   * default) segments exactly as without it; a session resumed elsewhere starts with it off, so the utterances of a
   * session that was behind at the moment it moved may be cut differently from an uninterrupted one.
   */
  set catchUp(on: boolean) {
    this.#catchUp = on;
  }

  get catchUp(): boolean {
    return this.#catchUp;
  }

  /** Pauses that would have closed an utterance but did not, because of catch-up mode. */
  get merged(): number {
    return this.#merged;
  }

  feed(pcm: Int16Array): SegmenterEvent[] {
    const events: SegmenterEvent[] = [];
    const data = concat(this.#pending, pcm);
    let offset = 0;
    for (; offset + this.#frameSamples <= data.length; offset += this.#frameSamples) {
      const frame = data.slice(offset, offset + this.#frameSamples);
      this.#step({ pcm: frame, speech: this.#vad.isSpeech(frame) }, events);
      this.#position += this.#frameSamples;
    }
    this.#pending = data.slice(offset);
    return events;
  }

  /** End of stream: closes the open utterance, including a partial last frame. */
  finish(): SegmenterEvent[] {
    const events: SegmenterEvent[] = [];
    if (this.#open && this.#pending.length > 0) {
      this.#open.frames.push({ pcm: this.#pending, speech: false });
      this.#position += this.#pending.length;
    }
    this.#pending = new Int16Array(0);
    this.#close(this.#open?.frames.length ?? 0, events);
    return events;
  }

  #step(frame: { pcm: Int16Array; speech: boolean }, events: SegmenterEvent[]): void {
    const o = this.#o;
    if (!this.#open) {
      this.#history.push(frame);
      const keep = Math.max(TRIGGER_WINDOW, Math.ceil(o.preRollMs / o.frameMs) + TRIGGER_WINDOW);
      if (this.#history.length > keep) this.#history.shift();
      const recent = this.#history.slice(-TRIGGER_WINDOW);
      if (recent.filter((f) => f.speech).length < TRIGGER_VOICED) return;
      const preRollFrames = Math.ceil(o.preRollMs / o.frameMs) + TRIGGER_WINDOW;
      const frames = this.#history.slice(-preRollFrames);
      const startSample = this.#position + this.#frameSamples - frames.length * this.#frameSamples;
      this.#open = { startSample, frames, lastSnapshotSample: startSample, snapshots: 0 };
      this.#history = [];
      return;
    }

    const open = this.#open;
    open.frames.push(frame);
    let silenceFrames = Math.ceil(o.silenceMs / o.frameMs);
    if (this.#catchUp && o.catchUpSilenceMs !== undefined && o.catchUpSilenceMs > o.silenceMs) {
      // A pause long enough to close normally but not now: once speech resumes across it, it has been merged.
      if (isQuiet(open.frames, silenceFrames)) open.bridging = true;
      else if (open.bridging) {
        open.bridging = false;
        this.#merged += 1;
      }
      silenceFrames = Math.ceil(o.catchUpSilenceMs / o.frameMs);
    }
    if (isQuiet(open.frames, silenceFrames)) {
      // Keep a little of the trailing silence: recognisers place word ends better with some context.
      const postRoll = Math.min(silenceFrames, Math.ceil(200 / o.frameMs));
      this.#close(open.frames.length - silenceFrames + postRoll, events);
      return;
    }

    const durationMs = open.frames.length * o.frameMs;
    if (durationMs >= o.maxUtteranceMs) {
      this.#close(this.#quietestSplit(open.frames), events);
      return;
    }

    const endSample = open.startSample + open.frames.length * this.#frameSamples;
    if (o.partialIntervalMs > 0 && endSample - open.lastSnapshotSample >= (o.partialIntervalMs * o.sampleRate) / 1000) {
      open.lastSnapshotSample = endSample;
      open.snapshots += 1;
      const stableSamples = this.#stableFrames(open.frames, silenceFrames) * this.#frameSamples;
      events.push({
        type: 'snapshot',
        segment: this.#segment + 1,
        rev: open.snapshots,
        startSample: open.startSample,
        pcm: joinFrames(open.frames),
        stableSamples,
      });
    }
  }

  /**
   * Frames of the open utterance that any later close keeps. A silence close cuts at `start + postRoll` of a window
   * of `silenceFrames` frames with at most 10 % voiced, ending now or later (later frames may all be silent): its
   * earliest start is just after the last voiced frame the window cannot hold. While someone speaks that is near
   * the present; in a pause it lags. A forced split cuts no earlier than its search window before the limit.
   */
  #stableFrames(frames: readonly { speech: boolean }[], silenceFrames: number): number {
    const o = this.#o;
    const allowed = Math.floor(silenceFrames * SILENCE_MAX_VOICED_RATIO);
    let start = Math.max(0, frames.length - silenceFrames);
    let voiced = 0;
    for (let i = frames.length - 1; i >= start; i--) {
      if (!frames[i]!.speech) continue;
      voiced += 1;
      if (voiced > allowed) {
        start = i + 1;
        break;
      }
    }
    const postRoll = Math.min(silenceFrames, Math.ceil(200 / o.frameMs));
    const split = Math.ceil(o.maxUtteranceMs / o.frameMs) - Math.ceil(SPLIT_SEARCH_MS / o.frameMs);
    return Math.max(0, Math.min(frames.length, start + postRoll, split));
  }

  /** Index to cut at: the lowest-energy frame in the last SPLIT_SEARCH_MS, so a split rarely lands inside a word. */
  #quietestSplit(frames: { pcm: Int16Array }[]): number {
    const search = Math.min(frames.length - 1, Math.ceil(SPLIT_SEARCH_MS / this.#o.frameMs));
    let best = frames.length;
    let bestEnergy = Infinity;
    for (let i = frames.length - search; i < frames.length; i++) {
      const e = energy(frames[i]!.pcm);
      if (e < bestEnergy) {
        bestEnergy = e;
        best = i + 1;
      }
    }
    return best;
  }

  /** Emits frames [0, cut) as an utterance; frames after the cut start the next one. */
  #close(cut: number, events: SegmenterEvent[]): void {
    const open = this.#open;
    if (!open) return;
    const kept = open.frames.slice(0, cut);
    const rest = open.frames.slice(cut);
    const speechMs = kept.filter((f) => f.speech).length * this.#o.frameMs;
    const keptSamples = kept.reduce((n, f) => n + f.pcm.length, 0);
    if (speechMs >= this.#o.minSpeechMs) {
      this.#segment += 1;
      events.push({
        type: 'utterance',
        segment: this.#segment,
        startSample: open.startSample,
        endSample: open.startSample + keptSamples,
        pcm: joinFrames(kept),
      });
    }
    const restStart = open.startSample + keptSamples;
    if (this.#vad.reset) {
      // Start each stretch after an utterance from a fresh detector, re-judging the frames already past the cut.
      // A session resumed at this point (on another edge, with a new detector) then segments the rest exactly as an
      // uninterrupted session would, so it hears the same utterances.
      this.#vad.reset();
      for (const frame of rest) frame.speech = this.#vad.isSpeech(frame.pcm);
    }
    // After a forced split the speaker is still talking: the remainder opens the next utterance at once.
    this.#open = rest.some((f) => f.speech)
      ? { startSample: restStart, frames: rest, lastSnapshotSample: restStart, snapshots: 0 }
      : null;
    if (!this.#open) this.#history = rest.slice(-(Math.ceil(this.#o.preRollMs / this.#o.frameMs) + TRIGGER_WINDOW));
  }
}

/** The last `n` frames exist and are mostly non-speech. */
function isQuiet(frames: readonly { speech: boolean }[], n: number): boolean {
  if (frames.length < n) return false;
  let voiced = 0;
  for (let i = frames.length - n; i < frames.length; i++) if (frames[i]!.speech) voiced += 1;
  return voiced <= n * SILENCE_MAX_VOICED_RATIO;
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  if (a.length === 0) return b;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function joinFrames(frames: { pcm: Int16Array }[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.pcm.length, 0));
  let offset = 0;
  for (const f of frames) {
    out.set(f.pcm, offset);
    offset += f.pcm.length;
  }
  return out;
}

function energy(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return sum / Math.max(1, pcm.length);
}
