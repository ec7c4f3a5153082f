/**
 * Sign in (issue 13, journey 1): "Username", "Password", then "One-time code" with "Sign in", or
 * "Use passkey" (WebAuthn through @simplewebauthn/browser; the password is checked first, Contract
 * 1). With the username and password left empty, "Use passkey" asks for a discoverable passkey
 * (passwordless), where the server allows it.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { ApiError, asApiError, post, type SignedIn } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';

export function SignInPage({ onSignedIn }: { readonly onSignedIn: (session: SignedIn) => void }): JSX.Element {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [busy, setBusy] = useState<'otp' | 'passkey' | undefined>();
  const [error, setError] = useState<ApiError | undefined>();

  const withCode = async (event: Event): Promise<void> => {
    event.preventDefault();
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
        <label for="username">Username</label>
        <input id="username" name="username" autoComplete="username webauthn" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
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
          <span class="or">or</span>
          <button type="button" disabled={busy !== undefined} onClick={() => void withPasskey()}>
            Use passkey
          </button>
        </div>
      </form>
    </section>
  );
}
