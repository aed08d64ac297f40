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

/** One regex matching every term as whole words; group i+1 is not used, the match is looked up instead. */
function termPattern(terms: readonly string[]): RegExp | null {
  const sorted = [...new Set(terms.map((t) => t.trim()).filter(Boolean))].sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return null;
  // Words inside a term may be separated by any run of spaces; letters and digits around it must not continue it.
  const alternatives = sorted.map((t) => t.split(/\s+/).map(escapeRegExp).join('\\s+'));
  return new RegExp(`(?<![\\p{L}\\p{N}_])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
}

function lookup(entries: readonly MtGlossaryEntry[]): (match: string) => MtGlossaryEntry | undefined {
  const byKey = new Map(entries.map((e) => [e.term.trim().split(/\s+/).join(' ').toLowerCase(), e]));
  return (match) => byKey.get(match.split(/\s+/).join(' ').toLowerCase());
}

/** Writes glossary terms the way the glossary spells them ("zorbax pro" → "Zorbax Pro"). */
export function spellTerms(text: string, terms: readonly { term: string }[]): string {
  const pattern = termPattern(terms.map((t) => t.term));
  if (!pattern) return text;
  const find = lookup(terms);
  return text.replace(pattern, (match) => find(match)?.term ?? match);
}

export interface Shielded {
  /** The text to translate, terms replaced by placeholders. */
  text: string;
  /** Puts each term's translation where its placeholder ended up. */
  restore(translated: string): string;
}

/** Replaces glossary terms by numeric placeholders the source does not contain. */
export function shieldTerms(text: string, entries: readonly MtGlossaryEntry[]): Shielded {
  const pattern = termPattern(entries.map((e) => e.term));
  if (!pattern) return { text, restore: (t) => t };
  const find = lookup(entries);
  const placeholders = new Map<string, string>(); // placeholder → output
  const byTerm = new Map<MtGlossaryEntry, string>();
  let next = 7301;
  const fresh = () => {
    while (new RegExp(`(?<!\\d)${next}(?!\\d)`).test(text)) next += 1;
    return String(next++);
  };
  const shielded = text.replace(pattern, (match) => {
    const entry = find(match)!;
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
