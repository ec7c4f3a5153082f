/**
 * File names of uploaded documents are display text only (docs/security.md AC-09): never a path, never
 * a storage key. `displayName` keeps what a person recognises (the last path segment, without
 * control characters); `contentDisposition` writes an RFC 6266 header with an ASCII `filename`
 * fallback and the exact UTF-8 name in `filename*` (RFC 8187, which obsoletes RFC 5987).
 */

// eslint-disable-next-line no-control-regex -- removing control characters is the point
const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The name as shown: the last segment of any path, without control or bidi-override characters, at most 200 characters. */
export function displayName(given: string | undefined): string {
  const segment = (given ?? '').replace(control, '').split(/[/\\]/).pop() ?? '';
  const trimmed = segment.trim().replace(/^\.+/, '').trim();
  const short = Array.from(trimmed).slice(0, 200).join('');
  return short.length === 0 ? 'document.pdf' : short;
}

/** RFC 8187 §3.2.1 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~". */
function encodeExtValue(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/**
 * `attachment; filename="…"; filename*=UTF-8''…` for `name` (RFC 6266 §4.1, §4.3: the ASCII
 * fallback first; recipients that understand `filename*` prefer it).
 */
export function contentDisposition(name: string, suffix = ''): string {
  const shown = displayName(name);
  const dot = shown.lastIndexOf('.');
  const withSuffix = suffix === '' ? shown : dot > 0 ? `${shown.slice(0, dot)}${suffix}${shown.slice(dot)}` : `${shown}${suffix}`;
  const ascii = withSuffix.normalize('NFKD').replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(withSuffix)}`;
}

/** Entry names of a ZIP archive for `names`: sanitised display names, made unique ("a.pdf", "a (2).pdf"). */
export function uniqueEntryNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.map((n) => {
    const base = displayName(n).replace(/[:*?"<>|]/g, '_');
    const dot = base.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
    let candidate = base;
    for (let i = 2; seen.has(candidate.toLowerCase()); i++) candidate = `${stem} (${i})${ext}`;
    seen.add(candidate.toLowerCase());
    return candidate;
  });
}
