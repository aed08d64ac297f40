/**
 * Glossaries: terms a session (or an API key, for all its sessions) wants recognised and translated a fixed way.
 * STT engines are biased towards the terms (Whisper's prompt, words added to pocketsphinx's dictionary); MT keeps
 * them out of the engine's hands and writes the given translation (or the term itself). Jobs carry the glossary:
 * it is bounded (EARSHOT_GLOSSARY_MAX_TERMS, EARSHOT_GLOSSARY_MAX_BYTES; 8 KiB by default against the ~96 KB of
 * PCM in a 3 s utterance), so runners need no session lookup per job and stay stateless.
 */
import { z } from 'zod';
import { EarshotError } from './errors.ts';

/** What the schema accepts at most, whatever the configured limit: it bounds the work of parsing a message. */
export const GLOSSARY_HARD_MAX_TERMS = 1000;

const languageCode = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language code such as "en" or "pt-BR"');

const TermObject = z.strictObject({
  /** As it should be written; matched case-insensitively as whole words. */
  term: z.string().trim().min(1).max(64),
  /** Fixed translations by target language; a target without one keeps the term as written. */
  translations: z.record(languageCode, z.string().trim().min(1).max(128)).optional(),
  /** How it sounds: ordinary words ("zor backs") or ARPAbet phones ("Z AO R B AE K S"); the first one is used. */
  sounds_like: z.array(z.string().trim().min(1).max(128)).max(4).optional(),
});
/** A term, or the shorthand `"Zorbax"` for `{ "term": "Zorbax" }`. */
export const GlossaryTerm = z.union([
  z
    .string()
    .trim()
    .min(1)
    .max(64)
    .transform((term) => ({ term })),
  TermObject,
]);
export type GlossaryTerm = z.infer<typeof TermObject>;

export const Glossary = z.array(GlossaryTerm).max(GLOSSARY_HARD_MAX_TERMS);
export type Glossary = GlossaryTerm[];

export interface GlossaryLimits {
  maxTerms: number;
  maxBytes: number;
}

export const DEFAULT_GLOSSARY_LIMITS: GlossaryLimits = { maxTerms: 100, maxBytes: 8192 };

const keyOf = (term: string) => term.toLowerCase();

/** The key's default glossary with the session's own over it: a session's entry replaces the key's for the same term. */
export function mergeGlossaries(base: readonly GlossaryTerm[] = [], own: readonly GlossaryTerm[] = []): Glossary {
  const merged = new Map<string, GlossaryTerm>();
  for (const entry of [...base, ...own]) {
    merged.delete(keyOf(entry.term)); // re-insert: the later definition wins and takes the later place
    merged.set(keyOf(entry.term), entry);
  }
  return [...merged.values()];
}

/** Throws `glossary_too_large` past the limits (the merged glossary counts: it is what every job carries). */
export function checkGlossary(glossary: readonly GlossaryTerm[], limits: GlossaryLimits): void {
  if (glossary.length > limits.maxTerms) {
    throw new EarshotError(
      'glossary_too_large',
      `glossary of ${glossary.length} terms (including the API key's default ones) exceeds the limit of ${limits.maxTerms}`,
    );
  }
  const bytes = new TextEncoder().encode(JSON.stringify(glossary)).byteLength;
  if (bytes > limits.maxBytes) {
    throw new EarshotError(
      'glossary_too_large',
      `glossary of ${bytes} bytes (as JSON, including the API key's default terms) exceeds the limit of ${limits.maxBytes}`,
    );
  }
}

/** What an MT job needs of a glossary: each term and its fixed translation into the job's target, if any. */
export interface MtGlossaryEntry {
  term: string;
  translation?: string;
}

export function glossaryForTarget(glossary: readonly GlossaryTerm[], target: string): MtGlossaryEntry[] {
  const base = target.split('-')[0]!;
  return glossary.map(({ term, translations }) => {
    const translation = translations?.[target] ?? translations?.[base];
    return translation ? { term, translation } : { term };
  });
}

/**
 * How each STT engine uses a session's glossary, as GET /v1/capabilities reports it (`stt.glossary`): Whisper leads
 * its prompt with the terms, pocketsphinx adds them to its dictionary; Moonshine was trained without a text prompt,
 * so it cannot be steered and ignores them. An engine not listed: `none`.
 */
export const STT_GLOSSARY_USE: Readonly<Record<string, 'prompt' | 'dictionary' | 'none'>> = {
  'whisper-onnx': 'prompt',
  sphinx: 'dictionary',
  'moonshine-onnx': 'none',
};
