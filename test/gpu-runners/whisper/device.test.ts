/**
 * Device selection: `cpu` or `cuda:N` map to onnxruntime execution providers in one place; an unknown device is a
 * clear error before anything loads; the log says which provider runs the model. The GPU path itself needs a CUDA
 * machine (and onnxruntime-node's CUDA provider library); here it must fail loudly instead of falling back.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { executionProviders, parseDevice } from '../../../gpu-runners/backend/onnx.ts';
import { WhisperOnnxEngine } from '../../../gpu-runners/engines/whisper-onnx/engine.ts';
import { LayeredModelStore } from '../../../gpu-runners/models/model-store.ts';
import { createSttEngine } from '../../../gpu-runners/engines/registry.ts';
import { ConfigError, loadConfig } from '../../../shared/config.ts';
import { EarshotError } from '../../../shared/errors.ts';
import { silentLogger } from '../../../shared/logger.ts';
import { tinyModel } from './support.ts';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('device selection', () => {
  it('maps cpu and cuda:N to execution providers, and rejects anything else by name', () => {
    expect(executionProviders(parseDevice('cpu'))).toEqual(['cpu']);
    expect(executionProviders(parseDevice('cuda:1'))).toEqual([{ name: 'cuda', deviceId: 1 }]);
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', index: 0 });
    for (const bad of ['gpu', 'cuda:x', 'CUDA:0', 'tpu:0', '']) {
      expect(() => parseDevice(bad)).toThrow(/unknown device .*use "cpu" or "cuda:N"/);
    }
    expect(() => new WhisperOnnxEngine({ model: '/nowhere', store: new LayeredModelStore(), device: 'gpu:0' })).toThrow(
      EarshotError,
    );
  });

  it('is configured by --stt whisper-onnx --model DIR --device cuda:N, and a bad device stops the process by name', () => {
    const config = loadConfig(
      { EARSHOT_STT_BEAM: '3' },
      { stt: 'whisper-onnx', model: '/models/whisper-base', device: 'cuda:1', 'stt-task': 'translate' },
    );
    expect(config).toMatchObject({
      stt: 'whisper-onnx',
      sttModel: '/models/whisper-base',
      device: 'cuda:1',
      sttBeam: 3,
      sttTask: 'translate',
    });
    const engine = createSttEngine(config, silentLogger) as WhisperOnnxEngine;
    expect(engine).toBeInstanceOf(WhisperOnnxEngine);
    expect(engine.device).toEqual({ kind: 'cuda', index: 1 });
    expect(engine.options).toMatchObject({ beamSize: 3, task: 'translate' });
    expect(() => loadConfig({}, { device: 'gpu0' })).toThrow(ConfigError);
    expect(() => loadConfig({}, { device: 'gpu0' })).toThrow(/EARSHOT_DEVICE \/ --device="gpu0": "cpu" or "cuda:N"/);
  });

  it('logs the execution provider it runs on', async () => {
    const { logger, lines } = capturingLogger();
    const engine = new WhisperOnnxEngine({ model: tinyModel(), store: new LayeredModelStore(), device: 'cpu', logger });
    await engine.load();
    const sessions = lines.filter((l) => l.msg === 'onnx session ready');
    expect(sessions.map((l) => l.executionProvider)).toEqual(['CPUExecutionProvider', 'CPUExecutionProvider']);
    expect(lines.find((l) => l.msg === 'whisper loaded')).toMatchObject({ device: 'cpu', engine: 'whisper-onnx' });
    await engine.close();
  });

  it('fails loudly (engine_unavailable, naming the GPU) when cuda:N cannot be used, never silently on the CPU', async () => {
    const engine = new WhisperOnnxEngine({ model: tinyModel(), store: new LayeredModelStore(), device: 'cuda:0' });
    const failure = await engine.load().then(
      () => undefined,
      (err: unknown) => err,
    );
    if (failure === undefined) {
      // A CUDA machine: it must really run there.
      expect(engine.device).toEqual({ kind: 'cuda', index: 0 });
      await engine.close();
      return;
    }
    expect(failure).toBeInstanceOf(EarshotError);
    expect((failure as EarshotError).code).toBe('engine_unavailable');
    expect((failure as EarshotError).message).toMatch(/cuda:0/);
  });
});
