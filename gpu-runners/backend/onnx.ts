/**
 * The one module that touches onnxruntime-node. It owns the device → execution provider map, creates sessions,
 * builds and reads tensors, and translates runtime errors into earshot's coded errors, so engines (Whisper, NLLB)
 * never see an onnxruntime type or exception.
 */
import * as ort from 'onnxruntime-node';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';
import { EarshotError, type ErrorCode } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { silentLogger } from '../../shared/logger.ts';

/** `cpu`, or `cuda:N` for the N-th CUDA GPU. */
export type Device = 'cpu' | `cuda:${number}`;

export interface DeviceSpec {
  kind: 'cpu' | 'cuda';
  /** GPU index; 0 for the CPU. */
  index: number;
}

/** Parses a device name; anything else is a clear error naming the accepted forms. */
export function parseDevice(name: string): DeviceSpec {
  if (name === 'cpu') return { kind: 'cpu', index: 0 };
  const cuda = /^cuda(?::(\d{1,3}))?$/.exec(name);
  if (cuda) return { kind: 'cuda', index: Number(cuda[1] ?? 0) };
  throw new EarshotError(
    'engine_unavailable',
    `unknown device "${name}": use "cpu" or "cuda:N" (N the GPU index, e.g. cuda:0)`,
  );
}

/** The execution providers for a device, most preferred first. CUDA never silently falls back to the CPU. */
export function executionProviders(device: DeviceSpec): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (device.kind) {
    case 'cpu':
      return ['cpu'];
    case 'cuda':
      return [{ name: 'cuda', deviceId: device.index }];
  }
}

/** Execution providers this onnxruntime-node build knows (`cuda` also needs its provider library beside the binding). */
function availableProviders(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends();
}

export type Tensor = ort.Tensor;
export type Feeds = Record<string, ort.Tensor>;

/** One input or output as the model declares it; symbolic dimensions are strings. */
export interface ValueInfo {
  name: string;
  type: string;
  shape: readonly (number | string)[];
}

export interface SessionOptions {
  device?: DeviceSpec;
  logger?: Logger;
  /** Threads for one operator; 0 lets onnxruntime choose. */
  threads?: number;
  /** Threads running independent operators at once; 0 lets onnxruntime choose. */
  interOpThreads?: number;
  /** Code of the error a failed `run` becomes (engines pick stt_failed / mt_failed). */
  failureCode?: ErrorCode;
  /**
   * Keep freed buffers in onnxruntime's CPU arena and plan a memory pattern per input shape (default true): fastest
   * for fixed shapes; false returns each run's buffers (a 30 s window's attention maps) instead of holding the peak.
   */
  memoryArena?: boolean;
}

/** An inference session with earshot's error codes and plain metadata. */
export class OnnxSession {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly #session: ort.InferenceSession;
  readonly #failureCode: ErrorCode;
  readonly #label: string;
  /** Inputs declared float16 (fp16 / q4f16 exports: hidden states and key/value caches in half precision). */
  readonly #halfInputs: ReadonlySet<string>;

  private constructor(session: ort.InferenceSession, label: string, failureCode: ErrorCode) {
    this.#session = session;
    this.#label = label;
    this.#failureCode = failureCode;
    const info = (m: ort.InferenceSession.ValueMetadata): ValueInfo =>
      m.isTensor ? { name: m.name, type: m.type, shape: m.shape } : { name: m.name, type: 'non-tensor', shape: [] };
    this.inputs = session.inputMetadata.map(info);
    this.outputs = session.outputMetadata.map(info);
    this.#halfInputs = new Set(this.inputs.filter((i) => i.type === 'float16').map((i) => i.name));
  }

  /**
   * Loads a model from a file path or its bytes on a device. Logs which execution provider runs it; a device whose
   * provider is missing is an `engine_unavailable` error rather than a quiet CPU fallback.
   */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
    const device = options.device ?? { kind: 'cpu', index: 0 };
    const logger = options.logger ?? silentLogger;
    const label = typeof model === 'string' ? model : `<${model.byteLength} bytes>`;
    const providers = executionProviders(device);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: options.interOpThreads ?? 0,
      logSeverityLevel: 3,
      ...(options.memoryArena === false ? { enableCpuMemArena: false, enableMemPattern: false } : {}),
    };
    if (device.kind === 'cuda' && !availableProviders().some((b) => b.name === 'cuda')) {
      throw new EarshotError(
        'engine_unavailable',
        `device cuda:${device.index}: this onnxruntime-node build has no CUDA execution provider`,
      );
    }
    let session: ort.InferenceSession;
    try {
      session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const where =
        device.kind === 'cuda'
          ? ` on cuda:${device.index} (is the CUDA provider library and a matching CUDA/cuDNN installed?)`
          : '';
      throw new EarshotError('engine_unavailable', `cannot load ONNX model ${label}${where}: ${reason}`, {
        cause: err,
      });
    }
    const provider = device.kind === 'cuda' ? `CUDAExecutionProvider:${device.index}` : 'CPUExecutionProvider';
    logger.info(
      { model: label, device: device.kind === 'cuda' ? `cuda:${device.index}` : 'cpu', executionProvider: provider },
      'onnx session ready',
    );
    return new OnnxSession(session, label, options.failureCode ?? 'internal');
  }

  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * Runs the model; `outputs` limits what is fetched (default: every output). Float feeds are given in the precision
   * the input declares, so engines build float32 tensors whatever the export's dtype; float16 outputs come back as
   * they are (a cache fed back costs no conversion) and `floatData` reads them as float32.
   */
  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, ort.Tensor>> {
    if (this.#halfInputs.size > 0)
      feeds = Object.fromEntries(
        Object.entries(feeds).map(([name, t]) => [name, this.#halfInputs.has(name) ? toFloat16(t) : t]),
      );
    try {
      const result = outputs ? await this.#session.run(feeds, [...outputs]) : await this.#session.run(feeds);
      return result as Record<string, ort.Tensor>;
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new EarshotError(this.#failureCode, `ONNX inference failed (${this.#label}): ${reason}`, { cause: err });
    }
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

/** A float32 tensor. */
export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, [...dims]);
}

/** An int64 tensor from plain numbers (token ids, positions). */
export function int64Tensor(values: ArrayLike<number> | readonly number[], dims: readonly number[]): ort.Tensor {
  const data = BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)));
  return new ort.Tensor('int64', data, [...dims]);
}

