/**
 * The captions of one session as the pages show them, built from protocol events (docs/protocol.md): finals in
 * order with their translations, and the partial of the utterance being spoken. No DOM here, so the rules
 * (a final replaces the partial; a translation attaches to its final; a viewer reading a translation sees the
 * original, marked pending, until the translation arrives) are tested in Node.
 */

interface Line {
  seq: number;
  /** The revision shown (protocol v1.1: a corrected final has a higher one). */
  rev: number;
  text: string;
  /** By language (an older rev's stays shown until the new one comes). */
  translations: Record<string, string>;
  /** The rev each translation belongs to. */
  translatedRev: Record<string, number>;
  /** Languages whose translation failed: shown in the original, not as pending. */
  failed: Set<string>;
}

export interface ViewLine {
  /** Stable per utterance, for incremental rendering. */
  key: string;
  text: string;
  /** The language `text` is in. */
  lang: string;
  /** The original shown while its translation is on the way. */
  pending: boolean;
  /** Translations shown under the text. */
  subs: { lang: string; text: string }[];
}

export interface View {
  lines: ViewLine[];
  partial: string | null;
}

/**
 * A server event of the realtime or watch protocol, loosely: the book reads only the fields it needs, so it also
 * takes the desktop overlay's relayed events and events of newer servers.
 */
export interface ProtocolEvent {
  type: string;
  [key: string]: unknown;
}

export class CaptionBook {
  /** Finals remembered (older ones are forgotten). */
  readonly keep: number;
  /** The spoken language, when known (the watch protocol's `ready.language`). */
  source: string;
  lines: Line[] = [];
  partial: string | null = null;
  /** Provisional translations of the partial, by language. */
  partialTranslations: Record<string, string> = {};

  constructor({ keep = 200, source = '' }: { keep?: number; source?: string } = {}) {
    this.keep = keep;
    this.source = source;
  }

  /**
   * The highest seq up to which every caption has each of `targets` translated (or failed): what a resuming
   * speaker page reports as `last_seq`.
   */
  completeThrough(targets: string[]): number {
    let complete = 0;
    for (const line of this.lines) {
      if (!targets.every((lang) => line.translatedRev[lang] === line.rev || line.failed.has(lang))) break;
      complete = line.seq;
    }
    return complete;
  }

  /** Forgets everything: a reconnecting viewer receives the history again. */
  reset(): void {
    this.lines = [];
    this.partial = null;
    this.partialTranslations = {};
  }

  /** Applies one server event; returns whether what is shown may have changed. */
  apply(event: ProtocolEvent): boolean {
    switch (event.type) {
      case 'ready':
        if (typeof event.language === 'string') this.source = event.language;
        return false;
      case 'partial':
        this.partial = String(event.text ?? '');
        return true;
      case 'partial_translation':
        if (typeof event.lang !== 'string') return false;
        this.partialTranslations[event.lang] = String(event.text ?? '');
        return true;
      case 'final': {
        const seq = Number(event.seq);
        const rev = Number(event.rev ?? 1);
        const held = this.#line(seq);
        if (held) {
          // The same caption again (after a reconnect) or corrected (v1.1): replace it in place, never add a line.
          if (rev <= held.rev) return false;
          Object.assign(held, { rev, text: String(event.text ?? ''), failed: new Set() });
          return true;
        }
        // A final ends the utterance the partial (and its provisional translations) showed.
        this.partial = null;
        this.partialTranslations = {};
        const line: Line = {
          seq,
          rev,
          text: String(event.text ?? ''),
          translations: {},
          translatedRev: {},
          failed: new Set(),
        };
        // In seq order even if a correction or a replay brings an older one back.
        let at = this.lines.length;
        while (at > 0 && this.lines[at - 1]!.seq > seq) at--;
        this.lines.splice(at, 0, line);
        if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
        return true;
      }
      case 'translation': {
        const line = this.#line(event.seq);
        if (!line || typeof event.lang !== 'string') return false;
        // A translation of text the line no longer shows (an older rev) is stale.
        const rev = Number(event.rev ?? 1);
        if (rev < line.rev) return false;
        line.translations[event.lang] = String(event.text ?? '');
        line.translatedRev[event.lang] = rev;
        return true;
      }
      case 'error': {
        // Only a failed translation changes the captions: its line stops waiting and stays in the original.
        const line = this.#line(event.seq);
        if (!line || typeof event.lang !== 'string') return false;
        line.failed.add(event.lang);
        return true;
      }
      case 'done':
        this.partial = null;
        this.partialTranslations = {};
        return true;
      default:
        return false;
    }
  }

  /**
   * The last `count` captions in `lang` (null or the spoken language: the original), with the utterance being
   * spoken: the partial, or in a target language its provisional translation when the server sends those.
   * `subs`: translations under each line.
   */
  view({ lang = null, count = 3, subs = false }: { lang?: string | null; count?: number; subs?: boolean } = {}): View {
    const original = !lang || lang === this.source;
    const lines = this.lines.slice(-count).map((line) => {
      const translated = original ? undefined : line.translations[lang!];
      return {
        key: String(line.seq),
        text: translated ?? line.text,
        lang: translated === undefined ? this.source : lang!,
        pending: !original && translated === undefined && !line.failed.has(lang!),
        subs: subs ? Object.entries(line.translations).map(([l, text]) => ({ lang: l, text })) : [],
      };
    });
    const partial = original ? this.partial : (this.partialTranslations[lang!] ?? null);
    return { lines, partial: partial || null };
  }

  #line(seq: unknown): Line | undefined {
    // Recent lines are the ones translations arrive for, so search from the end.
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]?.seq === seq) return this.lines[i];
    return undefined;
  }
}
