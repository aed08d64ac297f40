/** The wake-word engine the configuration names, bounded to `EARSHOT_WAKE_MAX_DETECTORS` detectors at once. */
import type { Config } from '../../shared/config.ts';
import type { WakeWordFactory } from './detector.ts';
import { sphinxKwsFactory } from './sphinx-kws.ts';
import { boundedWakeFactory } from './wake-gate.ts';

export function wakeFactory(config: Pick<Config, 'wake' | 'wakeModel' | 'wakeMaxDetectors'>): WakeWordFactory | undefined {
  if (config.wake === 'off' || config.wakeMaxDetectors === 0) return undefined;
  const engine: WakeWordFactory = sphinxKwsFactory();
  return boundedWakeFactory(engine, config.wakeMaxDetectors);
}
