/**
 * The shell of the Signature Application: session check, the main navigation ("Sign documents",
 * "Verify", "Account", "Administration" for admins, "Sign out"), a skip link, and the page of the
 * current path. Without a session every path shows the sign-in form and then the page asked for.
 */
import type { JSX } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, del, get, type SessionUser, type SignedIn } from './api.js';
import { ErrorNote } from './components/error-note.js';
import { Link, navigate, usePath } from './router.js';
import { AccountPage } from './pages/account.js';
import { AdminPage } from './pages/admin.js';
import { HomePage } from './pages/home.js';
import { JobPage } from './pages/job.js';
import { NotFoundPage } from './pages/not-found.js';
import { SignInPage } from './pages/sign-in.js';
import { SignPage } from './pages/sign.js';
import { VerifyPage } from './pages/verify.js';

type Session =
  | { readonly state: 'loading' }
  | { readonly state: 'out' }
  | { readonly state: 'in'; readonly user: SessionUser; readonly enrolOnly: boolean };

function Page({ path, user, enrolOnly }: { readonly path: string; readonly user: SessionUser; readonly enrolOnly: boolean }): JSX.Element {
  // A person without a second factor may only add one (Contract 1: an enrolment-only session).
  if (enrolOnly) return <AccountPage user={user} enrolOnly />;
  if (path === '/') return <HomePage user={user} />;
  if (path === '/sign') return <SignPage />;
  if (path === '/verify') return <VerifyPage />;
  if (path === '/account') return <AccountPage user={user} />;
  if (path === '/admin') return user.role === 'admin' ? <AdminPage user={user} /> : <NotFoundPage />;
  const job = /^\/jobs\/([A-Za-z0-9_-]{1,100})$/.exec(path);
  if (job?.[1] !== undefined) return <JobPage jobId={job[1]} />;
  return <NotFoundPage />;
}

function isCurrent(path: string, href: string): boolean {
  return path === href || (href === '/sign' && path.startsWith('/jobs/'));
}

function signedIn(answer: SignedIn): Session {
  return { state: 'in', user: answer.user, enrolOnly: answer.secondFactor === 'none' };
}

export function App(): JSX.Element {
  const path = usePath();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const [error, setError] = useState<ApiError | undefined>();

  useEffect(() => {
    get<SignedIn>('/api/v1/session').then(
      (answer) => setSession(signedIn(answer)),
      (err: unknown) => {
        if (!(err instanceof ApiError) || err.status !== 401) setError(err instanceof ApiError ? err : undefined);
        setSession({ state: 'out' });
      },
    );
  }, []);

  const signOut = useCallback((event: MouseEvent) => {
    event.preventDefault();
    del('/api/v1/session').then(
      () => {
        setSession({ state: 'out' });
        navigate('/');
      },
      (err: unknown) => setError(err instanceof ApiError ? err : undefined),
    );
  }, []);

  const user = session.state === 'in' ? session.user : undefined;
  const links: [string, string][] = [
    ['/sign', 'Sign documents'],
    ['/verify', 'Verify'],
    ['/account', 'Account'],
    ...(user?.role === 'admin' ? [['/admin', 'Administration'] as [string, string]] : []),
  ];

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          Signet
        </Link>
        {user !== undefined && (
          <nav aria-label="Main">
            <ul>
              {links.map(([href, label]) => (
                <li key={href}>
                  <Link href={href} {...(isCurrent(path, href) ? { 'aria-current': 'page' as const } : {})}>
                    {label}
                  </Link>
                </li>
              ))}
              <li>
                <a href="/" onClick={signOut}>
                  Sign out
                </a>
              </li>
            </ul>
          </nav>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <ErrorNote error={error} />
        {session.state === 'loading' && <p aria-live="polite">Loading…</p>}
        {session.state === 'out' && <SignInPage onSignedIn={(answer) => setSession(signedIn(answer))} />}
        {session.state === 'in' && <Page key={path} path={path} user={session.user} enrolOnly={session.enrolOnly} />}
      </main>
      {user !== undefined && (
        <footer class="foot">
          <small>Signed in as {user.username}</small>
        </footer>
      )}
    </>
  );
}
