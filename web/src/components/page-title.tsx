/**
 * The page's h1: it takes the focus after each navigation inside the app (tabIndex -1), so a
 * screen reader announces the new page and keyboard users start from its top (WCAG 2.4.3). The
 * first page of a load keeps the browser's own start (the skip link comes first).
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

let isFirstTitle = true;

export function PageTitle({ children }: { readonly children: ComponentChildren }): JSX.Element {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const text = ref.current?.textContent ?? '';
    document.title = text === '' ? 'Signet' : `${text} · Signet`;
    if (isFirstTitle) isFirstTitle = false;
    else ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} id="page-title">
      {children}
    </h1>
  );
}
