/** Plain-language formatting shared by the pages: dates, sizes, plurals. */

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeStyle: 'long' });

/** A date (ISO string or epoch ms) as the reader's locale writes it, or a dash. */
export function formatDate(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

/** 1 234 567 → "1.2 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** "1 page", "3 pages". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A file name without path parts or control characters, for download attributes. */
export function safeFileName(name: string): string {
  let cleaned = '';
  for (const ch of name) cleaned += ch.charCodeAt(0) < 0x20 || ch === '\u007f' || ch === '/' || ch === '\\' ? '_' : ch;
  cleaned = cleaned.trim();
  return cleaned === '' ? 'document.pdf' : cleaned;
}
