/**
 * Phrases speech recognisers are known to invent on silence and noise (Whisper learnt them from subtitled videos:
 * "thanks for watching", subtitle credits), per language. An output made (mostly) of them is not speech.
 * A JSON file `{"en": [...], "es": [...]}` replaces the built-in list of each language it names; `"*"` applies to
 * every language.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../shared/config.ts';
import { words } from './words.ts';

export const DEFAULT_BLOCKLIST: Readonly<Record<string, readonly string[]>> = {
  en: [
    'thanks for watching',
    'thank you for watching',
    'thank you so much for watching',
    'thanks for watching and see you next time',
    'please subscribe',
    'please like and subscribe',
    'like and subscribe',
    'subscribe to my channel',
    "don't forget to like and subscribe",
    'subtitles by the amara.org community',
    'transcription by castingwords',
    'subtitles by steamteam',
    'see you in the next video',
  ],
  es: [
    'gracias por ver',
    'gracias por ver el video',
    'suscríbete',
    'suscríbete al canal',
    'subtítulos realizados por la comunidad de amara.org',
    'subtítulos por la comunidad de amara.org',
  ],
  fr: [
    "merci d'avoir regardé",
    "merci d'avoir regardé cette vidéo",
    'abonnez-vous',
    "sous-titres réalisés par la communauté d'amara.org",
    'sous-titrage st 501',
  ],
  de: [
    'danke fürs zuschauen',
    'vielen dank fürs zuschauen',
    'untertitel der amara.org-community',
    'untertitel im auftrag des zdf für funk, 2017',
    'untertitelung des zdf, 2020',
    'abonniert den kanal',
  ],
  it: ['grazie per la visione', 'sottotitoli creati dalla comunità amara.org', 'iscriviti al canale'],
  pt: ['obrigado por assistir', 'legendas pela comunidade amara.org', 'inscreva-se no canal'],
  nl: [
    'bedankt voor het kijken',
    'ondertiteld door de amara.org gemeenschap',
    'ondertiteling door de amara.org gemeenschap',
  ],
  ru: [
    'спасибо за просмотр',
    'субтитры сделал dimatorzok',
    'субтитры создавались сообществом amara.org',
    'подписывайтесь на канал',
  ],
  zh: ['字幕由amara.org社区提供', '请不吝点赞 订阅 转发 打赏支持明镜与点点栏目', '谢谢观看'],
  ja: ['ご視聴ありがとうございました', 'チャンネル登録をお願いします'],
  ko: ['시청해주셔서 감사합니다', '구독과 좋아요 부탁드립니다'],
};

/** Share of an output's words that blocklisted phrases must cover for it to count as one of them. */
const DOMINANCE = 0.75;

const fileSchema = z.record(
  z.string().regex(/^([a-z]{2,3}|\*)$/, 'keys are ISO 639 language codes or "*"'),
  z
    .array(
      z
        .string()
        .min(1)
        .max(500)
        .refine((p) => words(p).length > 0, 'a phrase needs at least one letter or digit'),
    )
    .max(10_000),
);

export class Blocklist {
  readonly #phrases = new Map<string, string[][]>();

  constructor(lists: Readonly<Record<string, readonly string[]>> = DEFAULT_BLOCKLIST) {
    for (const [language, phrases] of Object.entries(lists))
      this.#phrases.set(
        language,
        phrases.map(words).filter((p) => p.length > 0),
      );
  }

  /** The built-in lists with those of `overrides` replacing them language by language. */
  static withOverrides(overrides: Readonly<Record<string, readonly string[]>>): Blocklist {
    return new Blocklist({ ...DEFAULT_BLOCKLIST, ...overrides });
  }

  /** Reads and validates a blocklist file; a bad one stops the process with the setting's name. */
  static fromFile(path: string): Blocklist {
    const fail = (why: string): never => {
      throw new ConfigError(`invalid EARSHOT_BLOCKLIST_FILE / --blocklist-file=${JSON.stringify(path)}: ${why}`);
    };
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      return fail((err as Error).message);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return fail(
        `${issue.path.join('.') || 'the file'}: ${issue.message} (expected {"en": ["thanks for watching", …], …})`,
      );
    }
    return Blocklist.withOverrides(parsed.data);
  }

  /** Whether blocklisted phrases of `language` (or `*`) make up most of `tokens` (see words.ts). */
  dominates(tokens: readonly string[], language: string): boolean {
    if (tokens.length === 0) return false;
    const covered = new Uint8Array(tokens.length);
    for (const phrase of [...(this.#phrases.get(language) ?? []), ...(this.#phrases.get('*') ?? [])]) {
      for (let i = 0; i + phrase.length <= tokens.length; i++) {
        if (phrase.every((w, j) => tokens[i + j] === w)) covered.fill(1, i, i + phrase.length);
      }
    }
    return covered.reduce((n, c) => n + c, 0) >= tokens.length * DOMINANCE;
  }
}
