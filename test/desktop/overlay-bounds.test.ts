import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundsSaver, defaultOverlayBounds, restoreOverlayBounds } from '../../desktop/core/overlay-bounds.ts';

const primary = { x: 0, y: 0, width: 1920, height: 1040 };
const right = { x: 1920, y: 0, width: 1280, height: 1024 };

describe('overlay bounds', () => {
  afterEach(() => vi.useRealTimers());

  it('defaults to a strip at the bottom centre of the primary display', () => {
    expect(defaultOverlayBounds(primary)).toEqual({ x: 410, y: 798, width: 1100, height: 180 });
    expect(restoreOverlayBounds(null, [primary], primary)).toEqual(defaultOverlayBounds(primary));
  });

  it('keeps a saved position on a display, pulled fully onto it', () => {
    expect(restoreOverlayBounds({ x: 2000, y: 700, width: 900, height: 160 }, [primary, right], primary)).toEqual({
      x: 2000,
      y: 700,
      width: 900,
      height: 160,
    });
    expect(restoreOverlayBounds({ x: 2400, y: 900, width: 900, height: 160 }, [primary, right], primary)).toEqual({
      x: 2300,
      y: 864,
      width: 900,
      height: 160,
    });
  });

  it('falls back to the default when the saved display is gone', () => {
    expect(restoreOverlayBounds({ x: 2000, y: 700, width: 900, height: 160 }, [primary], primary)).toEqual(
      defaultOverlayBounds(primary),
    );
  });

  it('saves once a drag settles, and flushes a pending save on quit', () => {
    vi.useFakeTimers();
    const saved: unknown[] = [];
    const saver = new BoundsSaver((b) => saved.push(b), 500);
    for (let x = 0; x < 50; x++) {
      saver.update({ x, y: 0, width: 800, height: 150 });
      vi.advanceTimersByTime(16);
    }
    expect(saved).toEqual([]);
    vi.advanceTimersByTime(500);
    expect(saved).toEqual([{ x: 49, y: 0, width: 800, height: 150 }]);
    saver.update({ x: 1, y: 1, width: 800, height: 150 });
    saver.flush();
    saver.flush();
    expect(saved).toHaveLength(2);
  });
});
