// @ts-check
/**
 * Renders a CaptionBook view into the page, incrementally: a caption already on screen is updated in place and
 * new ones are appended, so screen readers (the list is an aria-live log) announce each new final once instead
 * of re-reading the whole list, and the text does not flicker for sighted readers either.
 */

/** @typedef {import('./captions.js').View} View */

/**
 * The language's name in the reader's own language ("Spanish", "español"…), or its code.
 * @param {string} code @param {string} [uiLang]
 */
export function languageName(code, uiLang = navigator.language) {
  try {
    return new Intl.DisplayNames([uiLang, 'en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

export class CaptionView {
  /**
   * @param {HTMLElement} list an <ol> with role="log" aria-live="polite"
   * @param {HTMLElement} partial where the provisional text goes (aria-hidden: it changes too often to announce)
   */
  constructor(list, partial) {
    this.list = list;
    this.partialEl = partial;
  }

  /** @param {View} view */
  render(view) {
    const wanted = new Set(view.lines.map((l) => l.key));
    for (const child of [...this.list.children]) {
      if (!(child instanceof HTMLElement) || !wanted.has(child.dataset.key ?? '')) child.remove();
    }
    /** @type {Map<string, HTMLElement>} */
    const shown = new Map();
    for (const child of this.list.children) if (child instanceof HTMLElement) shown.set(child.dataset.key ?? '', child);
    for (const line of view.lines) {
      let item = shown.get(line.key);
      if (!item) {
        item = document.createElement('li');
        item.className = 'caption';
        item.dataset.key = line.key;
        item.append(document.createElement('p'));
        this.list.append(item);
      }
      const text = /** @type {HTMLElement} */ (item.firstElementChild);
      if (text.textContent !== line.text) text.textContent = line.text;
      text.lang = line.lang;
      text.classList.add('caption-text');
      item.classList.toggle('pending', line.pending);
      this.#renderSubs(item, line.subs);
    }
    this.partialEl.textContent = view.partial ?? '';
    this.partialEl.hidden = !view.partial;
  }

  /** @param {HTMLElement} item @param {{lang: string, text: string}[]} subs */
  #renderSubs(item, subs) {
    let list = item.querySelector('ul.subs');
    if (subs.length === 0) return list?.remove();
    if (!list) {
      list = document.createElement('ul');
      list.className = 'subs';
      item.append(list);
    }
    const signature = JSON.stringify(subs);
    if (list instanceof HTMLElement && list.dataset.signature === signature) return;
    list.replaceChildren(
      ...subs.map(({ lang, text }) => {
        const sub = document.createElement('li');
        sub.lang = lang;
        const badge = document.createElement('abbr');
        badge.className = 'badge';
        badge.title = languageName(lang);
        badge.textContent = lang;
        sub.append(badge, ` ${text}`);
        return sub;
      }),
    );
    if (list instanceof HTMLElement) list.dataset.signature = signature;
  }
}
