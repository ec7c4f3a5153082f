/**
 * Where a page draws (docs/security.md V10, the EU DSS annotation-overlap idea): a coarse interpreter
 * of the page's content streams (ISO 32000-1 §8.2 operators; §9.4 text objects) that collects,
 * in default user space, the boxes of text runs, rectangles, paths, images and form XObjects.
 * Glyph widths are estimated (0.6 em, no font metrics), so a box may be a little larger or
 * smaller than the ink; it answers "does this annotation sit over page content?", never "what
 * does the page show". Operators it does not model that could paint anywhere (`sh`) count as the
 * whole page. Returns undefined when the content cannot be read within the limits (unknown; `onLimit`
 * hears which limit).
 */
import { isSignetError } from '../core/errors.js';
import { PdfStream, type PdfDict, type PdfDocument, type PdfObject } from '../pdf/index.js';

/** An axis-aligned box [x1, y1, x2, y2] with x1 ≤ x2 and y1 ≤ y2. */
export type Box = readonly [number, number, number, number];

type Matrix = [number, number, number, number, number, number];

const IDENTITY: Matrix = [1, 0, 0, 1, 0, 0];
/** Limits (INV-7): decoded content bytes and operators read per page. */
const MAX_CONTENT_BYTES = 8 << 20;
const MAX_OPERATORS = 200_000;
const GLYPH_WIDTH_EM = 0.6;

function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[1] * n[2],
    m[0] * n[1] + m[1] * n[3],
    m[2] * n[0] + m[3] * n[2],
    m[2] * n[1] + m[3] * n[3],
    m[4] * n[0] + m[5] * n[2] + n[4],
    m[4] * n[1] + m[5] * n[3] + n[5],
  ];
}

function transformBox(m: Matrix, x1: number, y1: number, x2: number, y2: number): Box {
  const pts = [
    [x1, y1],
    [x2, y1],
    [x1, y2],
    [x2, y2],
  ].map(([x = 0, y = 0]) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]] as const);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

type Operand = number | { readonly chars: number } | { readonly name: string } | readonly Operand[];

/** Tokenises content and calls `op` for each operator with its operands; false when a limit is hit. */
function tokenise(text: string, op: (name: string, operands: Operand[]) => void): boolean {
  const stack: Operand[][] = [[]];
  let count = 0;
  let i = 0;
  const top = (): Operand[] => stack[stack.length - 1] as Operand[];
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) i++;
    else if (c === '%') while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++;
    else if (c === '(') {
      let depth = 0;
      let chars = 0;
      for (; i < text.length; i++) {
        const ch = text[i];
        if (ch === '\\') i++;
        else if (ch === '(') depth++;
        else if (ch === ')' && --depth === 0) break;
        chars++;
      }
      i++;
      top().push({ chars: Math.max(0, chars - 1) });
    } else if (c === '<' && text[i + 1] === '<') {
      stack.push([]);
      i += 2;
    } else if (c === '>' && text[i + 1] === '>') {
      if (stack.length > 1) stack.pop();
      top().push({ name: 'dict' });
      i += 2;
    } else if (c === '<') {
      const end = text.indexOf('>', i);
      if (end < 0) return false;
      top().push({ chars: Math.ceil(text.slice(i + 1, end).replace(/\s/g, '').length / 2) });
      i = end + 1;
    } else if (c === '[') {
      stack.push([]);
      i++;
    } else if (c === ']') {
      const arr = stack.length > 1 ? (stack.pop() as Operand[]) : [];
      top().push(arr);
      i++;
    } else if (c === '/') {
      const m = /^\/[^\s/[\]()<>{}%]*/.exec(text.slice(i, i + 256));
      top().push({ name: m?.[0].slice(1) ?? '' });
      i += m?.[0].length ?? 1;
    } else {
      const m = /^[^\s/[\]()<>{}%]+/.exec(text.slice(i, i + 256));
      const word = m?.[0] ?? c;
      i += word.length;
      const n = Number(word);
      if (word !== '' && !Number.isNaN(n) && /^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) {
        top().push(n);
        continue;
      }
      if (++count > MAX_OPERATORS) return false;
      if (word === 'BI') {
        // Inline image (§8.9.7): its data runs to "EI" after whitespace.
        const end = text.slice(i).search(/\sEI(\s|$)/);
        if (end < 0) return false;
        i += end + 3;
        op('BI', []);
      } else op(word, top().splice(0));
      if (stack.length > 1) stack.length = 1;
    }
  }
  return true;
}

