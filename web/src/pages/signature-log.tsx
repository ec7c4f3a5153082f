/**
 * "Signatures made with your key" (issue 21), on the Account page next to Activity: every
 * signature the transparency log holds for the person (GET /api/v1/me/signatures, newest first)
 * with its time, document and job, client, and whether its inclusion proof verifies against the
 * log's current signed tree head — checked here in the browser (log-proof.ts), not taken from the
 * server's word — and "Download receipt" for each signed document of a job that has one.
 */
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { asApiError, get, type ApiError } from '../api.js';
import { ErrorNote } from '../components/error-note.js';
import { formatDate, plural, safeFileName } from '../format.js';
import {
  entryLeafHash,
  fromBase64,
  logEntryFormat,
  verifyInclusion,
  verifyTreeHead,
  type LogEntry,
  type TreeHead,
} from '../log-proof.js';
import { Link } from '../router.js';

interface SignedDocument {
  readonly jobId: string;
  readonly documentId: string;
  readonly name: string;
  readonly hasReceipt: boolean;
}

interface ServedSignature {
  readonly leafIndex: number | null;
  readonly leafHash: string;
  readonly entry: LogEntry;
  readonly auditPath: readonly string[] | null;
  readonly document: SignedDocument | null;
}

interface SignaturesPage {
  readonly treeHead: TreeHead | null;
  readonly signatures: readonly ServedSignature[];
  readonly nextBefore: number | null;
  readonly format: string;
}

/** What the page concluded about one signature. */
type Proof = 'verified' | 'failed' | 'pending';

interface Row {
  readonly signature: ServedSignature;
  readonly proof: Proof;
}

/** What the page concluded about the tree head the proofs are against. */
type HeadCheck =
  | { readonly state: 'none' }
  | { readonly state: 'verified'; readonly head: TreeHead }
  | { readonly state: 'failed' };

/** Signatures per page. */
const pageSize = 50;

async function checkSignature(
  s: ServedSignature,
  head: TreeHead | null,
  isHeadGood: boolean,
  format: string,
): Promise<Proof> {
  if (s.leafIndex === null || s.auditPath === null || head === null) return 'pending';
  if (!isHeadGood || format !== logEntryFormat) return 'failed';
  const leaf = await entryLeafHash(s.entry);
  return (await verifyInclusion(
    leaf,
    s.leafIndex,
    head.treeSize,
    s.auditPath.map(fromBase64),
    fromBase64(head.rootHash),
  ))
    ? 'verified'
    : 'failed';
}

/** Reads one page and checks it against the log key. */
async function readPage(
  before: number | undefined,
  logKey: () => Promise<Uint8Array<ArrayBuffer>>,
): Promise<{ head: HeadCheck; rows: Row[]; nextBefore: number | null }> {
  const page = await get<SignaturesPage>(
    `/api/v1/me/signatures?limit=${pageSize}${before === undefined ? '' : `&before=${before}`}`,
  );
  let head: HeadCheck = { state: 'none' };
  if (page.treeHead !== null)
    head = (await verifyTreeHead(await logKey(), page.treeHead))
      ? { state: 'verified', head: page.treeHead }
      : { state: 'failed' };
  const rows = await Promise.all(
    page.signatures.map(async (signature) => ({
      signature,
      proof: await checkSignature(signature, page.treeHead, head.state === 'verified', page.format),
    })),
  );
  return { head, rows, nextBefore: page.nextBefore };
}

function ProofCell({ proof }: { readonly proof: Proof }): JSX.Element {
  if (proof === 'verified') return <span>Proof verified</span>;
  if (proof === 'failed')
    return <strong>Proof failed: this signature is not in the log the service signed</strong>;
  return <span>Not in the log yet: it is added at the log's next signed state</span>;
}

