/**
 * Drawing the visible signature's rectangle on a page: drag on the rendered page (mouse, pen or
 * touch), or "Use the suggested place" from the keyboard. The rectangle is converted to PDF user
 * space (ISO 32000-1 §8.3.2.3) for the gateway's PATCH (Contract 4).
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import { openPdf, renderPage, toUserSpace, type RenderedPage } from '../pdf.js';

/** A placed visible signature: page (1-based) and [x1, y1, x2, y2] in PDF user space. */
export interface Placement {
  readonly page: number;
  readonly rect: readonly [number, number, number, number];
}

interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

function boxFromUserSpace(rect: Placement['rect'], page: RenderedPage): Box {
  const [left, top, right, bottom] = page.toCss(rect);
  return { left, top, width: right - left, height: bottom - top };
}

export function SignaturePlacement({
  file,
  name,
  value,
  onChange,
}: {
  readonly file: Blob;
  readonly name: string;
  readonly value: Placement | undefined;
  readonly onChange: (placement: Placement) => void;
}): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const layer = useRef<HTMLDivElement>(null);
  const [doc, setDoc] = useState<PDFDocumentProxy | undefined>();
  const [pageNumber, setPageNumber] = useState(value?.page ?? 1);
  const [rendered, setRendered] = useState<RenderedPage | undefined>();
  const [drag, setDrag] = useState<{ x: number; y: number; box: Box } | undefined>();
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let opened: PDFDocumentProxy | undefined;
    void file.arrayBuffer().then(openPdf).then(
      (d) => {
        opened = d;
        setDoc(d);
      },
      () => setFailed(true),
    );
    return () => void opened?.destroy();
  }, [file]);

  useEffect(() => {
    if (doc === undefined || canvas.current === null) return;
    setRendered(undefined);
    const width = Math.min(520, (canvas.current.parentElement?.parentElement?.clientWidth ?? 520) - 4);
    void renderPage(doc, pageNumber, canvas.current, Math.max(200, width)).then(setRendered, () => setFailed(true));
  }, [doc, pageNumber]);

  /** The pointer in the rendered page's CSS pixels (the canvas may be shown smaller on a narrow screen). */
  const point = (event: PointerEvent): { x: number; y: number } => {
    const r = (layer.current as HTMLDivElement).getBoundingClientRect();
    const sx = rendered === undefined || r.width === 0 ? 1 : rendered.cssWidth / r.width;
    const sy = rendered === undefined || r.height === 0 ? 1 : rendered.cssHeight / r.height;
    return { x: Math.max(0, Math.min(r.width, event.clientX - r.left)) * sx, y: Math.max(0, Math.min(r.height, event.clientY - r.top)) * sy };
  };

  const onPointerDown = (event: PointerEvent): void => {
    if (rendered === undefined) return;
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    const p = point(event);
    setDrag({ ...p, box: { left: p.x, top: p.y, width: 0, height: 0 } });
  };
  const onPointerMove = (event: PointerEvent): void => {
    if (drag === undefined) return;
    const p = point(event);
    setDrag({ ...drag, box: { left: Math.min(drag.x, p.x), top: Math.min(drag.y, p.y), width: Math.abs(p.x - drag.x), height: Math.abs(p.y - drag.y) } });
  };
  const onPointerUp = (): void => {
    if (drag === undefined || rendered === undefined) return;
    const { box } = drag;
    setDrag(undefined);
    // A click without a drag (or a tiny box) is not a placement.
    if (box.width < 8 || box.height < 8) return;
    onChange({ page: pageNumber, rect: toUserSpace(box, rendered) });
  };

  const suggest = (): void => {
    if (rendered === undefined) return;
    // Bottom right as the person sees the page: 5 % from the edges, 40 % wide, 8 % high.
    const w = rendered.cssWidth;
    const h = rendered.cssHeight;
    onChange({ page: pageNumber, rect: toUserSpace({ left: w * 0.55, top: h * 0.87, width: w * 0.4, height: h * 0.08 }, rendered) });
  };

  const shown = drag?.box ?? (value !== undefined && value.page === pageNumber && rendered !== undefined ? boxFromUserSpace(value.rect, rendered) : undefined);
  const pages = doc?.numPages ?? 1;
  return (
    <div class="placement-panel">
      <p class="help">Drag on the page to draw where the signature goes, or use the suggested place.</p>
      <div class="toolbar">
        <label class="inline">
          Page{' '}
          <select value={String(pageNumber)} onChange={(e) => setPageNumber(Number(e.currentTarget.value))} aria-label={`Page for the signature on ${name}`}>
            {Array.from({ length: pages }, (_, i) => (
              <option key={i} value={String(i + 1)}>
                {i + 1}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={suggest} disabled={rendered === undefined}>
          Use the suggested place
        </button>
      </div>
      {failed && <p>This page could not be shown.</p>}
      <div class="page-wrap">
        <canvas ref={canvas} role="img" aria-label={`Page ${pageNumber} of ${name}`} />
        <div
          ref={layer}
          class="draw-layer"
          data-testid="draw-layer"
          aria-hidden="true"
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={() => setDrag(undefined)}
        />
        {shown !== undefined && rendered !== undefined && (
          <div
            class="placement"
            ref={(el) => {
              if (el !== null) position(el, shown, rendered);
            }}
          />
        )}
      </div>
      <p aria-live="polite" class="small">
        {value === undefined
          ? 'No place chosen yet.'
          : `Signature placed on page ${value.page}, ${Math.round(value.rect[2] - value.rect[0])} × ${Math.round(value.rect[3] - value.rect[1])} points.`}
      </p>
    </div>
  );
}

/**
 * Positions the placed box through the CSSOM (allowed by style-src 'self', unlike a style
 * attribute in markup), in percentages of the page, so it stays in place when the page is shown
 * smaller than rendered.
 */
function position(el: HTMLElement, box: Box, page: RenderedPage): void {
  el.style.left = `${(box.left / page.cssWidth) * 100}%`;
  el.style.top = `${(box.top / page.cssHeight) * 100}%`;
  el.style.width = `${(box.width / page.cssWidth) * 100}%`;
  el.style.height = `${(box.height / page.cssHeight) * 100}%`;
}