const num = (o: Operand | undefined): number => (typeof o === 'number' ? o : 0);

function textChars(o: Operand | undefined): number {
  if (o === undefined || typeof o === 'number') return 0;
  if (Array.isArray(o)) return (o as readonly Operand[]).reduce((n: number, x) => n + textChars(x), 0);
  return 'chars' in (o as object) ? (o as { chars: number }).chars : 0;
}

/**
 * The boxes a page draws into, in default user space, or undefined when unknown.
 *
 * @example
 * ```ts
 * const boxes = pageContentBoxes(doc, page.dict);
 * const covered = boxes === undefined || boxes.some((b) => overlaps(b, widgetRect));
 * ```
 */
export function pageContentBoxes(doc: PdfDocument, page: PdfDict, onLimit?: (why: string) => void): Box[] | undefined {
  try {
    const contents = doc.resolve(page.get('Contents'));
    const streams = (Array.isArray(contents) ? contents.map((c) => doc.resolve(c)) : [contents]).filter(
      (s): s is PdfStream => s instanceof PdfStream,
    );
    let total = 0;
    const parts: string[] = [];
    for (const s of streams) {
      const data = doc.decodeStream(s);
      total += data.length;
      if (total > MAX_CONTENT_BYTES) {
        onLimit?.(`more than ${MAX_CONTENT_BYTES} bytes of content`);
        return undefined;
      }
      parts.push(Buffer.from(data).toString('latin1'));
    }
    const media = doc.resolveArray(doc.inheritedPageAttribute(page, 'MediaBox'))?.map((v) => (typeof v === 'number' ? v : 0));
    const pageBox: Box = media && media.length === 4 ? [media[0] ?? 0, media[1] ?? 0, media[2] ?? 0, media[3] ?? 0] : [0, 0, 612, 792];
    const xobjects = doc.resolveDict(doc.resolveDict(doc.inheritedPageAttribute(page, 'Resources'))?.get('XObject'));
    return interpret(parts.join('\n'), pageBox, (name) => doc.resolve(xobjects?.get(name)), doc);
  } catch (err) {
    if (isSignetError(err) && /_LIMIT/.test(err.code)) onLimit?.(err.code);
    return undefined;
  }
}

