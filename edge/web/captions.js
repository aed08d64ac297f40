// @ts-check
/**
 * The captions of one session as the pages show them, built from protocol events (docs/protocol.md): finals in
 * order with their translations, and the partial of the utterance being spoken. No DOM here, so the rules
 * (a final replaces the partial; a translation attaches to its final; a viewer reading a translation sees the
 * original, marked pending, until the translation arrives) are tested in Node.
 */

/**
 * @typedef {object} Line
 * @property {number} seq
 * @property {string} text
 * @property {Record<string, string>} translations by language
 * @property {Set<string>} failed languages whose translation failed: shown in the original, not as pending
 */

/**
 * @typedef {object} ViewLine
 * @property {string} key stable per utterance, for incremental rendering
 * @property {string} text
 * @property {string} lang the language `text` is in
 * @property {boolean} pending the original shown while its translation is on the way
 * @property {{lang: string, text: string}[]} subs translations shown under the text
 */

/** @typedef {{ lines: ViewLine[], partial: string | null }} View */

/** @typedef {{type: string, [key: string]: unknown}} ProtocolEvent */

export class CaptionBook {
  /** @param {{ keep?: number, source?: string }} [options] keep: finals remembered (older ones are forgotten) */
  constructor({ keep = 200, source = '' } = {}) {
    this.keep = keep;
    /** The spoken language, when known (the watch protocol's `ready.language`). */
    this.source = source;
    /** @type {Line[]} */
    this.lines = [];
    /** @type {string | null} */
    this.partial = null;
    /** @type {Record<string, string>} Provisional translations of the partial, by language. */
    this.partialTranslations = {};
  }

  /** Forgets everything: a reconnecting viewer receives the history again. */
  reset() {
    this.lines = [];
    this.partial = null;
    this.partialTranslations = {};
  }

  /**
   * Applies one server event; returns whether what is shown may have changed.
   * @param {ProtocolEvent} event
   */
  apply(event) {
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
        // A final ends the utterance the partial (and its provisional translations) showed.
        this.partial = null;
        this.partialTranslations = {};
        this.lines.push({ seq: Number(event.seq), text: String(event.text ?? ''), translations: {}, failed: new Set() });
        if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
        return true;
      }
      case 'translation': {
        const line = this.#line(event.seq);
        if (!line || typeof event.lang !== 'string') return false;
        line.translations[event.lang] = String(event.text ?? '');
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
   * @param {{ lang?: string | null, count?: number, subs?: boolean }} [options] subs: translations under each line
   * @returns {View}
   */
  view({ lang = null, count = 3, subs = false } = {}) {
    const original = !lang || lang === this.source;
    const lines = this.lines.slice(-count).map((line) => {
      const translated = original ? undefined : line.translations[/** @type {string} */ (lang)];
      return {
        key: String(line.seq),
        text: translated ?? line.text,
        lang: translated === undefined ? this.source : /** @type {string} */ (lang),
        pending: !original && translated === undefined && !line.failed.has(/** @type {string} */ (lang)),
        subs: subs ? Object.entries(line.translations).map(([l, text]) => ({ lang: l, text })) : [],
      };
    });
    const partial = original ? this.partial : (this.partialTranslations[/** @type {string} */ (lang)] ?? null);
    return { lines, partial: partial || null };
  }

  /** @param {unknown} seq */
  #line(seq) {
    // Recent lines are the ones translations arrive for, so search from the end.
    for (let i = this.lines.length - 1; i >= 0; i--) if (this.lines[i]?.seq === seq) return this.lines[i];
    return undefined;
  }
}
