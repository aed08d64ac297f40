/** The watch page's URL options (client/web/watch-options.ts): OBS users configure overlays only through them. */
import { describe, expect, it } from 'vitest';
import { parseWatchOptions } from '../../client/web/watch-options.ts';

// Stand-in for the browser's CSS.supports('color', …).
const isColor = (c: string) => /^(#[0-9a-f]{3,8}|[a-z]+|rgba?\([\d.,\s%/]+\))$/i.test(c);

describe('parseWatchOptions', () => {
  it('gives the page readable defaults and the overlay large, transparent ones', () => {
    expect(parseWatchOptions('', isColor)).toEqual({
      overlay: false,
      size: null,
      lines: 8,
      color: null,
      bg: null,
      lang: null,
      partials: true,
      align: 'left',
    });
    expect(parseWatchOptions('?overlay=1', isColor)).toEqual({
      overlay: true,
      size: 44,
      lines: 2,
      color: null,
      bg: 'rgba(0, 0, 0, 0.55)',
      lang: null,
      partials: true,
      align: 'center',
    });
  });

  it('reads size, lines, colours (hex without #), language and alignment', () => {
    const o = parseWatchOptions(
      '?overlay=1&size=64&lines=3&color=ffcc00&bg=transparent&lang=es&partials=0&align=left',
      isColor,
    );
    expect(o).toMatchObject({
      size: 64,
      lines: 3,
      color: '#ffcc00',
      bg: 'transparent',
      lang: 'es',
      partials: false,
      align: 'left',
    });
  });

  it('falls back on bad values instead of breaking the overlay', () => {
    const o = parseWatchOptions(
      '?overlay=1&size=huge&lines=0&color=red;position:fixed&bg=url(x)&lang=../../x',
      isColor,
    );
    expect(o).toMatchObject({ size: 44, lines: 1, color: null, bg: 'rgba(0, 0, 0, 0.55)', lang: null });
    expect(parseWatchOptions('?size=9999&lines=500', isColor)).toMatchObject({ size: 400, lines: 50 });
  });
});
