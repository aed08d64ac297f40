/**
 * The only channels between the main process and the renderers, and the API the preload exposes. Types and
 * strings only: the sandboxed preload bundles this file and may require nothing but `electron`.
 */
import type { ServerEvent } from '../../shared/protocol.ts';
import type { Settings, SettingsPatch } from '../core/settings.ts';

export const IPC = {
  /** main → overlay: a caption event of the session shown (partial, final, translation, done). */
  caption: 'earshot:caption',
  /** main → overlay: how to show captions (after every settings change). */
  overlayConfig: 'earshot:overlay-config',
  /** overlay → main: the pointer is on the drag handle (false) or off it (true). */
  setClickThrough: 'earshot:set-click-through',
  getSettings: 'earshot:get-settings',
  saveSettings: 'earshot:save-settings',
} as const;

export interface OverlayConfig {
  fontSize: number;
  lines: number;
  /** null: the spoken language. */
  lang: string | null;
  showPartials: boolean;
}

export type SaveResult = { ok: true; settings: Settings } | { ok: false; error: string };

/** `window.earshot` in the renderers. */
export interface EarshotApi {
  onCaption(listener: (event: ServerEvent) => void): () => void;
  onOverlayConfig(listener: (config: OverlayConfig) => void): () => void;
  setClickThrough(enabled: boolean): void;
  getSettings(): Promise<Settings>;
  saveSettings(patch: SettingsPatch): Promise<SaveResult>;
}
