/** Node's AssetLoader for the web client: client/web's pages, their scripts bundled on first request (client/node/web-pages.ts). */
import { webPageAssets, WEB_DIR } from '../../../client/node/web-pages.ts';
import type { AssetLoader } from '../../routes/web.ts';

export { WEB_DIR };

export function nodeWebAssets(dir = WEB_DIR): AssetLoader {
  return webPageAssets(dir);
}
