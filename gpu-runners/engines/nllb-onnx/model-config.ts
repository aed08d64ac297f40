/**
 * What the decoding loop needs from a model directory's `config.json` and `generation_config.json` (M2M100 /
 * NLLB layout). generation_config.json wins where both say something, as in transformers.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { EarshotError } from '../../../shared/errors.ts';

const positive = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

const ModelJson = z.object({
  model_type: z.string(),
  d_model: positive,
  decoder_layers: positive,
  decoder_attention_heads: positive,
  max_position_embeddings: positive.optional(),
  decoder_start_token_id: tokenId.optional(),
  eos_token_id: tokenId.optional(),
  pad_token_id: tokenId.optional(),
  forced_eos_token_id: tokenId.nullish(),
  max_length: positive.optional(),
});

const GenerationJson = z.object({
  decoder_start_token_id: tokenId.optional(),
  eos_token_id: z.union([tokenId, z.array(tokenId)]).optional(),
  forced_eos_token_id: tokenId.nullish(),
  max_length: positive.optional(),
});

export interface Seq2SeqConfig {
  decoderLayers: number;
  decoderHeads: number;
  /** Width of one attention head: d_model / heads. */
  headDim: number;
  /** The decoder's first input token (</s> for NLLB and M2M100). */
  decoderStartId: number;
  eosId: number;
  /** When set, the last position a sequence can reach is forced to this token (as transformers does). */
  forcedEosId: number | undefined;
  /** The longest decoder sequence, decoder start included (generation_config's `max_length`). */
  maxLength: number;
}

/** The model types whose ONNX export this engine understands (NLLB checkpoints are `m2m_100` models). */
const SUPPORTED = new Set(['m2m_100', 'nllb']);

async function readJson(path: string, required: boolean): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new EarshotError('engine_unavailable', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads and checks a model directory's configuration. */
export async function readSeq2SeqConfig(dir: string): Promise<Seq2SeqConfig> {
  const model = ModelJson.safeParse(await readJson(join(dir, 'config.json'), true));
  if (!model.success)
    throw new EarshotError(
      'engine_unavailable',
      `${dir}/config.json: ${model.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  const generation = GenerationJson.safeParse(await readJson(join(dir, 'generation_config.json'), false));
  if (!generation.success)
    throw new EarshotError(
      'engine_unavailable',
      `${dir}/generation_config.json: ${generation.error.issues[0]?.message}`,
    );
  const m = model.data;
  const g = generation.data;
  if (!SUPPORTED.has(m.model_type))
    throw new EarshotError('engine_unavailable', `${dir}: model_type "${m.model_type}" is not an NLLB / M2M100 model`);
  if (m.d_model % m.decoder_attention_heads !== 0)
    throw new EarshotError('engine_unavailable', `${dir}: d_model is not a multiple of the head count`);
  const eos = Array.isArray(g.eos_token_id) ? g.eos_token_id[0] : g.eos_token_id;
  const forcedEos = g.forced_eos_token_id !== undefined ? g.forced_eos_token_id : m.forced_eos_token_id;
  return {
    decoderLayers: m.decoder_layers,
    decoderHeads: m.decoder_attention_heads,
    headDim: m.d_model / m.decoder_attention_heads,
    decoderStartId: g.decoder_start_token_id ?? m.decoder_start_token_id ?? 2,
    eosId: eos ?? m.eos_token_id ?? 2,
    forcedEosId: forcedEos ?? undefined,
    maxLength: Math.min(g.max_length ?? m.max_length ?? 200, m.max_position_embeddings ?? Infinity),
  };
}
