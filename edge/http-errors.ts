/** HTTP error responses of the edge: `{"error":{"code","message"}}` with the status that shared/errors.ts maps the code to. */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_CODES, type ErrorCode } from '../shared/errors.ts';

export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string = ERROR_CODES[code].message,
  headers?: Record<string, string>,
): Response {
  return c.json({ error: { code, message } }, ERROR_CODES[code].http as ContentfulStatusCode, headers);
}
