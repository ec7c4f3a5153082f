/** Account (issue 13, journey 4). */
import type { JSX } from 'preact';
import type { SessionUser } from '../api.js';
import { PageTitle } from '../components/page-title.js';

export function AccountPage({ user }: { readonly user: SessionUser; readonly enrolOnly?: boolean }): JSX.Element {
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Account</PageTitle>
      <p>{user.username}</p>
    </section>
  );
}
