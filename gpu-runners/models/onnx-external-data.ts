/**
 * Which external data files an ONNX graph refers to (`onnx/decoder_model_merged.onnx_data`, `…onnx_data_1`, …):
 * read from the graph's own tensors (`TensorProto.external_data` entries keyed `location`), in the main graph and
 * in subgraphs (the merged decoder's `If` branches). The protobuf is walked field by field from the file, so a
 * multi-gigabyte graph with inline weights is skipped over, never loaded.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

// Field numbers from onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_SPARSE_INITIALIZER = 15;
const SPARSE_VALUES = 1;
const SPARSE_INDICES = 2;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

/** Reads a file through a window that moves forward; protobuf fields are mostly read in order. */
class FileWindow {
  readonly size: number;
  readonly #fd: number;
  #start = 0;
  #buffer = Buffer.alloc(0);

  constructor(fd: number) {
    this.#fd = fd;
    this.size = fstatSync(fd).size;
  }

  byte(at: number): number {
    if (at < this.#start || at >= this.#start + this.#buffer.length) {
      this.#buffer = Buffer.alloc(Math.min(1 << 16, this.size - at));
      readSync(this.#fd, this.#buffer, 0, this.#buffer.length, at);
      this.#start = at;
    }
    return this.#buffer[at - this.#start]!;
  }

  bytes(at: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    readSync(this.#fd, out, 0, length, at);
    return out;
  }
}

class Walker {
  readonly #file: FileWindow;
  readonly locations = new Set<string>();

  constructor(file: FileWindow) {
    this.#file = file;
  }

  /** Calls `visit(field, start, end)` for each length-delimited field of the message in [start, end); skips others. */
  fields(start: number, end: number, visit: (field: number, start: number, end: number) => void): void {
    let at = start;
    while (at < end) {
      const [tag, afterTag] = this.#varint(at);
      const field = Math.floor(tag / 8);
      switch (tag % 8) {
        case 0:
          at = this.#varint(afterTag)[1];
          break;
        case 1:
          at = afterTag + 8;
          break;
        case 5:
          at = afterTag + 4;
          break;
        case 2: {
          const [length, body] = this.#varint(afterTag);
          if (body + length > end) throw new Error('truncated field');
          visit(field, body, body + length);
          at = body + length;
          break;
        }
        default:
          throw new Error(`unsupported wire type ${tag % 8}`);
      }
    }
  }

  model(): void {
    this.fields(0, this.#file.size, (field, s, e) => field === MODEL_GRAPH && this.graph(s, e));
  }

  graph(start: number, end: number): void {
    this.fields(start, end, (field, s, e) => {
      if (field === GRAPH_INITIALIZER) this.tensor(s, e);
      else if (field === GRAPH_NODE) this.fields(s, e, (f, as, ae) => f === NODE_ATTRIBUTE && this.attribute(as, ae));
      else if (field === GRAPH_SPARSE_INITIALIZER)
        this.fields(s, e, (f, ts, te) => (f === SPARSE_VALUES || f === SPARSE_INDICES) && this.tensor(ts, te));
    });
  }

  attribute(start: number, end: number): void {
    this.fields(start, end, (field, s, e) => {
      if (field === ATTRIBUTE_TENSOR || field === ATTRIBUTE_TENSORS) this.tensor(s, e);
      else if (field === ATTRIBUTE_GRAPH || field === ATTRIBUTE_GRAPHS) this.graph(s, e);
    });
  }

  tensor(start: number, end: number): void {
    this.fields(start, end, (field, s, e) => {
      if (field !== TENSOR_EXTERNAL_DATA) return;
      let key = '';
      let value = '';
      this.fields(s, e, (f, vs, ve) => {
        if (f === ENTRY_KEY) key = this.#file.bytes(vs, ve - vs).toString('utf8');
        else if (f === ENTRY_VALUE) value = this.#file.bytes(vs, ve - vs).toString('utf8');
      });
      if (key === 'location') this.locations.add(value);
    });
  }

  #varint(at: number): [number, number] {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.#file.byte(at + i);
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return [value, at + i + 1];
    }
    throw new Error('malformed varint');
  }
}

/**
 * The external data files `onnxPath` refers to, as paths relative to its directory (as ONNX stores them), sorted.
 * Throws when the file is not a readable ONNX protobuf.
 */
export function externalDataFiles(onnxPath: string): string[] {
  const fd = openSync(onnxPath, 'r');
  try {
    const walker = new Walker(new FileWindow(fd));
    walker.model();
    return [...walker.locations].sort();
  } catch (err) {
    throw new Error(`${onnxPath} is not a readable ONNX model: ${(err as Error).message}`, { cause: err });
  } finally {
    closeSync(fd);
  }
}
