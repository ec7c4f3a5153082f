/** Any path the app does not know. */
import type { JSX } from 'preact';
import { PageTitle } from '../components/page-title.js';
import { Link } from '../router.js';

export function NotFoundPage(): JSX.Element {
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Page not found</PageTitle>
      <p>
        There is nothing here. <Link href="/">Go to the start page</Link>.
      </p>
    </section>
  );
}
