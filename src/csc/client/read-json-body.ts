/** Reads a fetch Response body as JSON with a size bound (a hostile provider cannot exhaust memory). */
import { CscClientError } from './errors.js';

/**
 * Returns the parsed JSON body, or undefined for an empty body (204). A body above `maxBytes`
 * is cancelled and refused. An unparsable body is refused on a 2xx reply and read as undefined
 * on an error reply (its status still tells what happened).
 */
export async function readJsonBody(response: Response, maxBytes: number, method: string): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: the response body exceeds ${maxBytes} bytes`);
  }
  let text: string;
  if (Number.isFinite(declared)) {
    // Fast path: the length is declared and within bounds (undici enforces it), read at once.
    text = await response.text();
    if (text.length === 0) return undefined;
    return parseJson(text, response, method);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel();
        throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: the response body exceeds ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  }
  if (total === 0) return undefined;
  text = Buffer.concat(chunks, total).toString('utf8');
  return parseJson(text, response, method);
}

function parseJson(text: string, response: Response, method: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    if (!response.ok) return undefined;
    throw new CscClientError('ERR_CSC_CLIENT_RESPONSE', `${method}: the response is not JSON`, { cause });
  }
}
