/**
 * The first page of a PDF as a small picture, rendered by pdf.js when the card scrolls into view
 * (a batch of 500 files does not render 500 pages up front). Reports the page count.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { openPdf, renderPage } from '../pdf.js';

export function PdfThumbnail({ file, name, onPages }: { readonly file: Blob; readonly name: string; readonly onPages: (pages: number) => void }): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<'waiting' | 'done' | 'failed'>('waiting');

  useEffect(() => {
    const element = box.current;
    if (element === null) return undefined;
    let cancelled = false;
    const draw = async (): Promise<void> => {
      try {
        const doc = await openPdf(await file.arrayBuffer());
        if (cancelled) return;
        onPages(doc.numPages);
        if (canvas.current !== null) await renderPage(doc, 1, canvas.current, 150);
        await doc.destroy();
        if (!cancelled) setState('done');
      } catch {
        if (!cancelled) setState('failed');
      }
    };
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        void draw();
      }
    }, { rootMargin: '200px' });
    observer.observe(element);
    return () => {
      cancelled = true;
      observer.disconnect();
    };
  }, [file]);

  return (
    <div class="thumb" ref={box}>
      <canvas ref={canvas} role="img" aria-label={`First page of ${name}`} hidden={state !== 'done'} />
      {state === 'waiting' && <span class="small">Loading preview…</span>}
      {state === 'failed' && <span class="small">No preview: the file could not be read as a PDF.</span>}
    </div>
  );
}
