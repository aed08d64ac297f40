/**
 * Picks the injector for this desktop: by platform, and on Linux by session type. A Wayland session is
 * recognised by XDG_SESSION_TYPE=wayland or WAYLAND_DISPLAY; there xdotool would only reach XWayland windows,
 * so wtype or ydotool come first. `EARSHOT_INJECTOR` (or the `--injector` flag) overrides the choice.
 */
import { OsascriptInjector } from './macos.ts';
import { InjectionError, type TextInjector } from './types.ts';
import { WtypeInjector, YdotoolInjector } from './wayland.ts';
import { SendKeysInjector } from './windows.ts';
import { XdotoolInjector } from './xdotool.ts';
import type { Runner } from './exec.ts';

export const INJECTORS = ['xdotool', 'wtype', 'ydotool', 'sendkeys', 'osascript'] as const;
export type InjectorName = (typeof INJECTORS)[number];

export interface Desktop {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  /** True when the program is installed (on PATH). */
  has: (program: string) => boolean;
}

/** The mechanism to use here, or an InjectionError that says what to install. */
export function chooseInjector(desktop: Desktop, override?: string): InjectorName {
  const forced = override ?? desktop.env.EARSHOT_INJECTOR;
  if (forced) {
    if (!(INJECTORS as readonly string[]).includes(forced))
      throw new InjectionError(`unknown injector "${forced}"; one of ${INJECTORS.join(', ')}`);
    return forced as InjectorName;
  }
  if (desktop.platform === 'win32') return 'sendkeys';
  if (desktop.platform === 'darwin') return 'osascript';
  const { env, has } = desktop;
  const wayland = env.XDG_SESSION_TYPE === 'wayland' || Boolean(env.WAYLAND_DISPLAY);
  if (wayland) {
    if (has('wtype')) return 'wtype';
    if (has('ydotool')) return 'ydotool';
    throw new InjectionError(
      'voice typing on Wayland needs wtype (wlroots compositors) or ydotool (any compositor): install one of them',
    );
  }
  if (env.DISPLAY) {
    if (has('xdotool')) return 'xdotool';
    throw new InjectionError('voice typing on X11 needs xdotool: install it (e.g. apt install xdotool)');
  }
  throw new InjectionError(
    'no graphical session found (neither DISPLAY nor WAYLAND_DISPLAY is set), so there is no focused application to type into',
  );
}

export function createInjector(name: InjectorName, run?: Runner): TextInjector {
  switch (name) {
    case 'xdotool':
      return new XdotoolInjector(run);
    case 'wtype':
      return new WtypeInjector(run);
    case 'ydotool':
      return new YdotoolInjector(run);
    case 'sendkeys':
      return new SendKeysInjector(run);
    case 'osascript':
      return new OsascriptInjector(run);
  }
}
