/**
 * pdf.js, loaded on first use only (a dynamic import: the first page's JavaScript stays small).
 * Its worker is a file of the build under /assets/ (CSP worker-src 'self'); eval is off (CSP
 * without 'unsafe-eval'). Rendering happens in the browser for preview only: what is signed is
 * what the server prepared and the authorization server shows again at consent.
 */
import type * as PdfJsModule from 'pdfjs-dist';
import type { PDFDocumentProxy } from 'pdfjs-dist';

type PdfJs = typeof PdfJsModule;

let loaded: Promise<PdfJs> | undefined;

/** Loads pdf.js and points it at its worker (once). */
export function loadPdfJs(): Promise<PdfJs> {
  loaded ??= Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]).then(([pdfjs, worker]) => {
    pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
    return pdfjs;
  });
  return loaded;
}

/** Opens a PDF from its bytes (copied: pdf.js transfers the buffer to its worker). */
export async function openPdf(bytes: ArrayBuffer): Promise<PDFDocumentProxy> {
  const pdfjs = await loadPdfJs();
  return pdfjs.getDocument({
    data: new Uint8Array(bytes.slice(0)),
    isEvalSupported: false,
    useSystemFonts: true,
    enableXfa: false,
    stopAtErrors: false,
  }).promise;
}

/** A rendered page: its canvas size in CSS pixels and the page size in PDF user-space units. */
export interface RenderedPage {
  readonly cssWidth: number;
  readonly cssHeight: number;
  /** The page's view box in PDF user space: [x1, y1, x2, y2] (ISO 32000-1 §14.11.2, /CropBox or /MediaBox). */
  readonly view: readonly [number, number, number, number];
  readonly rotation: number;
}

/**
 * Renders page `pageNumber` (1-based) into `canvas` so that it is `cssWidth` CSS pixels wide,
 * sharp on high-density screens.
 */
export async function renderPage(doc: PDFDocumentProxy, pageNumber: number, canvas: HTMLCanvasElement, cssWidth: number): Promise<RenderedPage> {
  const page = await doc.getPage(pageNumber);
  const base = page.getViewport({ scale: 1 });
  const scale = cssWidth / base.width;
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  const viewport = page.getViewport({ scale: scale * ratio });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(viewport.width / ratio)}px`;
  await page.render({ canvas, viewport }).promise;
  const [x1 = 0, y1 = 0, x2 = base.width, y2 = base.height] = page.view;
  return { cssWidth: viewport.width / ratio, cssHeight: viewport.height / ratio, view: [x1, y1, x2, y2], rotation: page.rotate };
}

/**
 * Converts a rectangle drawn on the rendered page (CSS pixels from its top-left corner) into PDF
 * user space [x1, y1, x2, y2] (origin bottom-left, y up; ISO 32000-1 §8.3.2.3) for an unrotated
 * page, with x1 < x2 and y1 < y2.
 */
export function toUserSpace(
  rect: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
  page: RenderedPage,
): [number, number, number, number] {
  const [vx1, vy1, vx2, vy2] = page.view;
  const sx = (vx2 - vx1) / page.cssWidth;
  const sy = (vy2 - vy1) / page.cssHeight;
  const round = (n: number): number => Math.round(n * 100) / 100;
  const x1 = vx1 + rect.left * sx;
  const x2 = vx1 + (rect.left + rect.width) * sx;
  const yTop = vy2 - rect.top * sy;
  const yBottom = vy2 - (rect.top + rect.height) * sy;
  return [round(x1), round(yBottom), round(x2), round(yTop)];
}
