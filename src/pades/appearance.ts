/**
 * The visible signature's appearance: a form XObject with a frame and text lines
 * (ISO 32000-1 §12.5.5 appearance streams, §8.10 form XObjects, §9.6.2.2 standard 14 fonts).
 */
import { PdfDict, PdfName, PdfStream } from '../pdf/index.js';

/** The text lines drawn in a visible signature. */
export interface AppearanceText {
  readonly signerName: string;
  readonly signingTime: Date;
  readonly reason?: string;
  readonly location?: string;
}

/** Escapes a line for a literal string in a content stream; non-Latin-1 characters become '?'. */
function contentString(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0x3f;
    const c = code >= 0x20 && code <= 0xff && code !== 0x7f ? ch : '?';
    out += c === '(' || c === ')' || c === '\\' ? `\\${c}` : c;
  }
  return out;
}

/** Latin-1 bytes of a content stream (WinAnsiEncoding covers Latin-1's printable range). */
function latin1Bytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Formats the time as `YYYY-MM-DD HH:mm:ss UTC`. */
function displayTime(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * Builds the normal appearance (/AP /N) of a signature widget of size `width` × `height`.
 * The font size is chosen so every line fits (Helvetica's average advance ≈ 0.52 em).
 */
export function buildSignatureAppearance(
  width: number,
  height: number,
  text: AppearanceText,
): PdfStream {
  const lines = [
    `Digitally signed by ${text.signerName}`,
    `Date: ${displayTime(text.signingTime)}`,
    ...(text.reason ? [`Reason: ${text.reason}`] : []),
    ...(text.location ? [`Location: ${text.location}`] : []),
  ];
  const padding = Math.min(4, width / 20, height / 20);
  const longest = Math.max(...lines.map((l) => l.length), 1);
  const byHeight = (height - 2 * padding) / (lines.length * 1.25);
  const byWidth = (width - 2 * padding) / (longest * 0.52);
  const size = Math.max(1, Math.min(12, byHeight, byWidth));
  const leading = size * 1.25;
  const f = (n: number): string => (Math.round(n * 100) / 100).toString();

  const ops: string[] = [
    'q',
    '0.96 0.97 1 rg',
    `0 0 ${f(width)} ${f(height)} re f`,
    '0.2 0.3 0.6 RG 0.8 w',
    `0.4 0.4 ${f(width - 0.8)} ${f(height - 0.8)} re S`,
    'Q',
    'BT',
    `/F1 ${f(size)} Tf`,
    '0.1 0.1 0.2 rg',
    `${f(leading)} TL`,
    `${f(padding + 1)} ${f(height - padding - size)} Td`,
  ];
  lines.forEach((line, i) => ops.push(`${i === 0 ? '' : 'T* '}(${contentString(line)}) Tj`));
  ops.push('ET');

  const dict = PdfDict.of({
    Type: PdfName.of('XObject'),
    Subtype: PdfName.of('Form'),
    BBox: [0, 0, width, height],
    Resources: PdfDict.of({
      Font: PdfDict.of({
        F1: PdfDict.of({
          Type: PdfName.of('Font'),
          Subtype: PdfName.of('Type1'),
          BaseFont: PdfName.of('Helvetica'),
          Encoding: PdfName.of('WinAnsiEncoding'),
        }),
      }),
    }),
  });
  return new PdfStream(dict, latin1Bytes(ops.join('\n')));
}

/** An empty appearance for invisible signatures (a zero-size form XObject). */
export function buildEmptyAppearance(): PdfStream {
  return new PdfStream(
    PdfDict.of({ Type: PdfName.of('XObject'), Subtype: PdfName.of('Form'), BBox: [0, 0, 0, 0] }),
    new Uint8Array(0),
  );
}
