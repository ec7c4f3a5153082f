/**
 * "Preview": every page of a document, with zoom, in a modal dialog (the native <dialog>: focus
 * is trapped and Escape closes it). Pages are rendered by pdf.js on demand.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PDFDocumentProxy } from 'pdfjs-dist';
import { openPdf, renderPage } from '../pdf.js';

const zoomSteps = [0.5, 0.75, 1, 1.25, 1.5, 2, 3] as const;

function PageCanvas({ doc, number, width }: { readonly doc: PDFDocumentProxy; readonly number: number; readonly width: number }): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (canvas.current !== null) void renderPage(doc, number, canvas.current, width).catch(() => undefined);
  }, [doc, number, width]);
  return <canvas ref={canvas} role="img" aria-label={`Page ${number} of ${doc.numPages}`} />;
}

export function PdfPreview({ file, name, onClose }: { readonly file: Blob; readonly name: string; readonly onClose: () => void }): JSX.Element {
  const dialog = useRef<HTMLDialogElement>(null);
  const [doc, setDoc] = useState<PDFDocumentProxy | undefined>();
  const [failed, setFailed] = useState(false);
  const [zoom, setZoom] = useState(2);

  useEffect(() => {
    dialog.current?.showModal();
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

  const baseWidth = Math.min(700, window.innerWidth - 48);
  const width = Math.round(baseWidth * (zoomSteps[zoom] ?? 1));
  return (
    <dialog ref={dialog} class="preview-dialog" aria-labelledby="preview-title" onClose={onClose}>
      <div class="toolbar">
        <h2 id="preview-title">Preview of {name}</h2>
        <button type="button" onClick={() => setZoom((z) => Math.max(0, z - 1))} disabled={zoom === 0}>
          Zoom out
        </button>
        <span aria-live="polite">{Math.round((zoomSteps[zoom] ?? 1) * 100)}%</span>
        <button type="button" onClick={() => setZoom((z) => Math.min(zoomSteps.length - 1, z + 1))} disabled={zoom === zoomSteps.length - 1}>
          Zoom in
        </button>
        <button type="button" class="primary" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
      <div class="preview" tabIndex={0} role="region" aria-label={`Pages of ${name}`}>
        {failed && <p>This file could not be shown.</p>}
        {doc === undefined && !failed && <p>Loading pages…</p>}
        {doc !== undefined &&
          Array.from({ length: doc.numPages }, (_, i) => (
            <div class="page-wrap" key={i}>
              <PageCanvas doc={doc} number={i + 1} width={width} />
            </div>
          ))}
      </div>
    </dialog>
  );
}
