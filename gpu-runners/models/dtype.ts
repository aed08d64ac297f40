/**
 * Weight precisions of ONNX exports, by transformers.js's names and file suffixes: onnx-community and Xenova publish
 * `onnx/encoder_model_quantized.onnx` (q8), `…_fp16.onnx`, `…_q4.onnx` and so on beside the fp32 graph. A setting is
 * one dtype for every graph (`q8`), or per graph as transformers.js's dtype object allows
 * (`encoder_model=fp32,decoder_model_merged=q4`); `auto` takes the export's own choice
 * (`transformers.js_config.dtype` in config.json) or else the device's default.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EarshotError } from '../../shared/errors.ts';

export const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

export type Dtype = keyof typeof DTYPE_SUFFIX;
export const DTYPES = Object.keys(DTYPE_SUFFIX) as Dtype[];

/** One dtype for all graphs, per-graph dtypes (graphs not named take `fallback`), or `auto`. */
export type DtypeSetting = 'auto' | Dtype | { perGraph: Readonly<Record<string, Dtype>>; fallback: Dtype | 'auto' };

/**
 * The dtype a device uses when neither the setting nor the export names one. q8 on the CPU: less than half the
 * download and less memory than fp32 on a whisper-base-shaped model, and about twice the tokens per second on an
 * NLLB-600M-shaped one (README "Precision", bench/results/). fp16 on CUDA, what tensor cores run (not measured
 * here: no GPU was available).
 */
export function defaultDtype(device: 'cpu' | 'cuda'): Dtype {
  return device === 'cuda' ? 'fp16' : 'q8';
}

const isDtype = (v: string): v is Dtype => v in DTYPE_SUFFIX;

/** Parses `q8`, `auto`, or `graph=dtype,graph=dtype[,*=dtype]`; anything else is an error naming the forms. */
export function parseDtypeSetting(text: string): DtypeSetting {
  const value = text.trim();
  if (value === '' || value === 'auto') return 'auto';
  if (isDtype(value)) return value;
  if (!value.includes('=')) throw dtypeError(`unknown dtype "${value}"`);
  const perGraph: Record<string, Dtype> = {};
  let fallback: Dtype | 'auto' = 'auto';
  for (const part of value.split(',')) {
    const [graph = '', dtype = ''] = part.split('=').map((s) => s.trim());
    if (!isDtype(dtype)) throw dtypeError(`unknown dtype "${dtype}" for ${graph}`);
    if (graph === '*') fallback = dtype;
    else if (/^[\w.-]+$/.test(graph)) perGraph[graph.replace(/\.onnx$/, '')] = dtype;
    else throw dtypeError(`"${part}" is not graph=dtype`);
  }
  return { perGraph, fallback };
}

function dtypeError(what: string): EarshotError {
  return new EarshotError(
    'engine_unavailable',
    `${what}: use one of ${DTYPES.join(', ')}, auto, or per graph like encoder_model=fp32,decoder_model_merged=q4`,
  );
}

/** The export's own dtype choice from config.json (`transformers.js_config.dtype`: a name or a per-graph object). */
export function exportDtype(modelDir: string | undefined): DtypeSetting | undefined {
  if (!modelDir || !existsSync(join(modelDir, 'config.json'))) return undefined;
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as {
    'transformers.js_config'?: { dtype?: unknown };
  };
  const dtype = config['transformers.js_config']?.dtype;
  if (typeof dtype === 'string' && isDtype(dtype)) return dtype;
  if (dtype && typeof dtype === 'object') {
    const perGraph = Object.fromEntries(
      Object.entries(dtype).filter((e): e is [string, Dtype] => typeof e[1] === 'string' && isDtype(e[1])),
    );
    return { perGraph, fallback: 'auto' };
  }
  return undefined;
}

/** The dtype of one graph (`encoder_model`) under a setting, the export's choice and the device default. */
export function dtypeOf(
  graph: string,
  setting: DtypeSetting,
  device: 'cpu' | 'cuda',
  fromExport?: DtypeSetting,
): Dtype {
  const pick = (s: DtypeSetting | undefined): Dtype | 'auto' =>
    s === undefined ? 'auto' : typeof s === 'string' ? s : (s.perGraph[graph] ?? s.fallback);
  const chosen = pick(setting);
  if (chosen !== 'auto') return chosen;
  const exported = pick(fromExport);
  return exported !== 'auto' ? exported : defaultDtype(device);
}

/** `onnx/<graph><suffix>.onnx`. */
export function graphFile(graph: string, dtype: Dtype): string {
  return `onnx/${graph}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** A short description for logs: `q8`, or `encoder_model:fp32 decoder_model_merged:q4`. */
export function describeDtypes(dtypes: Readonly<Record<string, Dtype>>): string {
  const values = new Set(Object.values(dtypes));
  return values.size === 1
    ? [...values][0]!
    : Object.entries(dtypes)
        .map(([g, d]) => `${g}:${d}`)
        .join(' ');
}
