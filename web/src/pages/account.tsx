/**
 * Account (issue 13, journey 4): passkeys (add with @simplewebauthn/browser, rename, remove),
 * the authenticator app (QR code from the server's SVG, confirmed by a first code; remove), the
 * signing certificates with status and expiry, "Activity": the person's own audit trail,
 * newest first, and "Signatures made with your key" (signature-log.tsx, issue 21). Changes need
 * a fresh second factor (W's account routes): when the server asks for one, the page asks
 * "Confirm it is you" and then finishes the change.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { startAuthentication, startRegistration, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import { asApiError, del, get, patch, post, type ApiError, type SessionUser } from '../api.js';
import { activityWords } from '../activity-words.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';
import { formatDate } from '../format.js';
import { SignatureLog } from './signature-log.js';

interface Passkey {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly deviceType: string;
  readonly backedUp: boolean;
}

interface Factors {
  readonly totp: { readonly enrolled: boolean; readonly pending: boolean };
  readonly passkeys: readonly Passkey[];
  readonly requirePasskey: boolean;
}

interface Credential {
  readonly credentialID: string;
  readonly subject: string;
  readonly status: string;
  readonly notAfter: string | null;
  readonly algorithm?: string;
}

interface AuditEntry {
  readonly seq: number;
  readonly occurredAt: number;
  readonly type: string;
  readonly outcome: 'success' | 'failure';
  readonly subject: string | null;
}

const statusWords: Record<string, string> = {
  active: 'Active',
  disabled: 'Disabled',
  revoked: 'Revoked: it can no longer sign',
  expired: 'Expired',
  locked: 'Locked',
};

/** Runs `action`; when the server wants a fresh second factor, asks for one and runs it again. */
type Guarded = (action: () => Promise<void>) => Promise<void>;

