/** Administration (issue 13, journey 5). */
import type { JSX } from 'preact';
import type { SessionUser } from '../api.js';
import { PageTitle } from '../components/page-title.js';

export function AdminPage({ user }: { readonly user: SessionUser }): JSX.Element {
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Administration</PageTitle>
      <p>{user.username}</p>
    </section>
  );
}
