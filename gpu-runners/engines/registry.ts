/** Engines by name, as chosen by configuration (`--stt`, `--mt`). */
import { availableParallelism } from 'node:os';
import type { Config } from '../../shared/config.ts';
import { silentLogger, type Logger } from '../../shared/logger.ts';
import { parseDevice } from '../backend/onnx.ts';
import { ApertiumEngine } from './apertium.ts';
import { PivotingApertium } from './apertium-pivot.ts';
import { NllbOnnxEngine } from './nllb-onnx/engine.ts';
import { parseDtypeSetting } from '../models/dtype.ts';
import { modelStoreFromConfig } from '../models/store-from-config.ts';
import { EffortSphinxEngine } from './sphinx-effort.ts';
import { MoonshineOnnxEngine } from './moonshine-onnx/engine.ts';
import { moonshineModel } from './moonshine-onnx/names.ts';
import { WhisperOnnxEngine } from './whisper-onnx/engine.ts';
import type { MtEngine, SttEngine } from './types.ts';

/** `logger` receives engine logs (model resolution, the execution provider in use). */
/** An `auto` engine not resolved by `resolveAutoEngines` (in-process embedders, tests) is the offline one. */
export function createSttEngine(config: Config, logger: Logger = silentLogger): SttEngine {
  switch (config.stt) {
    case 'auto':
    case 'sphinx':
      return new EffortSphinxEngine({
        decoders: config.sphinxDecoders,
        glossaryDecoders: config.sphinxGlossaryDecoders,
        maxStreams: config.sttLane === 'stateless' ? 0 : config.sttMaxStreams,
      });
    case 'whisper-onnx':
      return new WhisperOnnxEngine({
        model: config.sttModel,
        store: modelStoreFromConfig(config, logger),
        device: config.device,
        dtype: parseDtypeSetting(config.dtype),
        // One no-speech threshold and loop ratio for Whisper's own rules and the runner's guard (gpu-runners/guard).
        whisper: {
          beamSize: config.sttBeam,
          task: config.sttTask === 'auto' ? undefined : config.sttTask,
          language: config.language || undefined,
          noSpeechThreshold: config.noSpeechThreshold,
          compressionRatioThreshold: config.maxCompressionRatio || null,
          fitFloorSeconds: config.sttFitFloorMs / 1000,
          fitPartialFloorSeconds: config.sttFitPartialFloorMs / 1000,
          fitMarginSeconds: config.sttFitMarginMs / 1000,
        },
        threads: config.sttThreads || availableParallelism(),
        interOpThreads: 1,
        logger,
      });
    case 'moonshine-onnx':
      return new MoonshineOnnxEngine({
        model: moonshineModel(config.sttModel),
        store: modelStoreFromConfig(config, logger),
        device: config.device,
        dtype: parseDtypeSetting(config.dtype),
        language: config.language || undefined,
        threads: config.sttThreads || availableParallelism(),
        interOpThreads: 1,
        logger,
      });
  }
}

/** `logger` receives engine logs (model resolution, the execution provider in use). */
export function createMtEngine(config: Config, logger: Logger = silentLogger): MtEngine | null {
  switch (config.mt) {
    case 'auto':
    case 'apertium':
      return new PivotingApertium(new ApertiumEngine({}));
    case 'nllb-onnx':
      return new NllbOnnxEngine({
        model: config.mtModel,
        store: modelStoreFromConfig(config, logger),
        device: parseDevice(config.mtDevice),
        dtype: parseDtypeSetting(config.mtDtype),
        beams: config.mtBeams,
        logger,
      });
    case 'none':
      return null;
  }
}
