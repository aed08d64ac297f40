/**
 * multipart/form-data for the batch uploads, parsed with native byte searches (Buffer.indexOf) over the body: the
 * parser behind hono's parseBody (undici's FormData) spends about half a second of event-loop time on a 25 MB
 * upload, time every live session on the edge waits. Fields become strings (`name[]` fields arrays, as hono
 * does), file parts their bytes (not copied); at most MAX_PARTS parts are read.
 */
import { EarshotError } from '../../shared/errors.ts';
import type { FormBody } from './params.ts';

const MAX_PARTS = 64;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export function parseMultipart(body: Uint8Array, contentType: string): FormBody {
  const match = /^multipart\/form-data\s*;.*?boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  if (!match) throw new EarshotError('invalid_request', 'the body must be multipart/form-data with a boundary');
  const boundary = match[1] ?? match[2]!;
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const form: FormBody = {};
  // The first delimiter may open the body without the CRLF that precedes the others.
  let at = bytes.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2)) ? -2 : bytes.indexOf(delimiter);
  for (let parts = 0; at !== -1; parts++) {
    const after = at + delimiter.length;
    if (bytes[after] === 0x2d && bytes[after + 1] === 0x2d) return form; // "--": the closing delimiter
    if (parts === MAX_PARTS) throw new EarshotError('invalid_request', `the form has more than ${MAX_PARTS} parts`);
    const headersEnd = bytes.indexOf(CRLF_CRLF, after);
    if (headersEnd === -1) break;
    const next = bytes.indexOf(delimiter, headersEnd + 4);
    if (next === -1) break;
    add(form, bytes.toString('utf8', after, headersEnd), body.subarray(headersEnd + 4, next));
    at = next;
  }
  throw new EarshotError('invalid_request', 'the multipart body is cut short (no closing boundary)');
}

function add(form: FormBody, headerBlock: string, data: Uint8Array): void {
  const headers = headerBlock.split('\r\n');
  const disposition = headers.find((h) => /^content-disposition:/i.test(h)) ?? '';
  const name = param(disposition, 'name');
  if (name === undefined) throw new EarshotError('invalid_request', 'a multipart part has no name');
  const filename = param(disposition, 'filename');
  const type = /^content-type:\s*(.+)$/im.exec(headers.join('\n'))?.[1]?.trim() ?? '';
  const value =
    filename === undefined
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
      : { filename, type, bytes: data };
  if (name.endsWith('[]')) {
    const list = form[name];
    form[name] = Array.isArray(list) ? [...list, value] : [value];
  } else form[name] = value;
}

function param(header: string, key: string): string | undefined {
  const m =
    new RegExp(`;\\s*${key}="((?:[^"\\\\]|\\\\.)*)"`, 'i').exec(header) ??
    new RegExp(`;\\s*${key}=([^;\\s]+)`, 'i').exec(header);
  return m?.[1]?.replace(/\\(.)/g, '$1');
}
