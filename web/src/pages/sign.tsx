/**
 * Sign documents (issue 13, journey 2): the file input "Documents" (or drag and drop, up to 500
 * PDFs); a card per file with its name, pages, a thumbnail, "Preview", and "Invisible signature"
 * or "Visible signature" (drawn on a page); "Reason", "Location", "Signature level"; "Sign"
 * creates the job (Contract 4), uploads the files, places the visible signatures, and sends the
 * browser to the authorization server's consent page, which comes back to /jobs/:id. When the
 * signing keys are kept at another signing service (GET /api/v1/provider: foreign), the page first
 * offers "Connect to <provider>", which sends the browser to that service to sign in and grant
 * access; back here, the service's credentials are listed.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, asApiError, get, patch, post, postPdf } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { PageTitle } from '../components/page-title.js';
import { PdfPreview } from '../components/pdf-preview.js';
import { PdfThumbnail } from '../components/pdf-thumbnail.js';
import { SignaturePlacement, type Placement } from '../components/signature-placement.js';
import { formatDate, formatSize, plural } from '../format.js';
import { describeError } from '../messages.js';

/** The most files one job takes (issue 13). */
export const maxFiles = 500;

const levels = ['B-B', 'B-T', 'B-LT', 'B-LTA'] as const;
type Level = (typeof levels)[number];

const levelHelp: Record<Level, string> = {
  'B-B': 'basic signature',
  'B-T': 'with a trusted time-stamp',
  'B-LT': 'with a time-stamp and validation data, checkable for years',
  'B-LTA': 'long-term archival, renewable time-stamps',
};

interface Credential {
  readonly credentialID: string;
  readonly subject: string;
  readonly status: string;
  readonly notAfter: string;
  readonly algorithm?: string;
}

interface Item {
  readonly key: number;
  readonly file: File;
  pages: number | undefined;
  mode: 'invisible' | 'visible';
  placement: Placement | undefined;
}

let nextKey = 1;

