/** Node's AssetLoader for the web client: the files of edge/web/, read from disk on each request (they are small). */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AssetLoader } from '../../routes/web.ts';

export const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

export function nodeWebAssets(dir = WEB_DIR): AssetLoader {
  return async (name) => {
    try {
      return await readFile(`${dir}${name}`);
    } catch {
      return null;
    }
  };
}
