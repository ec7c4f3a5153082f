/**
 * Administration (issue 13, journey 5), for the admin role: users (create, disable, reset second
 * factors), signing credentials (revoke with an RFC 5280 reason: signing stops at once), OAuth
 * clients, and the audit log's verification. It calls the admin API (/admin/v1) with the administrator's web session, which the
 * server accepts only for the admin role signed in with two factors (CSRF header on changes).
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { asApiError, get, post, put, type ApiError, type SessionUser } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';
import { StatusIcon } from '../components/status-icon.js';
import { formatDate } from '../format.js';

interface User {
  readonly id: string;
  readonly username: string;
  readonly status: string;
  readonly hasTotp: boolean;
  readonly locked: boolean;
  readonly createdAt: number;
  readonly role?: string;
  readonly requirePasskey?: boolean;
}

interface Credential {
  readonly id: string;
  readonly username: string;
  readonly backendKind: string;
  readonly status: string;
  readonly locked: boolean;
  readonly createdAt: number;
}

interface AuditReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly lastSeq: number;
  readonly checkedAt: number;
  readonly problems: readonly { readonly kind: string; readonly seq: number; readonly message: string }[];
}

interface Client {
  readonly id: string;
  readonly name: string;
  readonly clientType: string;
  readonly redirectUris: readonly string[];
  readonly allowedScopes?: readonly string[];
}

/** The answer of POST /admin/v1/clients: a confidential client's secret is shown once. */
interface CreatedClient {
  readonly clientId: string;
  readonly clientSecret?: string;
}

/** Registers an OAuth client (an application that signs through Signet). */
function ClientForm({ onCreated, onError }: { onCreated: (created: CreatedClient, name: string) => void; onError: (error: ApiError) => void }): JSX.Element {
  const [name, setName] = useState('');
  const [clientType, setClientType] = useState<'confidential' | 'public'>('confidential');
  const [redirects, setRedirects] = useState('');
  const [service, setService] = useState(true);
  const [credential, setCredential] = useState(true);
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      const redirectUris = redirects.split(/\s+/).filter((u) => u !== '');
      const allowedScopes = [...(service ? ['service'] : []), ...(credential ? ['credential'] : [])];
      const created = await post<CreatedClient>('/admin/v1/clients', { name: name.trim(), clientType, redirectUris, allowedScopes });
      onCreated(created, name.trim());
      setName('');
      setRedirects('');
    } catch (err) {
      onError(asApiError(err));
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="new-client-title">
      <h3 id="new-client-title">Register an application</h3>
      <div class="grid2">
        <div>
          <label for="client-name">Application name</label>
          <input id="client-name" value={name} maxLength={200} required onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div>
          <label for="client-type">Client type</label>
          <select id="client-type" value={clientType} onChange={(e) => setClientType(e.currentTarget.value as 'confidential' | 'public')}>
            <option value="confidential">Confidential (a server: gets a secret)</option>
            <option value="public">Public (an app on a device: PKCE only)</option>
          </select>
        </div>
      </div>
      <label for="client-redirects">Redirect URIs</label>
      <textarea id="client-redirects" rows={2} value={redirects} aria-describedby="client-redirects-help" onInput={(e) => setRedirects(e.currentTarget.value)} />
      <p id="client-redirects-help" class="help">
        One per line, exactly as the application sends them (https, or http on 127.0.0.1 for an app on this computer).
      </p>
      <fieldset>
        <legend>What it may ask for</legend>
        <label class="inline">
          <input type="checkbox" checked={service} onChange={(e) => setService(e.currentTarget.checked)} /> List signing credentials (service)
        </label>
        <label class="inline">
          <input type="checkbox" checked={credential} onChange={(e) => setCredential(e.currentTarget.checked)} /> Sign with a person's approval (credential)
        </label>
      </fieldset>
      <div class="actions">
        <button type="submit">Register application</button>
      </div>
    </form>
  );
}

/** RFC 5280 §5.3.1 reasons, in plain words. */
const reasons: readonly (readonly [string, string])[] = [
  ['unspecified', 'No reason given'],
  ['keyCompromise', 'The key may be known to someone else'],
  ['affiliationChanged', 'The person changed role or left'],
  ['superseded', 'Replaced by a new certificate'],
  ['cessationOfOperation', 'No longer needed'],
  ['privilegeWithdrawn', 'The right to sign was withdrawn'],
];

