/**
 * `GET /v1/capabilities`: what this deployment can do, for clients to offer only that: the engines, the languages
 * it transcribes, and per spoken language the languages it translates into (with `via` where a pair goes through a
 * pivot language), and the languages its voices speak (`start.speak`). Open like /health: it holds no secrets, and a page needs it before it has a session.
 */
import type { Hono } from 'hono';
import { STT_GLOSSARY_USE } from '../../shared/glossary.ts';
import { KNOWN_LANGUAGES } from '../../shared/languages.ts';
import type { Capabilities } from '../realtime/session.ts';

export interface CapabilitiesBody {
  /** `glossary`: per engine, how it uses a session's glossary (`prompt`, `dictionary`, or `none`: it cannot). */
  stt: {
    engines: string[];
    languages: string[];
    default_language: string;
    glossary: Record<string, 'prompt' | 'dictionary' | 'none'>;
  };
  mt: { engines: string[]; targets: Record<string, { language: string; via?: string }[]> };
  /** The languages whose translations can be spoken (`start.speak`). */
  tts: { languages: string[] };
}

export function describeCapabilities(capabilities: Capabilities): CapabilitiesBody {
  const targets: CapabilitiesBody['mt']['targets'] = {};
  for (const source of capabilities.sttLanguages) {
    const list = KNOWN_LANGUAGES.filter((t) => t !== source && capabilities.translates(source, t)).map((language) => {
      const via = capabilities.route?.(source, language);
      return via ? { language, via } : { language };
    });
    if (list.length > 0) targets[source] = list;
  }
  const engines = [...(capabilities.engines?.stt ?? [])];
  return {
    stt: {
      engines,
      languages: [...capabilities.sttLanguages],
      default_language: capabilities.defaultLanguage,
      glossary: Object.fromEntries(engines.map((e) => [e, STT_GLOSSARY_USE[e] ?? 'none'])),
    },
    mt: { engines: [...(capabilities.engines?.mt ?? [])], targets },
    tts: { languages: KNOWN_LANGUAGES.filter((l) => capabilities.speaks?.(l) ?? false) },
  };
}

export function mountCapabilities(app: Hono, capabilities: Capabilities): void {
  app.get('/v1/capabilities', (c) => c.json(describeCapabilities(capabilities)));
}
