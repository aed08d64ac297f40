/**
 * A Hugging Face hub on loopback, answering as huggingface.co does (as far as earshot's downloads look):
 * `HEAD/GET /<org>/<name>/resolve/main/<file>`. Weights (`.onnx`, `.onnx_data*`: LFS files on the real hub) are
 * answered with a 302 to `/cdn/<sha256>` carrying `X-Linked-Size` and `X-Linked-Etag`; small files directly with
 * their git blob SHA-1 as `ETag`. GETs honour `Range`. Faults for tests: cut a file's next transfer after N bytes,
 * or serve other bytes than the headers promise. Every request is logged with its Range header.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeHub {
  url: string;
  requests: { method: string; path: string; range?: string }[];
  /** The next GET of `file` sends this many bytes, then drops the connection. */
  cutNext(file: string, afterBytes: number): void;
  /** GETs of `file` send these bytes instead (headers still describe the real file). */
  corrupt(file: string, bytes: Buffer): void;
  /** Bytes of file bodies sent so far. */
  bytesSent: number;
  close(): Promise<void>;
}

const isLfs = (file: string) => /\.onnx(_data(_\d+)?)?$/.test(file);

/** Serves the files under `models[name]` for each model name. */
export async function startFakeHub(models: Record<string, string>): Promise<FakeHub> {
  const files = new Map<string, Buffer>();
  const bySha = new Map<string, string>();
  for (const [name, root] of Object.entries(models)) {
    for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue;
      const file = join(entry.parentPath, entry.name).slice(root.length + 1);
      const bytes = readFileSync(join(root, file));
      files.set(`${name}/${file}`, bytes);
      bySha.set(sha256(bytes), `${name}/${file}`);
    }
  }
  const cuts = new Map<string, number>();
  const corrupted = new Map<string, Buffer>();
  const hub: FakeHub = {
    url: '',
    requests: [],
    bytesSent: 0,
    cutNext: (file, n) => cuts.set(file, n),
    corrupt: (file, bytes) => corrupted.set(file, bytes),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const send = (req: IncomingMessage, res: ServerResponse, key: string, headers: Record<string, string | number>) => {
    const real = files.get(key)!;
    const body = corrupted.get(key.slice(key.indexOf('/', key.indexOf('/') + 1) + 1)) ?? real;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    if (start > body.length) return res.writeHead(416).end();
    const part = body.subarray(start);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-length': part.length,
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (req.method === 'HEAD') return res.end();
    const file = key.slice(key.indexOf('/', key.indexOf('/') + 1) + 1);
    const cut = cuts.get(file);
    if (cut !== undefined) {
      cuts.delete(file);
      hub.bytesSent += cut;
      // Ending the socket (not resetting it) delivers the bytes written, then the client sees a short body.
      res.write(part.subarray(0, cut), () => res.socket?.end());
      return;
    }
    hub.bytesSent += part.length;
    res.end(part);
  };

  const server = createServer((req, res) => {
    const path = decodeURIComponent(req.url ?? '');
    hub.requests.push({ method: req.method ?? '', path, range: req.headers.range });
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdn && bySha.has(cdn[1]!)) return send(req, res, bySha.get(cdn[1]!)!, { etag: `"${cdn[1]}"` });
    const match = /^\/(.+?\/.+?)\/resolve\/main\/(.+)$/.exec(path);
    const key = match ? `${match[1]}/${match[2]}` : '';
    const bytes = files.get(key);
    if (!bytes) return res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
    if (isLfs(match![2]!)) {
      const sha = sha256(bytes);
      return res
        .writeHead(302, {
          location: `/cdn/${sha}`,
          'x-linked-size': bytes.length,
          'x-linked-etag': `"${sha}"`,
          'content-length': 0,
        })
        .end();
    }
    send(req, res, key, { etag: `"${gitBlobSha1(bytes)}"` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const gitBlobSha1 = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
