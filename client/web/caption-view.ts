/**
 * Renders a CaptionBook view into the page, incrementally: a caption already on screen is updated in place and
 * new ones are appended, so screen readers (the list is an aria-live log) announce each new final once instead
 * of re-reading the whole list, and the text does not flicker for sighted readers either.
 */

import type { View } from './captions.ts';

/** The language's name in the reader's own language ("Spanish", "español"…), or its code. */
export function languageName(code: string, uiLang: string = navigator.language): string {
  try {
    return new Intl.DisplayNames([uiLang, 'en'], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
}

export class CaptionView {
  /**
   * `list`: an <ol> with role="log" aria-live="polite"; `partialEl`: where the provisional text goes (aria-hidden:
   * it changes too often to announce).
   */
  constructor(
    readonly list: HTMLElement,
    readonly partialEl: HTMLElement,
  ) {}

  render(view: View): void {
    const wanted = new Set(view.lines.map((l) => l.key));
    for (const child of [...this.list.children]) {
      if (!(child instanceof HTMLElement) || !wanted.has(child.dataset.key ?? '')) child.remove();
    }
    const shown = new Map<string, HTMLElement>();
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
      const text = item.firstElementChild as HTMLElement;
      if (text.textContent !== line.text) text.textContent = line.text;
      text.lang = line.lang;
      text.classList.add('caption-text');
      item.classList.toggle('pending', line.pending);
      this.#renderSubs(item, line.subs);
    }
    this.partialEl.textContent = view.partial ?? '';
    this.partialEl.hidden = !view.partial;
  }

  #renderSubs(item: HTMLElement, subs: { lang: string; text: string }[]): void {
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