function RevokeForm({ credential, onDone, onError }: { readonly credential: Credential; readonly onDone: () => void; readonly onError: (e: ApiError) => void }): JSX.Element {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('unspecified');
  if (!open) {
    return (
      <button type="button" class="danger" onClick={() => setOpen(true)} aria-label={`Revoke the credential of ${credential.username}`}>
        Revoke
      </button>
    );
  }
  const revoke = async (event: Event): Promise<void> => {
    event.preventDefault();
    try {
      await post(`/admin/v1/credentials/${encodeURIComponent(credential.id)}/revoke`, { reason });
      onDone();
    } catch (err) {
      onError(asApiError(err));
    }
  };
  return (
    <form class="toolbar" onSubmit={(e) => void revoke(e)}>
      <label for={`reason-${credential.id}`} class="inline">
        Reason
      </label>
      <select id={`reason-${credential.id}`} value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
        {reasons.map(([value, words]) => (
          <option key={value} value={value}>
            {words}
          </option>
        ))}
      </select>
      <button type="submit" class="danger">
        Revoke certificate
      </button>
      <button type="button" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}

export function AdminPage({ user }: { readonly user: SessionUser }): JSX.Element {
  const [users, setUsers] = useState<readonly User[] | undefined>();
  const [credentials, setCredentials] = useState<readonly Credential[] | undefined>();
  const [clients, setClients] = useState<readonly Client[] | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [version, setVersion] = useState(0);
  const [newName, setNewName] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [audit, setAudit] = useState<AuditReport | 'checking' | undefined>();
  // The policy as just chosen, until the list is read again (a controlled checkbox would snap back meanwhile).
  const [passkeyChosen, setPasskeyChosen] = useState<Readonly<Record<string, boolean>>>({});
  const [secret, setSecret] = useState<{ readonly clientId: string; readonly clientSecret: string } | undefined>();

  const verifyAudit = async (): Promise<void> => {
    setAudit('checking');
    try {
      setAudit(await get<AuditReport>('/admin/v1/audit/verify'));
    } catch (err) {
      setAudit(undefined);
      setError(asApiError(err));
    }
  };

  useEffect(() => {
    const fail = (err: unknown): void => setError(asApiError(err));
    get<{ users: readonly User[] }>('/admin/v1/users').then((a) => {
      setUsers(a.users);
      setPasskeyChosen({});
    }, fail);
    get<{ credentials: readonly Credential[] }>('/admin/v1/credentials').then((a) => setCredentials(a.credentials), fail);
    get<{ clients: readonly Client[] }>('/admin/v1/clients').then((a) => setClients(a.clients), fail);
  }, [version]);

  const act = async (action: () => Promise<unknown>, done: string): Promise<void> => {
    setError(undefined);
    setNotice(undefined);
    try {
      await action();
      setNotice(done);
      setVersion((v) => v + 1);
    } catch (err) {
      setError(asApiError(err));
    }
  };

  const createUser = (event: Event): void => {
    event.preventDefault();
    const username = newName.trim();
    void act(async () => {
      await post('/admin/v1/users', { username, password: newPassword });
      setNewName('');
      setNewPassword('');
    }, `User ${username} created. They add a second factor when they first sign in.`);
  };

  return (
    <section aria-labelledby="page-title">
      <PageTitle>Administration</PageTitle>
      <p>Signed in as {user.username} (administrator). Every change here is recorded in the audit log.</p>
      <ErrorNote error={error} />
      <p aria-live="polite" class="summary">
        {notice}
      </p>

      <section class="card" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        {users === undefined ? (
          <p>Loading…</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.id}>
                    <td data-label="User">
                      {u.username}
                      <span class="block small">since {formatDate(u.createdAt)}</span>
                    </td>
                    <td data-label="Role">
                      {u.username === user.username ? (
                        u.role === 'admin' ? 'Administrator' : 'User'
                      ) : (
                        <select
                          aria-label={`Role of ${u.username}`}
                          value={u.role === 'admin' ? 'admin' : 'user'}
                          onChange={(e) => {
                            const role = e.currentTarget.value;
                            void act(() => put(`/admin/v1/users/${encodeURIComponent(u.username)}/role`, { role }), `${u.username} is now ${role === 'admin' ? 'an administrator' : 'a user'}.`);
                          }}
                        >
                          <option value="user">User</option>
                          <option value="admin">Administrator</option>
                        </select>
                      )}
                    </td>
                    <td data-label="Status">
                      {u.status === 'active' ? 'Active' : u.status}
                      {u.locked ? ', locked' : ''}
                      {u.hasTotp ? ', authenticator app' : ''}
                      <label class="block small">
                        <input
                          type="checkbox"
                          checked={passkeyChosen[u.id] ?? u.requirePasskey === true}
                          onChange={(e) => {
                            const required = e.currentTarget.checked;
                            setPasskeyChosen((chosen) => ({ ...chosen, [u.id]: required }));
                            void act(
                              () => put(`/admin/v1/users/${encodeURIComponent(u.username)}/require-passkey`, { required }),
                              required ? `${u.username} must now sign in with a passkey.` : `${u.username} may sign in with a one-time code again.`,
                            );
                          }}
                        />{' '}
                        Passkey required
                      </label>
                    </td>
                    <td data-label="Actions">
                      <span class="toolbar">
                        {u.status === 'active' && u.username !== user.username && (
                          <button type="button" class="danger" aria-label={`Disable ${u.username}`} onClick={() => void act(() => post(`/admin/v1/users/${encodeURIComponent(u.username)}/disable`, {}), `${u.username} disabled.`)}>
                            Disable
                          </button>
                        )}
                        <button
                          type="button"
                          aria-label={`Reset factors of ${u.username}`}
                          onClick={() => {
                            if (window.confirm(`Remove every passkey and authenticator app of ${u.username}? They will set up a new one at their next sign-in.`)) {
                              void act(() => post(`/admin/v1/users/${encodeURIComponent(u.username)}/factors/reset`, {}), `Second factors of ${u.username} reset.`);
                            }
                          }}
                        >
                          Reset factors
                        </button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <form onSubmit={createUser} class="grid2">
          <div>
            <label for="new-username">New user's username</label>
            <input id="new-username" value={newName} maxLength={64} onInput={(e) => setNewName(e.currentTarget.value)} />
          </div>
          <div>
            <label for="new-password">New user's first password</label>
            <input id="new-password" type="password" autoComplete="new-password" minLength={8} value={newPassword} onInput={(e) => setNewPassword(e.currentTarget.value)} />
          </div>
          <div class="actions">
            <button type="submit">Create user</button>
          </div>
        </form>
      </section>

      <section class="card" aria-labelledby="credentials-title">
        <h2 id="credentials-title">Signing credentials</h2>
        <p class="help">Revoking a credential revokes its certificate: signing with it stops at once.</p>
        {credentials === undefined ? (
          <p>Loading…</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Owner</th>
                  <th scope="col">Credential</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {credentials.map((c) => (
                  <tr key={c.id}>
                    <td data-label="Owner">{c.username}</td>
                    <td data-label="Credential">
                      <code class="hash">{c.id}</code>
                      <span class="block small">
                        {c.backendKind} key, created {formatDate(c.createdAt)}
                      </span>
                    </td>
                    <td data-label="Status">{c.status === 'active' ? 'Active' : c.status === 'revoked' ? 'Revoked' : c.status}</td>
                    <td data-label="Actions">{c.status !== 'revoked' && <RevokeForm credential={c} onDone={() => { setNotice(`The credential of ${c.username} is revoked.`); setVersion((v) => v + 1); }} onError={setError} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="clients-title">
        <h2 id="clients-title">Applications (OAuth clients)</h2>
        {clients === undefined ? (
          <p>Loading…</p>
        ) : (
          <ul class="status-list">
            {clients.map((c) => (
              <li key={c.id}>
                <span>
                  <strong>{c.name}</strong> <span class="small">({c.id}, {c.clientType})</span>
                </span>
                <span class="small">
                  {[
                    c.redirectUris.length > 0 ? c.redirectUris.join(', ') : undefined,
                    c.allowedScopes !== undefined && c.allowedScopes.length > 0 ? `scopes: ${c.allowedScopes.join(', ')}` : undefined,
                  ]
                    .filter((part) => part !== undefined)
                    .join(' · ')}
                </span>
              </li>
            ))}
          </ul>
        )}
        {secret !== undefined && (
          <div class="notice" role="status">
            <p>
              Client secret of <strong>{secret.clientId}</strong>, shown only now — give it to the application's operator:
            </p>
            <p>
              <code class="hash">{secret.clientSecret}</code>
            </p>
          </div>
        )}
        <ClientForm
          onError={setError}
          onCreated={(created, name) => {
            setError(undefined);
            setNotice(`Application ${name} registered as ${created.clientId}.`);
            setSecret(created.clientSecret === undefined ? undefined : { clientId: created.clientId, clientSecret: created.clientSecret });
            setVersion((v) => v + 1);
          }}
        />
      </section>

      <section class="card" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log</h2>
        <p>The audit log is hash-chained and sealed with a key only the server holds. The check recomputes every entry, as <code>signet audit verify</code> does.</p>
        <div class="actions">
          <button type="button" onClick={() => void verifyAudit()} disabled={audit === 'checking'}>
            Verify the audit log
          </button>
        </div>
        <div aria-live="polite">
          {audit === 'checking' && <p>Checking every entry…</p>}
          {audit !== undefined && audit !== 'checking' && (
            <div class="report-head">
              <StatusIcon tone={audit.ok ? 'good' : 'bad'} label={audit.ok ? 'Intact' : 'Damaged'} />
              <p>
                {audit.ok
                  ? `Intact: all ${audit.entries} entries check out (last #${audit.lastSeq}), ${formatDate(audit.checkedAt)}.`
                  : `Damaged: ${audit.problems.length} problem(s) found in ${audit.entries} entries.`}
              </p>
            </div>
          )}
          {audit !== undefined && audit !== 'checking' && audit.problems.length > 0 && (
            <ul>
              {audit.problems.map((p, i) => (
                <li key={i}>
                  Entry #{p.seq}: {p.message} <small>({p.kind})</small>
                </li>
              ))}
            </ul>
          )}
        </div>
      </section>
    </section>
  );
}
