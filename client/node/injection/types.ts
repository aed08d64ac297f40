/**
 * Typing text into whatever application has keyboard focus, the way a keyboard would. One interface, one
 * implementation per platform mechanism (select.ts picks): xdotool (X11), wtype / ydotool (Wayland), SendKeys
 * through PowerShell (Windows), System Events through osascript (macOS).
 */

export interface TextInjector {
  /** The mechanism, for messages ("xdotool", "wtype", …). */
  readonly name: string;
  /** Types `text` ("\n" is the Return key) into the focused application. */
  type(text: string): Promise<void>;
  /** Presses Backspace `count` times (undo of an insertion). */
  backspace(count: number): Promise<void>;
}

export class InjectionError extends Error {
  override name = 'InjectionError';
}

/** How many Backspace presses remove `text`: one per user-perceived character (code point; CRLF never occurs). */
export function keystrokeLength(text: string): number {
  return [...text].length;
}
