/**
 * The page's h1: it takes the focus after each navigation (tabIndex -1), so a screen reader
 * announces the new page and keyboard users start from its top (WCAG 2.4.3).
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function PageTitle({ children }: { readonly children: ComponentChildren }): JSX.Element {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const text = ref.current?.textContent ?? '';
    document.title = text === '' ? 'Signet' : `${text} · Signet`;
    if (document.activeElement === document.body || document.activeElement === null) ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} id="page-title">
      {children}
    </h1>
  );
}
