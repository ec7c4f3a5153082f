/** A check, a cross or a question mark as an image with a text alternative (issue 13: pictures where people would rather look). */
import type { JSX } from 'preact';

export type Tone = 'good' | 'bad' | 'unknown';

const paths: Record<Tone, string> = {
  good: 'M6 12.5l4 4 8-9',
  bad: 'M7 7l10 10M17 7L7 17',
  unknown: 'M9.5 9a2.5 2.5 0 1 1 3.5 2.3c-.6.3-1 .9-1 1.6V14M12 17.5v.5',
};

export function StatusIcon({ tone, label }: { readonly tone: Tone; readonly label: string }): JSX.Element {
  return (
    <svg class={`icon icon-${tone}`} viewBox="0 0 24 24" width="28" height="28" role="img" aria-label={label}>
      <circle cx="12" cy="12" r="11" />
      <path d={paths[tone]} />
    </svg>
  );
}