async function isPdf(file: File): Promise<boolean> {
  const head = new Uint8Array(await file.slice(0, 1024).arrayBuffer());
  return new TextDecoder('latin1').decode(head).includes('%PDF-');
}

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      await run(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function DocumentCard({ item, onUpdate, onRemove, onPreview }: {
  readonly item: Item;
  readonly onUpdate: (change: Partial<Item>) => void;
  readonly onRemove: () => void;
  readonly onPreview: () => void;
}): JSX.Element {
  const id = `doc-${item.key}`;
  return (
    <li class={item.mode === 'visible' ? 'doc wide' : 'doc'} aria-labelledby={`${id}-name`}>
      <h3 id={`${id}-name`}>{item.file.name}</h3>
      <PdfThumbnail file={item.file} name={item.file.name} onPages={(pages) => onUpdate({ pages })} />
      <p class="small">
        {item.pages === undefined ? 'Pages: …' : plural(item.pages, 'page')} · {formatSize(item.file.size)}
      </p>
      <div class="toolbar">
        <button type="button" onClick={onPreview} aria-label={`Preview ${item.file.name}`}>
          Preview
        </button>
        <button type="button" class="danger" onClick={onRemove} aria-label={`Remove ${item.file.name}`}>
          Remove
        </button>
      </div>
      <fieldset>
        <legend>Signature on {item.file.name}</legend>
        <label class="choice">
          <input type="radio" name={`${id}-mode`} checked={item.mode === 'invisible'} onChange={() => onUpdate({ mode: 'invisible' })} />
          Invisible signature
        </label>
        <label class="choice">
          <input type="radio" name={`${id}-mode`} checked={item.mode === 'visible'} onChange={() => onUpdate({ mode: 'visible' })} />
          Visible signature
        </label>
      </fieldset>
      {item.mode === 'visible' && (
        <SignaturePlacement file={item.file} name={item.file.name} value={item.placement} onChange={(placement) => onUpdate({ placement })} />
      )}
    </li>
  );
}

/** Where the signing keys are (GET /api/v1/provider). */
interface Provider {
  readonly name: string;
  readonly foreign: boolean;
  readonly connected: boolean;
}

/** The "Connect to <provider>" step: the person signs in at the provider and grants access. */
function ConnectProvider({ provider }: { provider: Provider }): JSX.Element {
  const [error, setError] = useState<ApiError | undefined>();
  const [busy, setBusy] = useState(false);
  const connect = async (): Promise<void> => {
    setError(undefined);
    setBusy(true);
    try {
      const { authorizationUrl } = await post<{ authorizationUrl: string }>('/api/v1/provider/connect', {});
      window.location.assign(authorizationUrl);
    } catch (err) {
      setBusy(false);
      setError(describeError(asApiError(err)));
    }
  };
  return (
    <section aria-labelledby="connect-title" class="connect">
      <h2 id="connect-title">Your signing keys are at {provider.name}</h2>
      <p>
        To sign, connect this app to {provider.name}: you sign in there and allow it to show your signing certificates here. Your documents are
        approved there too, one approval per signing job.
      </p>
      <p>
        <button type="button" onClick={() => void connect()} disabled={busy}>
          Connect to {provider.name}
        </button>
      </p>
      <ErrorNote error={error} />
    </section>
  );
}

export function SignPage(): JSX.Element {
  const [provider, setProvider] = useState<Provider | undefined>();
  const [credentials, setCredentials] = useState<readonly Credential[] | undefined>();
  const [credentialID, setCredentialID] = useState('');
  const [items, setItems] = useState<Item[]>([]);
  const [reason, setReason] = useState('');
  const [location, setLocation] = useState('');
  const [level, setLevel] = useState<Level>('B-LT');
  const [dragOver, setDragOver] = useState(false);
  const [preview, setPreview] = useState<Item | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [progress, setProgress] = useState<string | undefined>();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    get<Provider>('/api/v1/provider').then(
      (answer) => {
        setProvider(answer);
        if (answer.foreign && new URLSearchParams(window.location.search).get('connected') === '1' && answer.connected) {
          setNotice(`Connected to ${answer.name}.`);
        }
      },
      (err: unknown) => setError(asApiError(err)),
    );
  }, []);

  useEffect(() => {
    if (provider === undefined || !provider.connected) return;
    get<readonly Credential[] | { credentials: readonly Credential[] }>('/api/v1/me/credentials').then(
      (answer) => {
        const list = Array.isArray(answer) ? answer : (answer as { credentials: readonly Credential[] }).credentials;
        setCredentials(list);
        const usable = list.find((c) => c.status === 'active') ?? list[0];
        if (usable !== undefined) setCredentialID(usable.credentialID);
      },
      (err: unknown) => {
        setCredentials([]);
        setError(describeError(asApiError(err)));
        // The provider no longer takes the connection: offer to connect again.
        if (asApiError(err).code === 'ERR_GATEWAY_PROVIDER_NOT_CONNECTED') setProvider((p) => (p === undefined ? p : { ...p, connected: false }));
      },
    );
  }, [provider?.connected]);

  const addFiles = async (files: readonly File[]): Promise<void> => {
    setError(undefined);
    const accepted: Item[] = [];
    const refused: string[] = [];
    for (const file of files) {
      if (await isPdf(file)) accepted.push({ key: nextKey++, file, pages: undefined, mode: 'invisible', placement: undefined });
      else refused.push(file.name);
    }
    const room = maxFiles - items.length;
    const taken = accepted.slice(0, Math.max(0, room));
    setItems((current) => [...current, ...taken]);
    const parts = [`${plural(taken.length, 'document')} added.`];
    if (refused.length > 0) parts.push(`Not PDF files, left out: ${refused.join(', ')}.`);
    if (accepted.length > taken.length) parts.push(`Only ${maxFiles} documents fit in one job; ${accepted.length - taken.length} left out.`);
    setNotice(parts.join(' '));
  };

  const update = (key: number, change: Partial<Item>): void => {
    setItems((current) => current.map((it) => (it.key === key ? { ...it, ...change } : it)));
  };

  const sign = async (event: Event): Promise<void> => {
    event.preventDefault();
    setError(undefined);
    if (items.length === 0) {
      setError(new ApiError(0, 'no_documents', 'Add at least one PDF to sign.'));
      return;
    }
    const unplaced = items.find((it) => it.mode === 'visible' && it.placement === undefined);
    if (unplaced !== undefined) {
      setError(new ApiError(0, 'placement_missing', `Draw where the visible signature goes on ${unplaced.file.name}, or choose an invisible signature.`));
      return;
    }
    if (credentialID === '') {
      setError(new ApiError(0, 'no_credential', 'You have no signing certificate yet. Ask your administrator for one.'));
      return;
    }
    try {
      setProgress('Preparing the signing job…');
      const { id } = await post<{ id: string }>('/api/v1/jobs', {
        credentialID,
        level,
        ...(reason.trim() !== '' ? { reason: reason.trim() } : {}),
        ...(location.trim() !== '' ? { location: location.trim() } : {}),
      });
      let uploaded = 0;
      await inParallel(items, 4, async (item) => {
        const doc = await postPdf<{ id: string }>(`/api/v1/jobs/${id}/documents?name=${encodeURIComponent(item.file.name)}`, item.file);
        if (item.mode === 'visible' && item.placement !== undefined) {
          await patch(`/api/v1/jobs/${id}/documents/${doc.id}`, { visible: { page: item.placement.page, rect: item.placement.rect } });
        }
        uploaded += 1;
        setProgress(`Uploading ${uploaded} of ${items.length}`);
      });
      setProgress('Opening the approval page…');
      const { authorizationUrl } = await post<{ authorizationUrl: string }>(`/api/v1/jobs/${id}/sign`, {});
      window.location.assign(authorizationUrl);
    } catch (err) {
      setProgress(undefined);
      setError(describeError(asApiError(err)));
    }
  };

  const busy = progress !== undefined;
  const active = credentials?.find((c) => c.credentialID === credentialID);
  if (provider !== undefined && provider.foreign && !provider.connected) {
    return (
      <section aria-labelledby="page-title">
        <PageTitle>Sign documents</PageTitle>
        <ConnectProvider provider={provider} />
      </section>
    );
  }
  return (
    <section aria-labelledby="page-title">
      <PageTitle>Sign documents</PageTitle>
      {provider?.foreign === true && <p class="small">Signing keys at {provider.name}.</p>}
      <form onSubmit={(e) => void sign(e)} noValidate>
        <div
          class={`dropzone${dragOver ? ' over' : ''}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragOver(true);
          }}
          onDragLeave={() => setDragOver(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragOver(false);
            void addFiles([...(e.dataTransfer?.files ?? [])]);
          }}
        >
          <label for="documents">Documents</label>
          <input
            id="documents"
            ref={input}
            type="file"
            multiple
            accept="application/pdf,.pdf"
            aria-describedby="documents-help"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              e.currentTarget.value = '';
              void addFiles(files);
            }}
          />
          <p id="documents-help" class="help">
            Choose PDF files or drop them here, up to {maxFiles} at once.
          </p>
        </div>
        <p aria-live="polite" class="small">{notice}</p>

        {items.length > 0 && (
          <>
            <h2>{plural(items.length, 'document')} to sign</h2>
            <ul class="docs">
              {items.map((item) => (
                <DocumentCard
                  key={item.key}
                  item={item}
                  onUpdate={(change) => update(item.key, change)}
                  onRemove={() => setItems((current) => current.filter((it) => it.key !== item.key))}
                  onPreview={() => setPreview(item)}
                />
              ))}
            </ul>
          </>
        )}

        <h2>How to sign</h2>
        <div class="grid2">
          <div>
            <label for="reason">Reason</label>
            <input id="reason" value={reason} maxLength={200} onInput={(e) => setReason(e.currentTarget.value)} />
          </div>
          <div>
            <label for="location">Location</label>
            <input id="location" value={location} maxLength={200} onInput={(e) => setLocation(e.currentTarget.value)} />
          </div>
          <div>
            <label for="level">Signature level</label>
            <select id="level" value={level} onChange={(e) => setLevel(e.currentTarget.value as Level)} aria-describedby="level-help">
              {levels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
            <p id="level-help" class="help">
              {level}: {levelHelp[level]}.
            </p>
          </div>
          {credentials !== undefined && credentials.length > 1 && (
            <div>
              <label for="credential">Signing certificate</label>
              <select id="credential" value={credentialID} onChange={(e) => setCredentialID(e.currentTarget.value)}>
                {credentials.map((c) => (
                  <option key={c.credentialID} value={c.credentialID}>
                    {c.subject} ({c.status})
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>
        {active !== undefined && (
          <p class="small">
            Signing as {active.subject}; certificate valid until {formatDate(active.notAfter)}.
          </p>
        )}
        {active !== undefined && active.status !== 'active' && (
          <p class="notice">This signing certificate is {active.status}: the service will refuse to sign with it. Ask your administrator for a new one.</p>
        )}
        {credentials !== undefined && credentials.length === 0 && error === undefined && (
          <p class="notice">You have no signing certificate yet. Ask your administrator for one.</p>
        )}
        <ErrorNote error={error} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            Sign
          </button>
          <span aria-live="polite">{progress}</span>
        </div>
        <p class="help">You will approve the signatures on the next page with your passkey or one-time code.</p>
      </form>
      {preview !== undefined && <PdfPreview file={preview.file} name={preview.file.name} onClose={() => setPreview(undefined)} />}
    </section>
  );
}
