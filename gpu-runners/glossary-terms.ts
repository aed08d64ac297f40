/**
 * Glossary terms in text, engine-neutral: finds them (case-insensitive, whole words, longest first so "Zorbax Pro"
 * wins over "Zorbax"), writes them as the glossary spells them after STT, and shields them from MT engines.
 *
 * MT shielding: each term becomes a number the source text does not contain (e.g. 7301). Engines copy numbers
 * unchanged and place them where a noun would go (Apertium: "the 7301 system" → "el 7301 sistema"), so after
 * translation each number is replaced by the term's fixed translation, or the term itself when it has none.
 */
import { glossaryForTarget, type GlossaryTerm, type MtGlossaryEntry } from '../shared/glossary.ts';

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const normalise = (term: string) => term.trim().split(/\s+/).join(' ');

/**
 * Finds terms in text and says which one each match is. The answer is the index of the capture group that matched,
 * never a re-lookup of the matched text: Unicode case-insensitive matching folds more than `toLowerCase` does (the
 * long s "ſ" matches "s", the Kelvin sign "K" matches "k"), so a lookup by the lower-cased match could miss.
 */
interface TermMatcher<T> {
  pattern: RegExp;
  /** The entry behind a match, from the arguments of a replace callback: (match, ...one group per term, …). */
  entryOf(replaceArgs: readonly unknown[]): T;
}

/** One regex matching every term as whole words, one group per term, longest first so "Zorbax Pro" wins over "Zorbax". */
function termMatcher<T extends { term: string }>(entries: readonly T[]): TermMatcher<T> | null {
  // Terms that differ only in case are one term; the later entry wins (as mergeGlossaries orders them).
  const unique = new Map<string, T>();
  for (const entry of entries) {
    const key = normalise(entry.term).toLowerCase();
    if (!key) continue;
    unique.delete(key);
    unique.set(key, entry);
  }
  const sorted = [...unique.values()].sort((a, b) => normalise(b.term).length - normalise(a.term).length);
  if (sorted.length === 0) return null;
  // Words inside a term may be separated by any run of spaces; letters and digits around it must not continue it.
  const alternatives = sorted.map((e) => `(${normalise(e.term).split(' ').map(escapeRegExp).join('\\s+')})`);
  return {
    pattern: new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'giu'),
    entryOf: (args) => sorted[args.slice(1, 1 + sorted.length).findIndex((group) => group !== undefined)]!,
  };
}

/** Writes glossary terms the way the glossary spells them ("zorbax pro" → "Zorbax Pro"). */
export function spellTerms(text: string, terms: readonly { term: string }[]): string {
  const matcher = termMatcher(terms);
  if (!matcher) return text;
  return text.replace(matcher.pattern, (...args: unknown[]) => matcher.entryOf(args).term);
}

export interface Shielded {
  /** The text to translate, terms replaced by placeholders. */
  text: string;
  /** Puts each term's translation where its placeholder ended up. */
  restore(translated: string): string;
}

/** Replaces glossary terms by numeric placeholders the source does not contain. */
export function shieldTerms(text: string, entries: readonly MtGlossaryEntry[]): Shielded {
  const matcher = termMatcher(entries);
  if (!matcher) return { text, restore: (t) => t };
  const placeholders = new Map<string, string>(); // placeholder → output
  const byTerm = new Map<MtGlossaryEntry, string>();
  let next = 7301;
  const fresh = () => {
    while (new RegExp(`(?<!\\d)${next}(?!\\d)`).test(text)) next += 1;
    return String(next++);
  };
  const shielded = text.replace(matcher.pattern, (...args: unknown[]) => {
    const entry = matcher.entryOf(args);
    let placeholder = byTerm.get(entry);
    if (!placeholder) {
      placeholder = fresh();
      byTerm.set(entry, placeholder);
      placeholders.set(placeholder, entry.translation ?? entry.term);
    }
    return placeholder;
  });
  if (placeholders.size === 0) return { text, restore: (t) => t };
  const back = new RegExp(`(?<!\\d)(${[...placeholders.keys()].join('|')})(?!\\d)`, 'g');
  return { text: shielded, restore: (translated) => translated.replace(back, (p) => placeholders.get(p)!) };
}

/** The glossary field of an MT job made from an STT job's final: its terms with their translations into `target`. */
export function mtGlossary(job: { glossary?: GlossaryTerm[] }, target: string): { glossary?: MtGlossaryEntry[] } {
  return job.glossary?.length ? { glossary: glossaryForTarget(job.glossary, target) } : {};
}
