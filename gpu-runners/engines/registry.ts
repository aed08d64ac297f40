/** Engines by name, as chosen by configuration (`--stt`, `--mt`). */
import type { Config } from '../../shared/config.ts';
import { ApertiumEngine } from './apertium.ts';
import { SphinxEngine } from './sphinx.ts';
import type { MtEngine, SttEngine } from './types.ts';

export function createSttEngine(config: Config): SttEngine {
  switch (config.stt) {
    case 'sphinx':
      return new SphinxEngine({ decoders: config.sphinxDecoders });
  }
}

export function createMtEngine(config: Config): MtEngine | null {
  switch (config.mt) {
    case 'apertium':
      return new ApertiumEngine({});
    case 'none':
      return null;
  }
}
