/**
 * The watch page's query parameters, validated: an OBS browser source is configured only through its URL, so a
 * bad value must fall back to a sensible default rather than produce an unreadable overlay.
 *
 *   overlay=1   transparent background, large type, captions only (for OBS and other compositors)
 *   size=N      font size in CSS pixels (overlay default 44, page default: responsive)
 *   lines=N     captions shown (overlay default 2, page default 8)
 *   color=C     text colour: a CSS colour, or hex without '#' (which a URL would treat as a fragment)
 *   bg=C        background behind the text (overlay default translucent black; `transparent` for none)
 *   lang=xx     the language to read: one of the session's targets, or the original (default)
 *   partials=0  hide the provisional text of the utterance being spoken
 *   align=left|center|right   (overlay default center, page default left)
 */

export interface WatchOptions {
  overlay: boolean;
  size: number | null;
  lines: number;
  color: string | null;
  bg: string | null;
  lang: string | null;
  partials: boolean;
  align: 'left' | 'center' | 'right';
}

function intParam(raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || !/^\d{1,4}$/.test(raw.trim())) return fallback;
  return Math.min(max, Math.max(min, Number(raw)));
}

/** `isColor`: the browser's CSS.supports('color', …) (injected for tests). */
function colorParam(raw: string | null, isColor: (css: string) => boolean): string | null {
  if (!raw) return null;
  const value = /^[0-9a-f]{3,8}$/i.test(raw) ? `#${raw}` : raw;
  // Only colour syntax: anything else could smuggle other declarations into the style.
  return /^[#a-z0-9(),.%\s/-]+$/i.test(value) && isColor(value) ? value : null;
}

/** `search`: location.search. */
export function parseWatchOptions(search: string, isColor: (css: string) => boolean): WatchOptions {
  const q = new URLSearchParams(search);
  const overlay = ['1', 'true', 'yes'].includes(q.get('overlay') ?? '');
  const lang = q.get('lang');
  const align = q.get('align');
  return {
    overlay,
    size: q.has('size') ? intParam(q.get('size'), 44, 12, 400) : overlay ? 44 : null,
    lines: intParam(q.get('lines'), overlay ? 2 : 8, 1, 50),
    color: colorParam(q.get('color'), isColor),
    bg: colorParam(q.get('bg'), isColor) ?? (overlay ? 'rgba(0, 0, 0, 0.55)' : null),
    lang: lang && /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang) ? lang : null,
    partials: q.get('partials') !== '0',
    align: align === 'left' || align === 'right' || align === 'center' ? align : overlay ? 'center' : 'left',
  };
}
