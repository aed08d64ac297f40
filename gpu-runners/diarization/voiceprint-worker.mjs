// Entry of the voiceprint thread: threads start as plain Node, so the TypeScript loader is registered here (as
// bin/earshot.mjs does for the process) before the worker's module is imported.
import { register } from 'tsx/esm/api';

register();
await import('./voiceprint-worker.ts');
