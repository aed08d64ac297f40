/**
 * Makes a stock Whisper encoder export length-flexible, as whisper.cpp's `audio_ctx` does. Whisper's encoder is two
 * convolutions (2·P mel frames → P positions) and transformer layers that work at any length; only the position
 * table, a [1500, d_model] constant the export adds to the convolution output, ties it to 30 s. This rewrites the
 * graph (Optimum / onnx-community layout, any mel-bin count) so the table is sliced to the convolution's length:
 *
 *     table  →  Slice(table, 0, Shape(conv_out)[1], axis −2)  →  Add
 *
 * A full window slices all 1500 rows, so its output is exactly the stock model's. Nothing is copied or renumbered:
 * three nodes and four small constants are inserted before the Add, its input is renamed, the declared input and
 * output lengths become symbolic, and value_info shape hints (optional) are dropped since some name 1500.
 */
import { EarshotError } from '../../../shared/errors.ts';
import {
  decodeNode,
  decodeTensorInfo,
  encodeNode,
  GRAPH,
  int64Initializer,
  joinFields,
  lengthField,
  MODEL,
  OperatorSetIdProto,
  readFields,
  renameNodeInput,
  ValueInfoProto,
  type NodeInfo,
  type RawField,
  type TensorInfo,
} from '../../backend/onnx-proto.ts';

/** Whisper's encoder positions in a 30 s window. */
export const SOURCE_POSITIONS = 1500;

export interface FittedEncoder {
  bytes: Uint8Array;
  /** The constant that was sliced (its name in the graph). */
  table: string;
}

/** Ops that pass a constant table through unchanged in shape (a table may be gathered or cast before the Add). */
const PASS_THROUGH = new Set(['Gather', 'Identity', 'Cast', 'Unsqueeze', 'Reshape']);

/**
 * The rewritten encoder, or an `engine_unavailable` error saying why this export cannot be fitted (then the engine
 * keeps full windows). `dModel` identifies the table: [positions, dModel] or [1, positions, dModel].
 */
export function fitEncoder(model: Uint8Array, dModel: number, positions = SOURCE_POSITIONS): FittedEncoder {
  const top = readFields(model);
  const graphIndex = top.findIndex((field) => field.no === MODEL.graph);
  if (graphIndex < 0) throw unfit('the model has no graph');
  const opset = top
    .filter((field) => field.no === MODEL.opsetImport)
    .map(
      (field) =>
        OperatorSetIdProto.toObject(OperatorSetIdProto.decode(field.body!), { defaults: true, longs: Number }) as {
          domain: string;
          version: number;
        },
    );
  const onnxOpset = opset.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
  if (onnxOpset < 10) throw unfit(`opset ${onnxOpset} has no Slice with tensor inputs (needs 10)`);

  const graph = readFields(top[graphIndex]!.body!);
  const nodes = new Map<number, NodeInfo>();
  const producer = new Map<string, NodeInfo>();
  const constants = new Map<string, TensorInfo>();
  graph.forEach((field, i) => {
    if (field.no === GRAPH.node) {
      const node = decodeNode(field.body!);
      nodes.set(i, node);
      for (const out of node.output) producer.set(out, node);
      const value = node.opType === 'Constant' ? node.attribute.find((a) => a.name === 'value')?.t : undefined;
      if (value) constants.set(node.output[0]!, { name: node.output[0]!, dims: value.dims.map(Number) });
    } else if (field.no === GRAPH.initializer) {
      const t = decodeTensorInfo(field.body!);
      constants.set(t.name, t);
    }
  });

  const isTable = (dims: readonly number[]) =>
    (dims.length === 2 && dims[0] === positions && dims[1] === dModel) ||
    (dims.length === 3 && dims[0] === 1 && dims[1] === positions && dims[2] === dModel);
  /** The position table a value comes from: itself, or through shape-keeping ops on it. */
  const tableOf = (value: string, depth = 0): TensorInfo | undefined => {
    const constant = constants.get(value);
    if (constant) return isTable(constant.dims) ? constant : undefined;
    const node = producer.get(value);
    if (!node || depth > 4 || !PASS_THROUGH.has(node.opType)) return undefined;
    return tableOf(node.input[0]!, depth + 1);
  };
  const adds = [...nodes.entries()].flatMap(([i, node]) => {
    if (node.opType !== 'Add' || node.input.length !== 2) return [];
    const side = node.input.findIndex((input) => tableOf(input) !== undefined);
    return side < 0 ? [] : [{ i, node, side, table: tableOf(node.input[side]!)! }];
  });
  if (adds.length !== 1)
    throw unfit(
      adds.length === 0
        ? `no Add of a [${positions}, ${dModel}] position table`
        : `${adds.length} Adds of a position table (ambiguous)`,
    );
  const { i: addIndex, node: add, side, table } = adds[0]!;

  const p = `earshot_fit_${table.name.replace(/[^\w]/g, '_')}`;
  const hidden = add.input[1 - side]!;
  const constant = (name: string, values: number[]) =>
    lengthField(GRAPH.initializer, int64Initializer(`${p}_${name}`, values));
  const node = (op: string, name: string, input: string[]) =>
    lengthField(GRAPH.node, encodeNode(op, `${p}_${name}`, input, [`${p}_${name}_out`]));
  const inserted: RawField[] = [
    constant('zero', [0]),
    constant('one', [1]),
    constant('two', [2]),
    constant('axis', [-2]),
    node('Shape', 'shape', [hidden]),
    // [batch, P, d] → [P]: the positions the convolutions produced.
    node('Slice', 'length', [`${p}_shape_out`, `${p}_one`, `${p}_two`]),
    node('Slice', 'table', [add.input[side]!, `${p}_zero`, `${p}_length_out`, `${p}_axis`]),
  ];
  const rewritten: RawField[] = [];
  graph.forEach((field, i) => {
    if (i === addIndex) {
      rewritten.push(...inserted, lengthField(GRAPH.node, renameNodeInput(field.body!, side, `${p}_table_out`)));
    } else if (field.no === GRAPH.valueInfo) {
      // Shape hints only; several name 1500 positions, which would now contradict a shorter window.
    } else if (field.no === GRAPH.input || field.no === GRAPH.output) {
      rewritten.push(symbolicLength(field, field.no === GRAPH.input ? 2 : 1));
    } else rewritten.push(field);
  });
  top[graphIndex] = lengthField(MODEL.graph, joinFields(rewritten));
  return { bytes: joinFields(top), table: table.name };
}

/** A graph input or output whose length axis (`axis`) is declared as a number, made symbolic. */
function symbolicLength(field: RawField, axis: number): RawField {
  const info = ValueInfoProto.toObject(ValueInfoProto.decode(field.body!), { longs: Number }) as {
    name: string;
    type?: { tensorType?: { shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
  };
  const dim = info.type?.tensorType?.shape?.dim?.[axis];
  if (!dim || dim.dimValue === undefined) return field;
  info.type!.tensorType!.shape!.dim![axis] = {
    dimParam: axis === 2 ? 'encoder_sequence_length' : 'encoder_sequence_length / 2',
  };
  return lengthField(field.no, ValueInfoProto.encode(ValueInfoProto.fromObject(info)).finish());
}

function unfit(reason: string): EarshotError {
  return new EarshotError('engine_unavailable', `whisper encoder cannot be fitted to the utterance: ${reason}`);
}
