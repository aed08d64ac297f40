/**
 * Resolves an ONNX model at a dtype: reads the export's config first (its `transformers.js_config.dtype` may
 * choose), then fetches the graph files of the chosen variant. Under `auto`, an export that does not publish the
 * device's default variant (many fine-tunes ship fp32 only) is used in fp32, as it is, rather than failing.
 */
import { EarshotError } from '../../shared/errors.ts';
import { describeDtypes, dtypeOf, exportDtype, graphFile, type Dtype, type DtypeSetting } from './dtype.ts';
import type { ModelManifest, ModelStore } from './model-store.ts';

export interface GraphsRequest {
  model: string;
  /** Non-graph files (config.json, tokenizer.json, …); config.json first. */
  files: readonly string[];
  optional?: readonly string[];
  /** Graph base names, e.g. `encoder_model`, `decoder_model_merged`. */
  graphs: readonly string[];
  dtype: DtypeSetting;
  device: 'cpu' | 'cuda';
}

export interface ResolvedGraphs {
  dir: string;
  /** Graph base name → its file (`onnx/encoder_model_quantized.onnx`). */
  files: Record<string, string>;
  dtypes: Record<string, Dtype>;
  /** `q8`, or per graph. */
  description: string;
}

/** The manifest of `graphs` at `dtypes` plus the request's other files. */
export function graphsManifest(
  request: Pick<GraphsRequest, 'files' | 'optional'>,
  dtypes: Readonly<Record<string, Dtype>>,
): ModelManifest {
  return {
    required: [...request.files, ...Object.entries(dtypes).map(([g, d]) => graphFile(g, d))],
    optional: request.optional,
  };
}

export async function resolveGraphs(store: ModelStore, request: GraphsRequest): Promise<ResolvedGraphs> {
  const configDir = await store.resolve(request.model, { required: ['config.json'] });
  const fromExport = exportDtype(configDir);
  const chosen = Object.fromEntries(
    request.graphs.map((g) => [g, dtypeOf(g, request.dtype, request.device, fromExport)]),
  );
  const attempts = [chosen];
  const automatic = request.graphs.some((g) => !isExplicit(request.dtype, g));
  if (automatic && Object.values(chosen).some((d) => d !== 'fp32')) {
    attempts.push(
      Object.fromEntries(request.graphs.map((g) => [g, isExplicit(request.dtype, g) ? chosen[g]! : 'fp32'])),
    );
  }
  let first: unknown;
  for (const dtypes of attempts) {
    try {
      const dir = await store.resolve(request.model, graphsManifest(request, dtypes));
      return {
        dir,
        dtypes,
        files: Object.fromEntries(Object.entries(dtypes).map(([g, d]) => [g, graphFile(g, d)])),
        description: describeDtypes(dtypes),
      };
    } catch (err) {
      first ??= err;
      if (!(err instanceof EarshotError) || err.code !== 'engine_unavailable') throw err;
    }
  }
  throw first;
}

function isExplicit(setting: DtypeSetting, graph: string): boolean {
  if (typeof setting === 'string') return setting !== 'auto';
  return setting.perGraph[graph] !== undefined || setting.fallback !== 'auto';
}
