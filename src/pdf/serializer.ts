/** Serializes PDF objects to bytes (ISO 32000-1 §7.3 syntax, §7.3.10 indirect objects). */
import { toHexDigits } from '../core/bytes.js';
import { ByteWriter } from './byte-writer.js';
import { PdfDict, PdfName, PdfRaw, PdfRef, PdfStream, PdfString, type PdfObject } from './objects.js';

const DELIMITERS = new Set([0x28, 0x29, 0x3c, 0x3e, 0x5b, 0x5d, 0x7b, 0x7d, 0x2f, 0x25, 0x23]);

/** Writes a number: integers as such, reals in plain decimal (§7.3.3 forbids exponents). */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '0';
  if (Number.isInteger(n)) return String(n);
  let s = n.toFixed(6);
  s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s === '-0' ? '0' : s;
}

/** True for a byte written as itself in a name (§7.3.5: ! .. ~ except the delimiters and #). */
function isRegularNameByte(b: number): boolean {
  return b >= 0x21 && b <= 0x7e && !DELIMITERS.has(b);
}

/** Writes `/name` for a name given as its decoded string (a PdfName's `name`, a dictionary key). */
function writeNameText(w: ByteWriter, name: string): void {
  w.writeByte(0x2f);
  let plain = true;
  for (let i = 0; i < name.length && plain; i++) plain = isRegularNameByte(name.charCodeAt(i));
  // Almost every name is plain ASCII: written as it is, without encoding it to UTF-8 first.
  if (plain) {
    w.writeText(name);
    return;
  }
  for (const b of Buffer.from(name, 'utf8')) {
    // §7.3.5: bytes outside ! .. ~ and delimiters are written as #xx.
    if (!isRegularNameByte(b)) w.writeText(`#${b.toString(16).padStart(2, '0')}`);
    else w.writeByte(b);
  }
}

function writeString(w: ByteWriter, s: PdfString): void {
  if (s.isHex) {
    // A signature's /Contents placeholder is thousands of digits: written without a string.
    w.writeByte(0x3c).writeBytes(toHexDigits(s.bytes)).writeByte(0x3e);
    return;
  }
  w.writeByte(0x28);
  for (const b of s.bytes) {
    // §7.3.4.2: escape the delimiters and the backslash; CR as \r so it is not normalised.
    if (b === 0x28 || b === 0x29 || b === 0x5c) w.writeByte(0x5c).writeByte(b);
    else if (b === 0x0d) w.writeText('\\r');
    else w.writeByte(b);
  }
  w.writeByte(0x29);
}

/** Appends the serialized form of `obj` (streams included, with /Length set to the raw size). */
export function writeObject(w: ByteWriter, obj: PdfObject): void {
  if (obj === null) w.writeText('null');
  else if (typeof obj === 'boolean') w.writeText(obj ? 'true' : 'false');
  else if (typeof obj === 'number') w.writeText(formatNumber(obj));
  else if (obj instanceof PdfName) writeNameText(w, obj.name);
  else if (obj instanceof PdfString) writeString(w, obj);
  else if (obj instanceof PdfRef) w.writeText(`${obj.num} ${obj.gen} R`);
  else if (obj instanceof PdfRaw) w.writeBytes(obj.bytes);
  else if (Array.isArray(obj)) {
    w.writeByte(0x5b);
    obj.forEach((item, i) => {
      if (i > 0) w.writeByte(0x20);
      writeObject(w, item);
    });
    w.writeByte(0x5d);
  } else if (obj instanceof PdfDict) {
    w.writeText('<<');
    for (const [k, v] of obj.entries()) {
      writeNameText(w, k);
      w.writeByte(0x20);
      writeObject(w, v);
    }
    w.writeText('>>');
  } else if (obj instanceof PdfStream) {
    const dict = obj.dict.clone().set('Length', obj.raw.length);
    writeObject(w, dict);
    // §7.3.8.1: `stream` is followed by CRLF or LF; `endstream` preceded by an EOL.
    w.writeText('\nstream\n').writeBytes(obj.raw).writeText('\nendstream');
  }
}

/** Serializes one object to a fresh byte array. */
export function serializeObject(obj: PdfObject): Uint8Array {
  const w = new ByteWriter(256);
  writeObject(w, obj);
  return w.bytes().slice();
}

/** Appends `num gen obj … endobj` (§7.3.10). */
export function writeIndirectObject(w: ByteWriter, ref: PdfRef, obj: PdfObject): void {
  w.writeText(`${ref.num} ${ref.gen} obj\n`);
  writeObject(w, obj);
  w.writeText('\nendobj\n');
}
