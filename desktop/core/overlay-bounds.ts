/**
 * Where the subtitle overlay goes: the saved position when it is still on a screen, else the bottom centre of
 * the primary display. Screens change between runs (a laptop undocked, a monitor rearranged); a window restored
 * off-screen would be an invisible, click-through overlay nobody can find. Moves and resizes are saved after
 * they settle, not on every pixel of a drag.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Part of the overlay that must be on a screen for the saved position to be kept. */
const MIN_VISIBLE = 0.5;

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** A wide, short strip above the bottom edge of `area` (a display's work area: without taskbars and docks). */
export function defaultOverlayBounds(area: Rect): Rect {
  const width = Math.round(Math.min(1100, area.width * 0.8));
  const height = Math.round(Math.min(180, area.height * 0.25));
  return {
    x: Math.round(area.x + (area.width - width) / 2),
    y: Math.round(area.y + area.height - height - area.height * 0.06),
    width,
    height,
  };
}

/**
 * The bounds to open the overlay with. `areas` are the displays' work areas; `primary` is the primary's.
 * A saved rectangle mostly on some display is kept, moved fully onto it and shrunk to fit if needed.
 */
export function restoreOverlayBounds(saved: Rect | null, areas: Rect[], primary: Rect): Rect {
  if (!saved) return defaultOverlayBounds(primary);
  let best: Rect | undefined;
  let bestOverlap = 0;
  for (const area of areas) {
    const o = overlap(saved, area);
    if (o > bestOverlap) [best, bestOverlap] = [area, o];
  }
  if (!best || bestOverlap < saved.width * saved.height * MIN_VISIBLE) return defaultOverlayBounds(primary);
  const width = Math.min(saved.width, best.width);
  const height = Math.min(saved.height, best.height);
  return {
    x: Math.min(Math.max(saved.x, best.x), best.x + best.width - width),
    y: Math.min(Math.max(saved.y, best.y), best.y + best.height - height),
    width,
    height,
  };
}

/** Saves the latest bounds once they have not changed for `delayMs`; `flush` saves a pending one now (on quit). */
export class BoundsSaver {
  readonly #save: (bounds: Rect) => void;
  readonly #delayMs: number;
  #pending: Rect | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(save: (bounds: Rect) => void, delayMs = 500) {
    this.#save = save;
    this.#delayMs = delayMs;
  }

  update(bounds: Rect): void {
    this.#pending = { ...bounds };
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.flush(), this.#delayMs);
  }

  flush(): void {
    clearTimeout(this.#timer);
    const bounds = this.#pending;
    this.#pending = null;
    if (bounds) this.#save(bounds);
  }
}
