/**
 * The one file of a `multipart/form-data` body (RFC 7578), as a browser form or `curl -F
 * file=@x.pdf` sends it: the part named `file`. The body is already in memory and size-limited by
 * the route; this reads the boundary (RFC 2046 §5.1.1: 1–70 characters), the parts' headers and
 * their content, and refuses anything ambiguous (no such part, two of them, a part without its
 * closing delimiter) with ERR_SERVER_INVALID_REQUEST.
 */
import { ServerError } from './errors.js';

/** At most this many parts (a form with the file and a few text fields). */
const MAX_PARTS = 16;
/** Headers of one part longer than this are refused. */
const MAX_HEADER_BYTES = 8 * 1024;

function refuse(message: string): ServerError {
  return new ServerError('ERR_SERVER_INVALID_REQUEST', `multipart/form-data: ${message}`);
}

/** The boundary parameter of a multipart Content-Type, or undefined. */
function boundaryOf(contentType: string): string | undefined {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** The `name` of a part's Content-Disposition: form-data header (RFC 7578 §4.2), or undefined. */
function partName(headers: string): string | undefined {
  for (const line of headers.split('\r\n')) {
    const m = /^content-disposition:\s*form-data\s*;(.*)$/i.exec(line);
    if (m === null) continue;
    const name =
      /(?:^|;)\s*name="([^"]*)"/i.exec(m[1] as string) ??
      /(?:^|;)\s*name=([^;\s"]+)/i.exec(m[1] as string);
    return name?.[1];
  }
  return undefined;
}

/**
 * The content of the part named `field` (default `file`) of a multipart/form-data `body`.
 *
 * @example
 * ```ts
 * const pdf = fileFromMultipart(body, request.headers['content-type'] ?? '');
 * ```
 */
export function fileFromMultipart(body: Buffer, contentType: string, field = 'file'): Buffer {
  const boundary = boundaryOf(contentType);
  if (boundary === undefined) throw refuse('the Content-Type names no boundary');
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  // The first delimiter may start the body without the CRLF before it (RFC 2046 §5.1.1).
  let at: number;
  if (body.subarray(0, delimiter.length - 2).equals(delimiter.subarray(2)))
    at = delimiter.length - 2;
  else {
    const first = body.indexOf(delimiter);
    if (first < 0) throw refuse('the boundary does not occur in the body');
    at = first + delimiter.length;
  }
  let found: Buffer | undefined;
  for (let parts = 0; ; parts++) {
    // After a delimiter: "--" closes the body; otherwise (optional whitespace) CRLF, then a part.
    if (body.subarray(at, at + 2).toString('latin1') === '--') break;
    const lineEnd = body.indexOf('\r\n', at);
    if (lineEnd < 0 || body.subarray(at, lineEnd).toString('latin1').trim() !== '')
      throw refuse('a delimiter is not followed by a line end');
    if (parts >= MAX_PARTS) throw refuse(`more than ${MAX_PARTS} parts`);
    const headersEnd = body.indexOf('\r\n\r\n', lineEnd);
    if (headersEnd < 0 || headersEnd - lineEnd > MAX_HEADER_BYTES)
      throw refuse('a part has no end of headers');
    const headers = body.subarray(lineEnd + 2, headersEnd).toString('latin1');
    const contentStart = headersEnd + 4;
    const next = body.indexOf(delimiter, contentStart);
    if (next < 0) throw refuse('a part has no closing delimiter');
    if (partName(headers) === field) {
      if (found !== undefined) throw refuse(`two parts are named "${field}"`);
      found = body.subarray(contentStart, next);
    }
    at = next + delimiter.length;
  }
  if (found === undefined) throw refuse(`no part is named "${field}"`);
  return found;
}
