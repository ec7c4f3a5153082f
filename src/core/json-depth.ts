/**
 * Nesting depth of JSON text, measured in one linear pass without parsing (issue 15, SECURITY.md
 * DOS-15): a body nested thousands deep parses fine but overflows the stack of any recursive
 * consumer (JSON.stringify, schema validators, loggers), so it is refused before it is parsed.
 */

/** Deepest nesting of arrays and objects accepted in a request body (real CSC/OAuth bodies use fewer than 8). */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `text` nests arrays/objects deeper than `max` (brackets inside strings do not count).
 * Malformed text is left to the parser.
 *
 * @example
 * ```ts
 * if (jsonTooDeep(body)) throw new CscError('ERR_CSC_INVALID_REQUEST', 'The JSON body is nested too deeply');
 * ```
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character (RFC 8259 §7)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
