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

/** A rendered page: its size in CSS pixels and conversions between CSS pixels and PDF user space. */
export interface RenderedPage {
  readonly cssWidth: number;
  readonly cssHeight: number;
  /** CSS pixels from the rendered page's top-left corner → PDF user space (ISO 32000-1 §8.3.2.3). */
  toPdf(x: number, y: number): [number, number];
  /** A PDF user-space rectangle [x1, y1, x2, y2] → CSS pixels [left, top, right, bottom]. */
  toCss(rect: readonly [number, number, number, number]): [number, number, number, number];
  /** The page's visible box in PDF user space (/CropBox, else /MediaBox; §14.11.2). */
  readonly view: readonly [number, number, number, number];
}

/**
 * Renders page `pageNumber` (1-based) into `canvas` so that it is `cssWidth` CSS pixels wide,
 * sharp on high-density screens. The conversions follow pdf.js's viewport, so /Rotate and a
 * box not at the origin are taken into account.
 */
export async function renderPage(doc: PDFDocumentProxy, pageNumber: number, canvas: HTMLCanvasElement, cssWidth: number): Promise<RenderedPage> {
  const page = await doc.getPage(pageNumber);
  const base = page.getViewport({ scale: 1 });
  const scale = cssWidth / base.width;
  const ratio = Math.min(window.devicePixelRatio || 1, 2);
  const viewport = page.getViewport({ scale: scale * ratio });
  const cssViewport = page.getViewport({ scale });
  canvas.width = Math.floor(viewport.width);
  canvas.height = Math.floor(viewport.height);
  canvas.style.width = `${Math.floor(cssViewport.width)}px`;
  await page.render({ canvas, viewport }).promise;
  const [x1 = 0, y1 = 0, x2 = base.width, y2 = base.height] = page.view;
  return {
    cssWidth: cssViewport.width,
    cssHeight: cssViewport.height,
    view: [x1, y1, x2, y2],
    toPdf: (x, y) => {
      const [px, py] = cssViewport.convertToPdfPoint(x, y) as [number, number];
      return [px, py];
    },
    toCss: (rect) => {
      const [a, b, c, d] = cssViewport.convertToViewportRectangle([...rect]) as [number, number, number, number];
      return [Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)];
    },
  };
}

/**
 * Converts a rectangle drawn on the rendered page (CSS pixels from its top-left corner) into PDF
 * user space [x1, y1, x2, y2] with x1 < x2 and y1 < y2, rounded to 1/100 point.
 */
export function toUserSpace(
  rect: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
  page: RenderedPage,
): [number, number, number, number] {
  const [ax, ay] = page.toPdf(rect.left, rect.top);
  const [bx, by] = page.toPdf(rect.left + rect.width, rect.top + rect.height);
  const round = (n: number): number => Math.round(n * 100) / 100;
  return [round(Math.min(ax, bx)), round(Math.min(ay, by)), round(Math.max(ax, bx)), round(Math.max(ay, by))];
}
