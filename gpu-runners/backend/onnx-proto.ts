/**
 * Lossless edits of ONNX model bytes. A model is a protobuf message; decoding it with a partial schema and encoding
 * it again would drop every field the schema does not name (functions, sparse initializers, metadata a newer
 * exporter adds). So messages are walked at the wire level as lists of raw fields: an edit decodes only the fields
 * it reads (nodes, initializer names and dims, graph inputs), re-encodes only what it changes, and copies every
 * other byte as it was.
 */
import protobuf from 'protobufjs';

/** One field of a message as it is on the wire; `body` is the payload of a length-delimited field. */
export interface RawField {
  no: number;
  raw: Uint8Array;
  body?: Uint8Array;
}

/** The fields of a message, in order. */
export function readFields(bytes: Uint8Array): RawField[] {
  const reader = protobuf.Reader.create(bytes);
  const out: RawField[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const no = tag >>> 3;
    const wire = tag & 7;
    let body: Uint8Array | undefined;
    if (wire === 2) {
      const length = reader.uint32();
      body = bytes.subarray(reader.pos, reader.pos + length);
      reader.skip(length);
    } else reader.skipType(wire);
    out.push({ no, raw: bytes.subarray(start, reader.pos), ...(body ? { body } : {}) });
  }
  return out;
}

/** A length-delimited field `no` holding `body`. */
export function lengthField(no: number, body: Uint8Array): RawField {
  return {
    no,
    raw: protobuf.Writer.create()
      .uint32((no << 3) | 2)
      .bytes(body)
      .finish(),
    body,
  };
}

/** The message made of `fields`. */
export function joinFields(fields: readonly RawField[]): Uint8Array {
  const out = new Uint8Array(fields.reduce((n, f) => n + f.raw.length, 0));
  let at = 0;
  for (const f of fields) {
    out.set(f.raw, at);
    at += f.raw.length;
  }
  return out;
}

const f = (type: string, id: number, repeated = false) => (repeated ? { type, id, rule: 'repeated' } : { type, id });

/** The messages an edit reads or writes whole, with every field of onnx.proto they have (so re-encoding loses nothing). */
const root = protobuf.Root.fromJSON({
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: { fields: { key: f('string', 1), value: f('string', 2) } },
        AttributeProto: {
          fields: {
            name: f('string', 1),
            refAttrName: f('string', 21),
            type: f('int32', 20),
            i: f('int64', 3),
            ints: f('int64', 8, true),
            t: f('TensorProto', 5),
          },
        },
        NodeProto: {
          fields: {
            input: f('string', 1, true),
            output: f('string', 2, true),
            name: f('string', 3),
            opType: f('string', 4),
            domain: f('string', 7),
            attribute: f('AttributeProto', 5, true),
          },
        },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
        TensorProto: {
          fields: {
            dims: f('int64', 1, true),
            dataType: f('int32', 2),
            int64Data: f('int64', 7, true),
            name: f('string', 8),
            rawData: f('bytes', 9),
            docString: f('string', 12),
            externalData: f('StringStringEntryProto', 13, true),
            dataLocation: f('int32', 14),
          },
        },
        ValueInfoProto: {
          fields: {
            name: f('string', 1),
            type: f('TypeProto', 2),
            docString: f('string', 3),
            metadataProps: f('StringStringEntryProto', 4, true),
          },
        },
        TensorShapeProto: {
          fields: { dim: f('Dimension', 1, true) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dimValue', 'dimParam'] } },
              fields: { dimValue: f('int64', 1), dimParam: f('string', 2), denotation: f('string', 3) },
            },
          },
        },
        TypeProto: {
          fields: { tensorType: f('Tensor', 1), denotation: f('string', 6) },
          nested: { Tensor: { fields: { elemType: f('int32', 1), shape: f('TensorShapeProto', 2) } } },
        },
      },
    },
  },
});

export const NodeProto = root.lookupType('onnx.NodeProto');
export const TensorProto = root.lookupType('onnx.TensorProto');
export const ValueInfoProto = root.lookupType('onnx.ValueInfoProto');
export const OperatorSetIdProto = root.lookupType('onnx.OperatorSetIdProto');

/** Field numbers of onnx.proto's ModelProto, GraphProto and NodeProto that edits use. */
export const MODEL = { graph: 7, opsetImport: 8 } as const;
export const GRAPH = { node: 1, initializer: 5, input: 11, output: 12, valueInfo: 13 } as const;
export const NODE = { input: 1 } as const;
export const INT64 = 7;

export interface NodeInfo {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  domain: string;
  attribute: { name: string; t?: TensorInfo }[];
}

export interface TensorInfo {
  name: string;
  dims: number[];
}

const toNumber = (v: unknown) => (typeof v === 'number' ? v : Number(v));

export function decodeNode(body: Uint8Array): NodeInfo {
  const n = NodeProto.toObject(NodeProto.decode(body), { defaults: true, longs: Number }) as NodeInfo;
  return n;
}

/** An initializer's name and dimensions (its data is not read). */
export function decodeTensorInfo(body: Uint8Array): TensorInfo {
  const t = TensorProto.toObject(TensorProto.decode(body), { defaults: true, longs: Number }) as {
    name: string;
    dims: unknown[];
  };
  return { name: t.name, dims: t.dims.map(toNumber) };
}

/** A small int64 initializer. */
export function int64Initializer(name: string, values: readonly number[]): Uint8Array {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return TensorProto.encode(
    TensorProto.fromObject({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) }),
  ).finish();
}

/** A node in the default domain. */
export function encodeNode(opType: string, name: string, input: string[], output: string[]): Uint8Array {
  return NodeProto.encode(NodeProto.fromObject({ opType, name, input, output })).finish();
}

/** A node's bytes with input `index` renamed; every other field stays as it was. */
export function renameNodeInput(body: Uint8Array, index: number, name: string): Uint8Array {
  let seen = 0;
  const fields = readFields(body).map((field) => {
    if (field.no !== NODE.input) return field;
    return seen++ === index ? lengthField(NODE.input, new TextEncoder().encode(name)) : field;
  });
  return joinFields(fields);
}
