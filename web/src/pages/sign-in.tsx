/**
 * Sign in (issue 13, journey 1): "Username", "Password", then "One-time code" with "Sign in", or
 * "Use passkey" (WebAuthn through @simplewebauthn/browser; the password is checked first, Contract
 * 1). With the username and password left empty, "Use passkey" asks for a discoverable passkey
 * (passwordless), where the server allows it. When the server has an identity provider
 * (`GET /api/v1/session/methods`), a "Sign in with <name>" link starts the federated first factor;
 * back from the provider (`/?oidc=second-factor`) the page asks only for the second factor: "One-time
 * code" with "Sign in", or "Use passkey" (docs/security.md SCA-19).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { ApiError, asApiError, get, post, type SignedIn } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';

export function SignInPage({ onSignedIn }: { readonly onSignedIn: (session: SignedIn) => void }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [busy, setBusy] = useState<'otp' | 'passkey' | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [provider, setProvider] = useState<{ name: string; start: string } | null>(null);
  // Back from the identity provider: the first factor is done, the second one finishes the sign-in.
  const [federated, setFederated] = useState<{ username: string; totp: boolean; passkey: boolean } | undefined>();

  useEffect(() => {
    const query = new URLSearchParams(window.location.search);
    const failed = query.get('oidc_error');
    if (failed !== null) setError(asApiError(new ApiError(400, failed, 'The sign-in at your identity provider was refused.')));
    void get<{ oidc: { name: string; start: string } | null }>('/api/v1/session/methods')
      .then((m) => setProvider(m.oidc))
      .catch(() => setProvider(null));
    if (query.get('oidc') === 'second-factor') {
      void get<{ username: string; totp: boolean; passkey: boolean }>('/api/v1/session/oidc/pending')
        .then(setFederated)
        .catch((err: unknown) => setError(asApiError(err)));
    }
  }, []);

  const finished = (answer: SignedIn): void => {
    if (federated !== undefined) window.history.replaceState(null, '', window.location.pathname);
    onSignedIn(answer);
  };

  const withCode = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (federated !== undefined) {
      setBusy('otp');
      setError(undefined);
      try {
        finished(await post<SignedIn>('/api/v1/session/oidc/otp', { otp: otp.trim() }));
      } catch (err) {
        setError(asApiError(err));
        setOtp('');
      } finally {
        setBusy(undefined);
      }
      return;
    }
    if (username.trim() === '' || password === '') {
      setError(new ApiError(0, 'fields_missing', 'Enter your username and password.'));
      return;
    }
    setBusy('otp');
    setError(undefined);
    try {
      // Without a code the server signs in only a person who has no second factor yet (to enrol one).
      const answer = await post<SignedIn>('/api/v1/session', { username, password, ...(otp.trim() !== '' ? { otp: otp.trim() } : {}) });
      onSignedIn(answer);
    } catch (err) {
      setError(asApiError(err));
      setOtp('');
    } finally {
      setBusy(undefined);
    }
  };

  const withPasskey = async (): Promise<void> => {
    setBusy('passkey');
    setError(undefined);
    try {
      if (federated !== undefined) {
        const started = await post<{ ticket: string; options: PublicKeyCredentialRequestOptionsJSON }>('/api/v1/session/oidc/passkey/options', {});
        const response = await startAuthentication({ optionsJSON: started.options });
        finished(await post<SignedIn>('/api/v1/session/oidc/passkey', { ticket: started.ticket, response }));
        return;
      }
      const passwordless = username === '' && password === '';
      const { ticket, options } = await post<{ ticket: string; options: PublicKeyCredentialRequestOptionsJSON }>(
        '/api/v1/session/passkey/options',
        passwordless ? {} : { username, password },
      );
      const response = await startAuthentication({ optionsJSON: options });
      onSignedIn(await post<SignedIn>('/api/v1/session/passkey', { ticket, response }));
    } catch (err) {
      setError(asApiError(err));
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section class="narrow" aria-labelledby="page-title">
      <PageTitle>Sign in</PageTitle>
      <form onSubmit={(e) => void withCode(e)} noValidate>
        {federated !== undefined ? (
          <p>
            Your identity provider signed you in as <strong>{federated.username}</strong>. Finish with your{' '}
            {federated.passkey && federated.totp ? 'passkey or one-time code' : federated.passkey ? 'passkey' : 'one-time code'}.
          </p>
        ) : (
          <>
            <label for="username">Username</label>
            <input id="username" name="username" autoComplete="username webauthn" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </>
        )}
        <label for="otp">One-time code</label>
        <input
          id="otp"
          name="otp"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={10}
          aria-describedby="otp-help"
          value={otp}
          onInput={(e) => setOtp(e.currentTarget.value)}
        />
        <p id="otp-help" class="help">
          The 6-digit code from your authenticator app.
        </p>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy !== undefined}>
            {busy === 'otp' ? 'Signing in…' : 'Sign in'}
          </button>
          {federated === undefined || federated.passkey ? (
            <>
              <span class="or">or</span>
              <button type="button" disabled={busy !== undefined} onClick={() => void withPasskey()}>
                Use passkey
              </button>
            </>
          ) : null}
        </div>
      </form>
      {provider !== null && federated === undefined ? (
        <p class="federated">
          <a href={provider.start}>Sign in with {provider.name}</a>
        </p>
      ) : null}
    </section>
  );
}
