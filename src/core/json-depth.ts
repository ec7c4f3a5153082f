/**
 * Nesting depth of JSON text, measured in one linear pass without parsing (issue 15, docs/security.md
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
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: jump to its closing quote with the native search (a Base64 document is one long
      // string); a quote preceded by an odd number of backslashes is escaped (RFC 8259 §7).
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return false; // unterminated: the parser refuses it
        let k = q - 1;
        while (k > i && text.charCodeAt(k) === 0x5c) k--;
        if ((q - 1 - k) % 2 === 0) {
          i = q;
          break;
        }
        from = q + 1;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
