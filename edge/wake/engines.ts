/** The wake-word engine the configuration names, bounded to `EARSHOT_WAKE_MAX_DETECTORS` detectors at once. */
import { ConfigError, type Config } from '../../shared/config.ts';
import type { WakeWordFactory } from './detector.ts';
import { onnxWakeFactory } from './onnx-wake.ts';
import { sphinxKwsFactory } from './sphinx-kws.ts';
import { boundedWakeFactory } from './wake-gate.ts';

export function wakeFactory(
  config: Pick<Config, 'wake' | 'wakeModel' | 'wakeMaxDetectors'>,
): WakeWordFactory | undefined {
  if (config.wake === 'off' || config.wakeMaxDetectors === 0) return undefined;
  if (config.wake === 'onnx' && !config.wakeModel)
    throw new ConfigError('EARSHOT_WAKE=onnx needs EARSHOT_WAKE_MODEL: the directory of the openWakeWord models');
  const engine: WakeWordFactory = config.wake === 'onnx' ? onnxWakeFactory(config.wakeModel) : sphinxKwsFactory();
  return boundedWakeFactory(engine, config.wakeMaxDetectors);
}