function interpret(text: string, pageBox: Box, xobject: (name: string) => PdfObject | undefined, doc: PdfDocument): Box[] | undefined {
  const boxes: Box[] = [];
  let ctm: Matrix = [...IDENTITY];
  const saved: Matrix[] = [];
  let tm: Matrix = [...IDENTITY];
  let tlm: Matrix = [...IDENTITY];
  let size = 0;
  let leading = 0;
  let path: number[][] = [];
  const showText = (chars: number): void => {
    const w = chars * GLYPH_WIDTH_EM * size;
    if (chars > 0 && size !== 0) boxes.push(transformBox(multiply(tm, ctm), 0, -0.25 * size, w, size));
    tm = multiply([1, 0, 0, 1, w, 0], tm);
  };
  const nextLine = (): void => {
    tlm = multiply([1, 0, 0, 1, 0, -leading], tlm);
    tm = [...tlm];
  };
  const ok = tokenise(text, (op, o) => {
    switch (op) {
      case 'q':
        saved.push([...ctm]);
        break;
      case 'Q':
        ctm = saved.pop() ?? ctm;
        break;
      case 'cm':
        ctm = multiply([num(o[0]), num(o[1]), num(o[2]), num(o[3]), num(o[4]), num(o[5])], ctm);
        break;
      case 're': {
        const [x, y, w, h] = [num(o[0]), num(o[1]), num(o[2]), num(o[3])];
        path.push([x, y], [x + w, y + h]);
        break;
      }
      case 'm':
      case 'l':
        path.push([num(o[0]), num(o[1])]);
        break;
      case 'c':
        path.push([num(o[0]), num(o[1])], [num(o[2]), num(o[3])], [num(o[4]), num(o[5])]);
        break;
      case 'v':
      case 'y':
        path.push([num(o[0]), num(o[1])], [num(o[2]), num(o[3])]);
        break;
      case 'S': case 's': case 'f': case 'F': case 'f*': case 'B': case 'B*': case 'b': case 'b*':
        if (path.length > 0) {
          const xs = path.map((p) => p[0] ?? 0);
          const ys = path.map((p) => p[1] ?? 0);
          boxes.push(transformBox(ctm, Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)));
        }
        path = [];
        break;
      case 'n':
        path = [];
        break;
      case 'sh':
        boxes.push(pageBox);
        break;
      case 'BI':
        boxes.push(transformBox(ctm, 0, 0, 1, 1));
        break;
      case 'Do': {
        const name = o[0] !== undefined && typeof o[0] === 'object' && 'name' in o[0] ? (o[0] as { name: string }).name : '';
        const x = xobject(name);
        const dict = x instanceof PdfStream ? x.dict : undefined;
        if (dict?.getName('Subtype') === 'Form') {
          const bbox = doc.resolveArray(dict.get('BBox'))?.map((v) => (typeof v === 'number' ? v : 0)) ?? [0, 0, 1, 1];
          const mx = doc.resolveArray(dict.get('Matrix'))?.map((v) => (typeof v === 'number' ? v : 0));
          const m: Matrix = mx && mx.length === 6 ? (mx as Matrix) : [...IDENTITY];
          const [x1 = 0, y1 = 0, x2 = 1, y2 = 1] = bbox;
          const b = transformBox(m, x1, y1, x2, y2);
          boxes.push(transformBox(ctm, b[0], b[1], b[2], b[3]));
        } else boxes.push(transformBox(ctm, 0, 0, 1, 1));
        break;
      }
      case 'BT':
        tm = [...IDENTITY];
        tlm = [...IDENTITY];
        break;
      case 'Tf':
        size = num(o[1]);
        break;
      case 'TL':
        leading = num(o[0]);
        break;
      case 'Td':
      case 'TD':
        if (op === 'TD') leading = -num(o[1]);
        tlm = multiply([1, 0, 0, 1, num(o[0]), num(o[1])], tlm);
        tm = [...tlm];
        break;
      case 'Tm':
        tlm = [num(o[0]), num(o[1]), num(o[2]), num(o[3]), num(o[4]), num(o[5])];
        tm = [...tlm];
        break;
      case 'T*':
        nextLine();
        break;
      case 'Tj':
        showText(textChars(o[0]));
        break;
      case "'":
        nextLine();
        showText(textChars(o[0]));
        break;
      case '"':
        nextLine();
        showText(textChars(o[2]));
        break;
      case 'TJ':
        showText(textChars(o[0]));
        break;
      default:
        break;
    }
  });
  return ok ? boxes : undefined;
}

/** True when two boxes share an area (not just an edge). */
export function boxesOverlap(a: Box, b: Box): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/** A /Rect array as a box, or undefined. */
export function rectOf(doc: PdfDocument, annotation: PdfDict): Box | undefined {
  const r = doc.resolveArray(annotation.get('Rect'))?.map((v) => (typeof v === 'number' ? v : Number.NaN));
  if (!r || r.length !== 4 || r.some((v) => !Number.isFinite(v))) return undefined;
  const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = r;
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}