function DocumentCell({ document }: { readonly document: SignedDocument | null }): JSX.Element {
  if (document === null)
    return <span class="small">Not from a signing job (a program signed through the API)</span>;
  return (
    <span>
      <strong>{document.name}</strong>{' '}
      <span class="small">
        (<Link href={`/jobs/${document.jobId}`}>signing job</Link>)
      </span>
    </span>
  );
}

/** The section; renders its own heading. */
export function SignatureLog(): JSX.Element {
  const [rows, setRows] = useState<readonly Row[] | undefined>();
  const [head, setHead] = useState<HeadCheck>({ state: 'none' });
  const [olderFrom, setOlderFrom] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | undefined>();
  // The log key is read once per visit: every page's head must verify with the same key.
  const [logKey] = useState(() => {
    let key: Promise<Uint8Array<ArrayBuffer>> | undefined;
    return (): Promise<Uint8Array<ArrayBuffer>> =>
      (key ??= get<{ publicKey: string }>('/api/v1/transparency/key').then((k) =>
        fromBase64(k.publicKey),
      ));
  });

  useEffect(() => {
    readPage(undefined, logKey).then(
      (page) => {
        setHead(page.head);
        setRows(page.rows);
        setOlderFrom(page.nextBefore);
      },
      (err: unknown) => {
        setError(asApiError(err));
        setRows([]);
      },
    );
  }, [logKey]);

  const showOlder = (): void => {
    if (olderFrom === null) return;
    readPage(olderFrom, logKey).then(
      (page) => {
        setRows((current) => [...(current ?? []), ...page.rows]);
        setOlderFrom(page.nextBefore);
      },
      (err: unknown) => setError(asApiError(err)),
    );
  };

  return (
    <section aria-labelledby="signatures-title" class="card">
      <h2 id="signatures-title">Signatures made with your key</h2>
      <p class="help">
        Every signature Signet makes is written to a public, append-only log. This page checks in
        your browser that each of yours is in the log the service signed.
      </p>
      <ErrorNote error={error} />
      {head.state === 'verified' && (
        <p class="small" aria-live="polite">
          Checked against the log's signed state of {formatDate(head.head.timestamp)} (
          {plural(head.head.treeSize, 'signature')} in the log).
        </p>
      )}
      {head.state === 'failed' && (
        <p role="alert">
          The log's signed state does not verify with the log's key: the proofs below cannot be
          trusted. Tell your administrator.
        </p>
      )}
      {rows === undefined && <p>Loading…</p>}
      {rows !== undefined && rows.length === 0 && error === undefined && (
        <p>No signature has been made with your key yet.</p>
      )}
      {rows !== undefined && rows.length > 0 && (
        <div class="table-wrap">
          <table aria-labelledby="signatures-title">
            <thead>
              <tr>
                <th scope="col">Signed</th>
                <th scope="col">Document</th>
                <th scope="col">Client</th>
                <th scope="col">In the log</th>
                <th scope="col">Receipt</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ signature: s, proof }) => (
                <tr key={`${s.leafHash}-${s.entry.sadId}`}>
                  <td data-label="Signed">{formatDate(s.entry.signedAt)}</td>
                  <td data-label="Document">
                    <DocumentCell document={s.document} />
                  </td>
                  <td data-label="Client">{s.entry.clientId}</td>
                  <td data-label="In the log">
                    <ProofCell proof={proof} />
                  </td>
                  <td data-label="Receipt">
                    {s.document?.hasReceipt === true ? (
                      <a
                        href={`/api/v1/jobs/${s.document.jobId}/documents/${s.document.documentId}/receipt`}
                        download={`${safeFileName(s.document.name)}.receipt.json`}
                        aria-label={`Download receipt for ${s.document.name}`}
                      >
                        Download receipt
                      </a>
                    ) : (
                      <span class="small">—</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {olderFrom !== null && (
        <p>
          <button type="button" onClick={showOlder}>
            Show older signatures
          </button>
        </p>
      )}
    </section>
  );
}
