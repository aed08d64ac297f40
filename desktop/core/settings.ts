/**
 * The desktop app's settings: one zod schema (defaults, validation, the TypeScript type), persisted as JSON in
 * the app's data folder. A damaged or hand-edited file never stops the app: each invalid value falls back to its
 * default and is reported by path, and the file is only rewritten when the user saves.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { AudioSource } from '../../client/node/capture/source.ts';
import { normalizeHotkey } from './hotkeys.ts';

const languageCode = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language code such as "en" or "pt-BR"');

const hotkey = z.string().transform((text, ctx) => {
  try {
    return normalizeHotkey(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const serverUrl = z
  .string()
  .trim()
  .refine((text) => {
    try {
      return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(text).protocol);
    } catch {
      return false;
    }
  }, 'an http(s):// or ws(s):// URL of an earshot server, e.g. http://127.0.0.1:8080');

export const Bounds = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(120).max(10_000),
  height: z.number().int().min(40).max(10_000),
});
export type Bounds = z.infer<typeof Bounds>;

export const Settings = z.object({
  serverUrl: serverUrl.default('http://127.0.0.1:8080'),
  /** An API key or token for servers with auth on; empty for none. */
  token: z.string().max(4096).default(''),
  language: languageCode.default('en'),
  targets: z.array(languageCode).max(16).default([]),
  /** Input device name for the recorder; empty is the system default. */
  microphone: z.string().max(256).default(''),
  /** A recorder command replacing the detected one (writes 16 kHz mono PCM16 to stdout); empty detects. */
  recorder: z.string().max(1024).default(''),
  /** What is captioned: the microphone, what the computer plays (a call, a video), or both mixed. */
  audioSource: AudioSource.default('mic'),
  /** The loopback / monitor device system audio is read from; empty is the platform's default (docs/system-audio.md). */
  systemDevice: z.string().max(256).default(''),
  typing: z
    .object({
      mode: z.enum(['push-to-talk', 'toggle']).default('push-to-talk'),
      spokenPunctuation: z.boolean().default(true),
      capitalize: z.boolean().default(true),
    })
    .prefault({}),
  hotkeys: z
    .object({
      dictate: hotkey.default('CommandOrControl+Shift+Space'),
      undo: hotkey.default('CommandOrControl+Shift+Backspace'),
      overlay: hotkey.default('CommandOrControl+Shift+O'),
    })
    .prefault({})
    .superRefine((keys, ctx) => {
      const seen = new Map<string, string>();
      for (const [action, accelerator] of Object.entries(keys)) {
        const other = seen.get(accelerator);
        if (other)
          ctx.addIssue({ code: 'custom', path: [action], message: `${accelerator} is already the ${other} hotkey` });
        seen.set(accelerator, action);
      }
    }),
  overlay: z
    .object({
      visible: z.boolean().default(false),
      /** The language shown: null for what is spoken, or one of `targets`. */
      lang: languageCode.nullable().default(null),
      fontSize: z.number().int().min(12).max(200).default(36),
      lines: z.number().int().min(1).max(10).default(2),
      showPartials: z.boolean().default(true),
      /** Where the window was last; null places it at the bottom of the primary display. */
      bounds: Bounds.nullable().default(null),
    })
    .prefault({}),
});
export type Settings = z.infer<typeof Settings>;
/** What a user (or the settings window) may send: any subset, at any depth. */
export type SettingsPatch = {
  [K in keyof Settings]?: Settings[K] extends unknown[] | null
    ? Settings[K]
    : Settings[K] extends object
      ? Partial<Settings[K]>
      : Settings[K];
};

export const DEFAULT_SETTINGS: Settings = Settings.parse({});

export class SettingsError extends Error {
  override name = 'SettingsError';
}

const describe = (issue: z.core.$ZodIssue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`;

/** Validates raw settings; invalid values fall back to defaults, each one reported as "path: problem". */
export function validateSettings(raw: unknown): { settings: Settings; problems: string[] } {
  const problems: string[] = [];
  const isObject = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  if (!isObject && raw !== undefined) problems.push('settings: not a JSON object; using the defaults');
  let data: unknown = isObject ? structuredClone(raw) : {};
  for (let attempt = 0; attempt < 50; attempt++) {
    const parsed = Settings.safeParse(data);
    if (parsed.success) return { settings: parsed.data, problems };
    for (const issue of parsed.error.issues) {
      problems.push(describe(issue));
      data = without(data, issue.path);
    }
  }
  return { settings: DEFAULT_SETTINGS, problems };
}

/** A copy without the value at `path` (cut at the first array, which is dropped whole), so its default applies. */
function without(data: unknown, path: PropertyKey[]): unknown {
  const cut = path.findIndex((p) => typeof p === 'number');
  const keys = cut === -1 ? path : path.slice(0, cut);
  if (keys.length === 0) return {};
  const copy = structuredClone(data) as Record<PropertyKey, unknown>;
  let node: Record<PropertyKey, unknown> | undefined = copy;
  for (const key of keys.slice(0, -1)) node = node?.[key] as Record<PropertyKey, unknown> | undefined;
  if (node && typeof node === 'object') delete node[keys.at(-1)!];
  return copy;
}

/** Settings persisted in one JSON file. */
export class SettingsStore {
  readonly path: string;
  #current: Settings = DEFAULT_SETTINGS;
  readonly #listeners = new Set<(settings: Settings) => void>();

  constructor(path: string) {
    this.path = path;
  }

  get current(): Settings {
    return this.#current;
  }

  /** Reads the file (missing: defaults). Returns the problems found, for the app to show once. */
  async load(): Promise<string[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.#current = DEFAULT_SETTINGS;
      return [`${this.path} is not valid JSON; using the defaults until settings are saved`];
    }
    const { settings, problems } = validateSettings(raw);
    this.#current = settings;
    return problems;
  }

  /** Merges `patch` (one level deep for the grouped settings), validates, saves; throws SettingsError when invalid. */
  async update(patch: SettingsPatch): Promise<Settings> {
    const merged: Record<string, unknown> = { ...this.#current };
    for (const [key, value] of Object.entries(patch)) {
      const before = merged[key];
      merged[key] =
        before && value && typeof before === 'object' && typeof value === 'object' && !Array.isArray(value)
          ? { ...before, ...value }
          : value;
    }
    const parsed = Settings.safeParse(merged);
    if (!parsed.success) throw new SettingsError(parsed.error.issues.map(describe).join('; '));
    await this.#write(parsed.data);
    this.#current = parsed.data;
    for (const listener of this.#listeners) listener(parsed.data);
    return parsed.data;
  }

  onChange(listener: (settings: Settings) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #write(settings: Settings): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    // Write then rename: a crash mid-write leaves the old file, never half of the new one.
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 }); // it may hold a token
    await rename(temp, this.path);
  }
}
