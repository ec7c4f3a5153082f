/** The page tree (ISO 32000-1 §7.7.3): document-order walk and inherited attributes, cycle-safe (DOS-06). */
import type { PdfDict} from './objects.js';
import { PdfRef, type PdfArray, type PdfObject } from './objects.js';
import { PdfError } from './errors.js';

/** A page object and its reference. */
export interface PdfPage {
  readonly ref: PdfRef;
  readonly dict: PdfDict;
}

/** What the walk needs from a document. */
export interface PageTreeReader {
  resolveDict(o: PdfObject | undefined): PdfDict | undefined;
  resolveArray(o: PdfObject | undefined): PdfArray | undefined;
  readonly maxDepth: number;
  readonly maxPages: number;
  warn(m: string): void;
  checkTime(): void;
}

/** §7.7.3.4: the page attributes inherited from ancestor page tree nodes. */
const INHERITABLE = new Set(['Resources', 'MediaBox', 'CropBox', 'Rotate']);

/** Pages under `root` in document order; a node reached twice (a /Kids cycle) is `ERR_PDF_PAGE_TREE`. */
export function walkPageTree(r: PageTreeReader, root: PdfObject | undefined): PdfPage[] {
  const out: PdfPage[] = [];
  const seen = new Set<string>();
  const stack: { kids: PdfArray; i: number }[] = [];
  const visit = (node: PdfObject | undefined): void => {
    if (!(node instanceof PdfRef)) {
      r.warn('page tree node is not an indirect reference; skipped');
      return;
    }
    if (seen.has(node.key)) throw new PdfError('ERR_PDF_PAGE_TREE', `page tree reaches object ${node.num} twice (cycle)`);
    seen.add(node.key);
    const dict = r.resolveDict(node);
    if (dict === undefined) {
      r.warn(`page tree node ${node.num} is not a dictionary; skipped`);
      return;
    }
    const kids = r.resolveArray(dict.get('Kids'));
    const type = dict.getName('Type');
    if (type === 'Pages' || (type !== 'Page' && kids !== undefined)) {
      if (stack.length >= r.maxDepth) throw new PdfError('ERR_PDF_LIMIT_DEPTH', 'page tree is too deep');
      stack.push({ kids: kids ?? [], i: 0 });
    } else {
      if (out.length >= r.maxPages) throw new PdfError('ERR_PDF_LIMIT_OBJECTS', 'too many pages');
      out.push({ ref: node, dict });
    }
  };
  if (r.resolveDict(root) === undefined) throw new PdfError('ERR_PDF_PAGE_TREE', 'the catalog has no /Pages dictionary');
  visit(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.kids.length) stack.pop();
    else visit(top.kids[top.i++]);
    r.checkTime();
  }
  return out;
}

/**
 * A page attribute, inherited from the nearest ancestor when the page lacks it (§7.7.3.4: only
 * Resources, MediaBox, CropBox and Rotate inherit). A /Parent loop is `ERR_PDF_PAGE_TREE`.
 */
export function inheritedAttribute(r: PageTreeReader, page: PdfDict, key: string): PdfObject | undefined {
  if (!INHERITABLE.has(key)) return page.get(key);
  const seen = new Set<PdfDict>();
  let node: PdfDict | undefined = page;
  while (node !== undefined) {
    const v = node.get(key);
    if (v !== undefined) return v;
    seen.add(node);
    if (seen.size > r.maxDepth) throw new PdfError('ERR_PDF_PAGE_TREE', 'page tree is too deep');
    node = r.resolveDict(node.get('Parent'));
    if (node !== undefined && seen.has(node)) throw new PdfError('ERR_PDF_PAGE_TREE', '/Parent chain loops');
  }
  return undefined;
}
