/**
 * What a Whisper export's generation_config.json (and, in older exports, config.json) says about decoding, read as
 * transformers.js and transformers read it. Exports differ by the transformers version that wrote them:
 * - 4.x (e.g. 4.33) pins a fine-tune's language and task with `forced_decoder_ids` ([[1, <|hi|>], [2, <|transcribe|>],
 *   [3, <|notimestamps|>]]; a null language means "detect"), often in config.json too;
 * - 5.x writes `"language": "hi"` and `"task": "transcribe"` instead.
 * Both pin the language a model was fine-tuned for; earshot uses the pin unless the request or the server
 * (`EARSHOT_LANGUAGE`) names one, and detects only when nothing does. `max_initial_timestamp_index` (1.0 s in
 * OpenAI's exports, 0.02 s in some) bounds the first timestamp.
 */
import { whisperLanguageCode } from './languages.ts';

export interface GenerationConfig {
  suppressTokens: number[];
  beginSuppressTokens: number[];
  isMultilingual: boolean;
  /** The language the export pins (a code), if any. */
  language?: string;
  /** The task the export pins, if any. */
  task?: 'transcribe' | 'translate';
  /** Latest first timestamp, in 0.02 s steps, if the export sets it. */
  maxInitialTimestampIndex?: number;
}

type Json = Record<string, unknown>;

const ids = (v: unknown): number[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : undefined;

/** Reads `generation` (generation_config.json), falling back to `config` (config.json) for fields older exports kept there. */
export function readGenerationConfig(generation: Json, config: Json = {}): GenerationConfig {
  const field = (name: string): unknown => generation[name] ?? config[name];
  const out: GenerationConfig = {
    suppressTokens: ids(field('suppress_tokens')) ?? [],
    beginSuppressTokens: ids(field('begin_suppress_tokens')) ?? [],
    isMultilingual: field('is_multilingual') !== false,
  };
  const pinnedLanguage = typeof generation.language === 'string' ? whisperLanguageCode(generation.language) : undefined;
  const pinnedTask = generation.task === 'transcribe' || generation.task === 'translate' ? generation.task : undefined;
  const forced = forcedPrompt(field('forced_decoder_ids'), field('lang_to_id'), field('task_to_id'));
  const language = pinnedLanguage ?? forced.language;
  const task = pinnedTask ?? forced.task;
  if (language) out.language = language;
  if (task) out.task = task;
  const index = field('max_initial_timestamp_index');
  if (typeof index === 'number' && Number.isInteger(index) && index >= 0) out.maxInitialTimestampIndex = index;
  return out;
}

/** The language and task `forced_decoder_ids` force at positions 1 and 2 (ids mapped back through lang_to_id / task_to_id). */
function forcedPrompt(
  forced: unknown,
  langToId: unknown,
  taskToId: unknown,
): { language?: string; task?: 'transcribe' | 'translate' } {
  if (!Array.isArray(forced)) return {};
  const at = (position: number) =>
    (forced.find((pair) => Array.isArray(pair) && pair[0] === position) as [number, number | null] | undefined)?.[1];
  const nameOf = (map: unknown, id: number | null | undefined) =>
    id === null || id === undefined || !map || typeof map !== 'object'
      ? undefined
      : Object.entries(map).find(([, v]) => v === id)?.[0];
  const language = nameOf(langToId, at(1));
  const task = nameOf(taskToId, at(2));
  return {
    ...(language && whisperLanguageCode(language) ? { language: whisperLanguageCode(language) } : {}),
    ...(task === 'transcribe' || task === 'translate' ? { task } : {}),
  };
}