function StepUp({ onDone, onCancel }: { readonly onDone: () => void; readonly onCancel: () => void }): JSX.Element {
  const [otp, setOtp] = useState('');
  const [error, setError] = useState<ApiError | undefined>();
  const withCode = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      await post('/api/v1/me/step-up', { otp: otp.trim() });
      onDone();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  const withPasskey = async (): Promise<void> => {
    try {
      const { ticket, options } = await post<{ ticket: string; options: PublicKeyCredentialRequestOptionsJSON }>('/api/v1/me/step-up/options', {});
      const response = await startAuthentication({ optionsJSON: options });
      await post('/api/v1/me/step-up', { ticket, response });
      onDone();
    } catch (err) {
      setError(asApiError(err));
    }
  };
  return (
    <form class="card notice" onSubmit={(e) => void withCode(e)} aria-labelledby="step-up-title">
      <h2 id="step-up-title">Confirm it is you</h2>
      <p>This change needs your second factor again.</p>
      <label for="step-up-otp">One-time code</label>
      <input id="step-up-otp" inputMode="numeric" autoComplete="one-time-code" value={otp} onInput={(e) => setOtp(e.currentTarget.value)} />
      <ErrorNote error={error} />
      <div class="actions">
        <button type="submit" class="primary">
          Confirm
        </button>
        <button type="button" onClick={() => void withPasskey()}>
          Confirm with passkey
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function PasskeyRow({ passkey, guarded, onChanged }: { readonly passkey: Passkey; readonly guarded: Guarded; readonly onChanged: () => void }): JSX.Element {
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(passkey.name);
  const rename = (event: Event): void => {
    event.preventDefault();
    void guarded(async () => {
      await patch(`/api/v1/me/passkeys/${passkey.id}`, { name: name.trim() });
      setRenaming(false);
      onChanged();
    });
  };
  const remove = (): void => {
    if (!window.confirm(`Remove the passkey "${passkey.name}"? You will no longer be able to sign in with it.`)) return;
    void guarded(async () => {
      await del(`/api/v1/me/passkeys/${passkey.id}`);
      onChanged();
    });
  };
  return (
    <li>
      <span>
        <strong>{passkey.name}</strong>
        <span class="block small">
          Added {formatDate(passkey.createdAt)} · last used {passkey.lastUsedAt === null ? 'never' : formatDate(passkey.lastUsedAt)}
          {passkey.backedUp ? ' · synced passkey' : ''}
        </span>
      </span>
      {renaming ? (
        <form class="toolbar" onSubmit={rename}>
          <label for={`rename-${passkey.id}`} class="inline">
            New name for {passkey.name}
          </label>
          <input id={`rename-${passkey.id}`} value={name} maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" class="primary">
            Save
          </button>
          <button type="button" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <span class="toolbar">
          <button type="button" onClick={() => setRenaming(true)} aria-label={`Rename ${passkey.name}`}>
            Rename
          </button>
          <button type="button" class="danger" onClick={remove} aria-label={`Remove ${passkey.name}`}>
            Remove
          </button>
        </span>
      )}
    </li>
  );
}

function TotpSection({ totp, guarded, onChanged }: { readonly totp: Factors['totp']; readonly guarded: Guarded; readonly onChanged: () => void }): JSX.Element {
  const [enrolment, setEnrolment] = useState<{ uri: string; secret: string; qrSvg: string } | undefined>();
  const [code, setCode] = useState('');
  const start = (): void =>
    void guarded(async () => {
      setEnrolment(await post<{ uri: string; secret: string; qrSvg: string }>('/api/v1/me/totp', {}));
    });
  const confirm = (event: Event): void => {
    event.preventDefault();
    void guarded(async () => {
      await post('/api/v1/me/totp/confirm', { code: code.trim() });
      setEnrolment(undefined);
      setCode('');
      onChanged();
    });
  };
  const remove = (): void => {
    if (!window.confirm('Remove your authenticator app? You will sign in with a passkey only.')) return;
    void guarded(async () => {
      await del('/api/v1/me/totp');
      onChanged();
    });
  };
  return (
    <section aria-labelledby="totp-title" class="card">
      <h2 id="totp-title">Authenticator app</h2>
      <p>{totp.enrolled ? 'An authenticator app gives you one-time codes for signing in and approving signatures.' : 'No authenticator app yet.'}</p>
      {enrolment === undefined ? (
        <div class="actions">
          <button type="button" onClick={start}>
            {totp.enrolled ? 'Replace authenticator app' : 'Set up authenticator app'}
          </button>
          {totp.enrolled && (
            <button type="button" class="danger" onClick={remove}>
              Remove authenticator app
            </button>
          )}
        </div>
      ) : (
        <form onSubmit={confirm}>
          <p>Scan this code with your authenticator app, or type the key below into it. Then enter the first code it shows.</p>
          <p class="qr">
            <img src={`data:image/svg+xml;base64,${btoa(enrolment.qrSvg)}`} alt="QR code for your authenticator app" width={192} height={192} />
          </p>
          <p>
            Key: <code class="hash">{enrolment.secret}</code>
          </p>
          <label for="totp-code">First code from the app</label>
          <input id="totp-code" inputMode="numeric" autoComplete="one-time-code" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          <div class="actions">
            <button type="submit" class="primary">
              Confirm
            </button>
            <button type="button" onClick={() => setEnrolment(undefined)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** Entries per page of "Activity". */
const activityPage = 50;

/** One page of the person's activity, newest first, strictly before `beforeSeq` (the server pages it). */
async function readActivity(beforeSeq = Number.MAX_SAFE_INTEGER): Promise<{ entries: AuditEntry[]; nextBeforeSeq: number | null }> {
  const page = await get<{ entries: AuditEntry[]; nextBeforeSeq?: number | null }>(`/api/v1/me/audit?beforeSeq=${beforeSeq}&limit=${activityPage}`);
  return { entries: page.entries, nextBeforeSeq: page.nextBeforeSeq ?? null };
}

export function AccountPage({ user, enrolOnly = false }: { readonly user: SessionUser; readonly enrolOnly?: boolean }): JSX.Element {
  const [factors, setFactors] = useState<Factors | undefined>();
  const [credentials, setCredentials] = useState<readonly Credential[] | undefined>();
  const [activity, setActivity] = useState<readonly AuditEntry[] | undefined>();
  const [olderFrom, setOlderFrom] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [pending, setPending] = useState<(() => Promise<void>) | undefined>();
  const [passkeyName, setPasskeyName] = useState('');
  const [version, setVersion] = useState(0);

  const refresh = (): void => setVersion((v) => v + 1);

  useEffect(() => {
    get<Factors>('/api/v1/me/factors').then(setFactors, (err: unknown) => setError(asApiError(err)));
    if (enrolOnly) return;
    get<readonly Credential[] | { credentials: readonly Credential[] }>('/api/v1/me/credentials').then(
      (a) => setCredentials(Array.isArray(a) ? a : (a as { credentials: readonly Credential[] }).credentials),
      () => setCredentials([]),
    );
    readActivity().then(
      (page) => {
        setActivity(page.entries);
        setOlderFrom(page.nextBeforeSeq);
      },
      () => setActivity([]),
    );
  }, [version, enrolOnly]);

  const guarded: Guarded = async (action) => {
    setError(undefined);
    setNotice(undefined);
    try {
      await action();
    } catch (err) {
      const e = asApiError(err);
      if (e.code === 'ERR_SESSION_STEP_UP_REQUIRED') setPending(() => action);
      else setError(e);
    }
  };

  const addPasskey = (event: Event): void => {
    event.preventDefault();
    void guarded(async () => {
      const { ticket, options } = await post<{ ticket: string; options: PublicKeyCredentialCreationOptionsJSON }>('/api/v1/me/passkeys/options', {});
      const response = await startRegistration({ optionsJSON: options });
      const name = passkeyName.trim();
      await post('/api/v1/me/passkeys', { ticket, response, ...(name !== '' ? { name } : {}) });
      setPasskeyName('');
      setNotice(enrolOnly ? 'Passkey added. Sign out and sign in again with it to use everything.' : 'Passkey added.');
      refresh();
    });
  };

  return (
    <section aria-labelledby="page-title">
      <PageTitle>Account</PageTitle>
      <p>Signed in as {user.username}.</p>
      {enrolOnly && <p class="notice">Add a passkey or an authenticator app first: signing needs a second factor.</p>}
      {pending !== undefined && (
        <StepUp
          onCancel={() => setPending(undefined)}
          onDone={() => {
            const action = pending;
            setPending(undefined);
            void guarded(action);
          }}
        />
      )}
      <ErrorNote error={error} />
      <p aria-live="polite" class="summary">
        {notice}
      </p>

      <section aria-labelledby="passkeys-title" class="card">
        <h2 id="passkeys-title">Passkeys</h2>
        {factors === undefined && <p>Loading…</p>}
        {factors !== undefined && factors.passkeys.length === 0 && <p>No passkey yet. A passkey lets you sign in and approve signatures with your device's lock (fingerprint, face or PIN).</p>}
        {factors !== undefined && factors.passkeys.length > 0 && (
          <ul class="status-list">
            {factors.passkeys.map((p) => (
              <PasskeyRow key={p.id} passkey={p} guarded={guarded} onChanged={refresh} />
            ))}
          </ul>
        )}
        <form class="toolbar" onSubmit={addPasskey}>
          <label for="passkey-name" class="inline">
            Passkey name
          </label>
          <input id="passkey-name" value={passkeyName} maxLength={200} placeholder="e.g. Work laptop" onInput={(e) => setPasskeyName(e.currentTarget.value)} />
          <button type="submit" class="primary">
            Add a passkey
          </button>
        </form>
      </section>

      {factors !== undefined && <TotpSection totp={factors.totp} guarded={guarded} onChanged={refresh} />}

      {!enrolOnly && (
        <>
          <section aria-labelledby="certs-title" class="card">
            <h2 id="certs-title">Signing certificates</h2>
            {credentials === undefined && <p>Loading…</p>}
            {credentials !== undefined && credentials.length === 0 && <p>No signing certificate yet. Your administrator creates one for you.</p>}
            {credentials !== undefined && credentials.length > 0 && (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Certificate</th>
                      <th scope="col">Status</th>
                      <th scope="col">Valid until</th>
                      <th scope="col">Key</th>
                    </tr>
                  </thead>
                  <tbody>
                    {credentials.map((c) => (
                      <tr key={c.credentialID}>
                        <td data-label="Certificate">{c.subject}</td>
                        <td data-label="Status">{statusWords[c.status] ?? c.status}</td>
                        <td data-label="Valid until">{formatDate(c.notAfter)}</td>
                        <td data-label="Key">{c.algorithm ?? '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <section aria-labelledby="activity-title" class="card">
            <h2 id="activity-title">Activity</h2>
            <p class="help">Everything done with your account and your signing key, newest first.</p>
            {activity === undefined && <p>Loading…</p>}
            {activity !== undefined && activity.length === 0 && <p>Nothing yet.</p>}
            {activity !== undefined && activity.length > 0 && (
              <ol class="status-list" reversed>
                {activity.map((e) => (
                  <li key={e.seq}>
                    <span>
                      {activityWords(e.type)}
                      {e.outcome === 'failure' && <strong> (refused)</strong>}
                    </span>
                    <span class="small">
                      {formatDate(e.occurredAt)} · #{e.seq}
                    </span>
                  </li>
                ))}
              </ol>
            )}
            {olderFrom !== null && (
              <p>
                <button
                  type="button"
                  onClick={() =>
                    void readActivity(olderFrom).then(
                      (page) => {
                        setActivity((current) => [...(current ?? []), ...page.entries]);
                        setOlderFrom(page.nextBeforeSeq);
                      },
                      (err: unknown) => setError(asApiError(err)),
                    )
                  }
                >
                  Show older activity
                </button>
              </p>
            )}
          </section>

          <SignatureLog />
        </>
      )}
    </section>
  );
}