/** A boolean tensor (e.g. the merged decoder's `use_cache_branch`). */
export function boolTensor(values: readonly boolean[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'bool',
    Uint8Array.from(values, (v) => (v ? 1 : 0)),
    [...dims],
  );
}

/** An all-zero float32 tensor; a dimension of 0 makes an empty tensor (the first step's past key/values). */
export function zerosTensor(dims: readonly number[]): ort.Tensor {
  return floatTensor(new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
}

/** A float tensor's data as float32 (float16 is converted), checked. */
export function floatData(tensor: ort.Tensor | undefined, name = 'tensor'): Float32Array {
  if (tensor?.type === 'float32') return tensor.data as Float32Array;
  if (tensor?.type === 'float16') return float16ToFloat32(tensor.data as Uint16Array);
  throw new EarshotError('internal', `expected a float32 or float16 ${name}, got ${tensor?.type ?? 'nothing'}`);
}

/** A float tensor in half precision (float16 tensors are returned as they are). */
function toFloat16(tensor: ort.Tensor): ort.Tensor {
  if (tensor.type !== 'float32') return tensor;
  return new ort.Tensor('float16', float32ToFloat16(tensor.data as Float32Array), tensor.dims);
}

/**
 * The rows `rows` of a float32 or float16 tensor along its first (batch) axis, in that order and precision:
 * reorders beams, drops finished rows, replicates a row per beam. The identity selection returns the tensor itself.
 */
export function gatherRows(tensor: ort.Tensor, rows: readonly number[]): ort.Tensor {
  const dims = dimsOf(tensor);
  const n = dims[0] ?? 0;
  if (rows.length === n && rows.every((r, i) => r === i)) return tensor;
  if (tensor.type !== 'float32' && tensor.type !== 'float16')
    throw new EarshotError('internal', `cannot select rows of a ${tensor.type} tensor`);
  const data = tensor.data as Float32Array | Uint16Array;
  const size = n === 0 ? 0 : data.length / n;
  const out = tensor.type === 'float32' ? new Float32Array(rows.length * size) : new Uint16Array(rows.length * size);
  rows.forEach((r, i) => out.set(data.subarray(r * size, (r + 1) * size), i * size));
  return new ort.Tensor(tensor.type, out, [rows.length, ...dims.slice(1)]);
}

/** Float32 or float16 tensors of equal shape stacked along their first (batch) axis, in that order. */
export function stackRows(tensors: readonly ort.Tensor[]): ort.Tensor {
  if (tensors.length === 1) return tensors[0]!;
  const dims = dimsOf(tensors[0]!);
  const type = tensors[0]!.type;
  if (
    (type !== 'float32' && type !== 'float16') ||
    tensors.some((t) => t.type !== type || t.dims.slice(1).join() !== tensors[0]!.dims.slice(1).join())
  )
    throw new EarshotError('internal', 'stackRows needs float tensors of one type and shape');
  const total = tensors.reduce((n, t) => n + t.data.length, 0);
  const out = type === 'float32' ? new Float32Array(total) : new Uint16Array(total);
  let at = 0;
  for (const t of tensors) {
    out.set(t.data as Float32Array & Uint16Array, at);
    at += t.data.length;
  }
  return new ort.Tensor(type, out, [tensors.reduce((n, t) => n + Number(t.dims[0]), 0), ...dims.slice(1)]);
}

/** The first `count` positions (axis 2) of a float32 or float16 [B, H, T, D] tensor: a KV cache cut back. */
export function keepPositions(tensor: ort.Tensor, count: number): ort.Tensor {
  const [b = 0, h = 0, t = 0, d = 0] = dimsOf(tensor);
  if (count === t) return tensor;
  if ((tensor.type !== 'float32' && tensor.type !== 'float16') || count > t)
    throw new EarshotError('internal', `cannot keep ${count} of ${t} positions of a ${tensor.type} tensor`);
  const data = tensor.data as Float32Array | Uint16Array;
  const out = tensor.type === 'float32' ? new Float32Array(b * h * count * d) : new Uint16Array(b * h * count * d);
  for (let i = 0; i < b * h; i++) out.set(data.subarray(i * t * d, i * t * d + count * d), i * count * d);
  return new ort.Tensor(tensor.type, out, [b, h, count, d]);
}

/** The dimensions of a tensor as numbers. */
export function dimsOf(tensor: ort.Tensor): number[] {
  return tensor.dims.map(Number);
}
