/** What the preload exposes to the desktop pages. */
import type { EarshotApi } from '../electron/ipc.ts';

declare global {
  interface Window {
    earshot: EarshotApi;
  }
}
