/**
 * Documents at consent (docs/decisions/0001 contract 3): a client pushes each prepared PDF with
 * the signed attributes it will have signed; the AS checks them, computes the DTBS/R hash itself
 * (RFC 5652 §5.4) and keeps the bytes sealed (AES-256-GCM, NIST SP 800-38D, associated data naming
 * the reference) until the authorization request that takes them ends. An authorization request
 * lists `document_refs` in the order of its hashes; every ref must be the client's, unexpired,
 * unbound, and its computed hash must equal the hash at its position (docs/security.md SAD-03), so the
 * person sees exactly the documents whose hashes the SAD will carry.
 */
import { appendAudit, appendFailureAudit } from '../../audit/index.js';
import {
  bindConsentDocument,
  findConsentDocuments,
  findOAuthInteraction,
  insertConsentDocument,
  type ConsentDocumentRow,
  type Db,
} from '../../store/index.js';
import { AuthError } from '../errors.js';
import type { SecretBox } from '../secret-box.js';
import { generateOpaqueToken, hashOpaqueToken } from '../opaque-token.js';
import { ref } from './audit-details.js';
import { authenticateClient, origin } from './client-authentication.js';
import { OAuth2Error } from './errors.js';
import { single } from './params.js';
import type { TokenRequest } from './token-endpoint.js';
import type { AuthorizationRequest, ConsentDocument, CredentialAuthorization, OAuth2Deps } from './types.js';

/** One pre-signing finding, as the inspector reports it (plain words, stable code). */
export interface DocumentFinding {
  readonly code: string;
  readonly message: string;
  readonly blocksSigning: boolean;
}

/** What the inspector learnt from a prepared document. */
export type DocumentInspection =
  | {
      readonly kind: 'ok';
      /** The DTBS/R digest of the signed attributes. */
      readonly hash: Uint8Array;
      readonly pages: number;
      readonly fieldName: string;
      readonly placement?: { readonly page: number; readonly rect: readonly [number, number, number, number] };
      readonly findings: readonly DocumentFinding[];
    }
  | {
      readonly kind: 'refused';
      readonly code: 'ERR_OAUTH2_DOCUMENT_MALFORMED' | 'ERR_OAUTH2_DOCUMENT_LIMIT' | 'ERR_OAUTH2_DOCUMENT_MISMATCH';
      readonly message: string;
    };

/**
 * Checks a prepared PDF (the PDF and validation libraries, wired by server/): ByteRange, the
 * message-digest, the DTBS/R hash, and the findings; bounded in time and memory.
 */
export interface ConsentDocumentInspector {
  inspect(input: {
    readonly pdf: Uint8Array;
    readonly signedAttributes: Uint8Array;
    readonly hashAlgorithmOid: string;
  }): Promise<DocumentInspection>;
  /** Stops what the inspector runs (its worker threads), when the server closes. */
  close?(): Promise<void>;
}

/** How the AS keeps documents (server/ wires the inspector and the box). */
export interface ConsentDocumentsConfig {
  readonly inspector: ConsentDocumentInspector;
  readonly secretBox: SecretBox;
  /** Largest accepted PDF (default 20 MiB, `SIGNET_CONSENT_DOCUMENT_MAX_BYTES`). */
  readonly maxBytes?: number;
  /** How long an unused reference lives (default 1800 s). */
  readonly ttlSeconds?: number;
}

/** 201 response of POST /oauth2/documents. */
export interface ConsentDocumentResponse {
  readonly document_ref: string;
  /** Standard base64 DTBS/R hash, as it goes into `hashes` / documentDigests. */
  readonly hash: string;
  readonly pages: number;
  readonly expires_in: number;
}

/** Default size limit (docs/decisions/0001 contract 3). */
export const defaultConsentDocumentMaxBytes = 20 * 1024 * 1024;
const MAX_NAME = 200;
const MAX_REFS = 1000;

/**
 * The associated data that binds a sealed document to its reference, its client and the hash the
 * AS computed from it: bytes moved to another row, or a hash changed in the database, fail to open
 * (AES-GCM authenticates the associated data, NIST SP 800-38D §7.2).
 */
export function consentDocumentAad(row: { readonly ref_hash: Uint8Array; readonly client_id: string; readonly hash: string }): string {
  return `consent-document:${Buffer.from(row.ref_hash).toString('hex')}:${row.client_id}:${row.hash}`;
}

/**
 * Opens a stored document; undefined when its seal does not verify (the bytes, their reference or
 * their hash were changed after upload).
 */
export function openConsentDocument(config: ConsentDocumentsConfig, row: ConsentDocumentRow): Uint8Array | undefined {
  try {
    return config.secretBox.open(row.sealed, consentDocumentAad(row));
  } catch (err) {
    if (err instanceof AuthError) return undefined;
    throw err;
  }
}

function invalid(message: string): OAuth2Error {
  return new OAuth2Error('ERR_OAUTH2_INVALID_REQUEST', message);
}

function base64Field(value: string | undefined, what: string, maxBytes: number): Uint8Array {
  if (value === undefined || value === '') throw invalid(`${what} is missing`);
  if (value.length > Math.ceil(maxBytes / 3) * 4 + 4) {
    throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_TOO_LARGE', `${what} is larger than ${maxBytes} bytes`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw invalid(`${what} must be base64`);
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length > maxBytes) {
    throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_TOO_LARGE', `${what} is larger than ${maxBytes} bytes`);
  }
  return new Uint8Array(bytes);
}

/** A file name safe to show and to use in a download (no path, no control characters). */
function cleanName(raw: string | undefined): string {
  if (raw === undefined) throw invalid('name is missing');
  const base = raw.split(/[/\\]/).pop() ?? '';
  const name = [...base].filter((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f).join('').trim();
  if (name === '' || name.length > MAX_NAME) throw invalid(`name must be 1 to ${MAX_NAME} characters`);
  return name;
}

/** One document of an upload, checked and decoded. */
interface DocumentFields {
  readonly name: string;
  readonly hashAlgorithmOid: string;
  readonly pdf: Uint8Array;
  readonly signedAttributes: Uint8Array;
}

/** Reads and checks one document's fields (`p` reads a field); throws OAuth2Error. */
function documentFields(p: (n: string) => string | undefined, maxBytes: number): DocumentFields {
  const name = cleanName(p('name'));
  const hashAlgorithmOid = p('hashAlgorithmOID') ?? '';
  if (!/^[0-9]+(\.[0-9]+){2,30}$/.test(hashAlgorithmOid)) throw invalid('hashAlgorithmOID is missing or malformed');
  const pdf = base64Field(p('document'), 'document', maxBytes);
  const signedAttributes = base64Field(p('signedAttributes'), 'signedAttributes', 64 * 1024);
  return { name, hashAlgorithmOid, pdf, signedAttributes };
}

/** An inspected document ready to be stored. */
interface InspectedDocument {
  readonly fields: DocumentFields;
  readonly inspection: Extract<DocumentInspection, { kind: 'ok' }>;
  readonly token: ReturnType<typeof generateOpaqueToken>;
  readonly hash: string;
}

/** Stores inspected documents sealed, each with its `oauth2.document` audit entry, in one transaction. */
async function storeDocuments(
  deps: OAuth2Deps,
  config: ConsentDocumentsConfig,
  clientId: string,
  who: Record<string, unknown>,
  docs: readonly InspectedDocument[],
  ttl: number,
): Promise<void> {
  const now = deps.clock.now().getTime();
  await deps.store.transaction(async (trx) => {
    for (const { fields, inspection, token, hash } of docs) {
      const details = {
        fieldName: inspection.fieldName,
        ...(inspection.placement === undefined ? {} : { placement: inspection.placement }),
        findings: inspection.findings,
      };
      await insertConsentDocument(trx, {
        ref_hash: token.hash,
        client_id: clientId,
        name: fields.name,
        sealed: config.secretBox.seal(fields.pdf, consentDocumentAad({ ref_hash: token.hash, client_id: clientId, hash })),
        hash,
        hash_algorithm_oid: fields.hashAlgorithmOid,
        pages: inspection.pages,
        size: fields.pdf.length,
        details: JSON.stringify(details),
        request_id: null,
        expires_at: now + ttl * 1000,
        created_at: now,
      });
      await appendAudit(
        trx,
        {
          type: 'oauth2.document',
          outcome: 'success',
          ...who,
          details: {
            documentRef: ref(token.hash),
            hash,
            hashAlgorithmOID: fields.hashAlgorithmOid,
            pages: inspection.pages,
            size: fields.pdf.length,
            findings: inspection.findings.map((f) => f.code),
          },
        },
        deps.audit,
      );
    }
  });
}

/** POST /oauth2/documents: client authentication, checks, sealed storage, audit. */
export async function uploadConsentDocument(
  deps: OAuth2Deps,
  config: ConsentDocumentsConfig,
  request: TokenRequest,
): Promise<ConsentDocumentResponse> {
  const { client } = await authenticateClient(deps, request);
  const maxBytes = config.maxBytes ?? defaultConsentDocumentMaxBytes;
  const ttl = config.ttlSeconds ?? 1800;
  const who = { actorClientId: client.id, ...origin(request) };
  const refuse = async (err: OAuth2Error): Promise<never> => {
    await appendFailureAudit(
      deps.store,
      { type: 'oauth2.document', outcome: 'failure', ...who, details: { error: err.code, reason: err.message } },
      deps.audit,
    );
    throw err;
  };
  let fields: DocumentFields;
  try {
    fields = documentFields((n) => single(request.params, n), maxBytes);
  } catch (err) {
    if (err instanceof OAuth2Error) return refuse(err);
    throw err;
  }
  const inspection = await config.inspector.inspect({ pdf: fields.pdf, signedAttributes: fields.signedAttributes, hashAlgorithmOid: fields.hashAlgorithmOid });
  if (inspection.kind === 'refused') return refuse(new OAuth2Error(inspection.code, inspection.message));
  const token = generateOpaqueToken();
  const hash = Buffer.from(inspection.hash).toString('base64');
  await storeDocuments(deps, config, client.id, who, [{ fields, inspection, token, hash }], ttl);
  return { document_ref: token.token, hash, pages: inspection.pages, expires_in: ttl };
}

/** Most documents in one batch push. */
export const maxBatchDocuments = 50;

/** One outcome of a batch push: the document's reference, or why it was refused. */
export type ConsentDocumentBatchItem = ConsentDocumentResponse | { readonly error: string; readonly error_description: string };

/**
 * POST /oauth2/documents/batch: up to 50 documents whose PDFs together stay within the
 * single-document limit, under ONE client authentication (one KDF instead of one per document);
 * each is checked and inspected on its own (concurrently, in the inspector's worker pool) and
 * answered in order with its reference or its refusal, so one bad document does not cost the
 * others. The accepted ones are stored and audited in one transaction.
 */
export async function uploadConsentDocuments(
  deps: OAuth2Deps,
  config: ConsentDocumentsConfig,
  request: TokenRequest,
  documents: unknown,
): Promise<{ readonly documents: readonly ConsentDocumentBatchItem[] }> {
  const { client } = await authenticateClient(deps, request);
  const maxBytes = config.maxBytes ?? defaultConsentDocumentMaxBytes;
  const ttl = config.ttlSeconds ?? 1800;
  const who = { actorClientId: client.id, ...origin(request) };
  const refuseAll = async (err: OAuth2Error): Promise<never> => {
    await appendFailureAudit(deps.store, { type: 'oauth2.document', outcome: 'failure', ...who, details: { error: err.code, reason: err.message } }, deps.audit);
    throw err;
  };
  if (!Array.isArray(documents) || documents.length === 0 || documents.length > maxBatchDocuments) {
    return refuseAll(invalid(`documents must list 1 to ${maxBatchDocuments} documents`));
  }
  const parsed: (DocumentFields | OAuth2Error)[] = [];
  let total = 0;
  for (const item of documents as unknown[]) {
    const fields = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : {};
    try {
      const f = documentFields((n) => (typeof fields[n] === 'string' ? (fields[n] as string) : undefined), maxBytes);
      total += f.pdf.length;
      parsed.push(f);
    } catch (err) {
      if (!(err instanceof OAuth2Error)) throw err;
      parsed.push(err);
    }
  }
  if (total > maxBytes) return refuseAll(new OAuth2Error('ERR_OAUTH2_DOCUMENT_TOO_LARGE', `the documents of one batch are larger than ${maxBytes} bytes together`));
  const outcomes = await Promise.all(
    parsed.map(async (f): Promise<InspectedDocument | OAuth2Error> => {
      if (f instanceof OAuth2Error) return f;
      const inspection = await config.inspector.inspect({ pdf: f.pdf, signedAttributes: f.signedAttributes, hashAlgorithmOid: f.hashAlgorithmOid });
      if (inspection.kind === 'refused') return new OAuth2Error(inspection.code, inspection.message);
      return { fields: f, inspection, token: generateOpaqueToken(), hash: Buffer.from(inspection.hash).toString('base64') };
    }),
  );
  const accepted = outcomes.filter((o): o is InspectedDocument => !(o instanceof OAuth2Error));
  if (accepted.length > 0) await storeDocuments(deps, config, client.id, who, accepted, ttl);
  const refused = outcomes.filter((o): o is OAuth2Error => o instanceof OAuth2Error);
  if (refused.length > 0) {
    await appendFailureAudit(deps.store, { type: 'oauth2.document', outcome: 'failure', ...who, details: { error: refused[0]?.code ?? '', reason: refused[0]?.message ?? '', refused: refused.length } }, deps.audit);
  }
  return {
    documents: outcomes.map((o) =>
      o instanceof OAuth2Error
        ? { error: o.error, error_description: o.message }
        : { document_ref: o.token.token, hash: o.hash, pages: o.inspection.pages, expires_in: ttl },
    ),
  };
}

/**
 * Reads `document_refs` of an authorization request and checks each ref against the hash at its
 * position (same count, same order, same algorithm, the client's own, unexpired, unbound).
 * Returns undefined when the request carries no documents.
 */
export async function resolveDocumentRefs(
  deps: Pick<OAuth2Deps, 'store' | 'clock'>,
  raw: string | undefined,
  clientId: string,
  credential: CredentialAuthorization | undefined,
): Promise<readonly ConsentDocument[] | undefined> {
  if (raw === undefined) return undefined;
  if (credential === undefined) throw invalid('document_refs need scope=credential with hashes');
  const refs = raw.split(',');
  if (refs.length > MAX_REFS || refs.some((r) => !/^[A-Za-z0-9_-]{20,100}$/.test(r))) {
    throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', 'document_refs must be document references separated by commas');
  }
  if (new Set(refs).size !== refs.length) throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', 'a document reference is listed twice');
  // SAD-03: one document per hash, in the order of the hashes.
  if (refs.length !== credential.documentDigests.length) {
    throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', 'document_refs must list one document per hash, in the order of hashes');
  }
  const hashes = refs.map(hashOpaqueToken);
  const rows = await findConsentDocuments(deps.store.db, hashes);
  const now = deps.clock.now().getTime();
  return hashes.map((h, i): ConsentDocument => {
    const hex = Buffer.from(h).toString('hex');
    const row = rows.find((r) => Buffer.from(r.ref_hash).toString('hex') === hex);
    if (row === undefined || row.client_id !== clientId || row.expires_at <= now || row.request_id !== null) {
      throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', `document_refs[${i}] is unknown, expired, already used or another client's`);
    }
    if (row.hash_algorithm_oid !== credential.hashAlgorithmOid || row.hash !== credential.documentDigests[i]?.hash) {
      throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', `the hash at position ${i} is not the hash of document_refs[${i}]`);
    }
    return { refHash: hex, name: row.name, pages: row.pages, hash: row.hash };
  });
}

/**
 * Binds the request's documents to it inside the caller's transaction (single use: a reference
 * another request took in the meantime makes the whole request fail and roll back).
 */
export async function bindRequestDocuments(trx: Db, r: AuthorizationRequest, now: number): Promise<void> {
  if (r.documents === undefined || r.requestId === undefined) return;
  for (const d of r.documents) {
    if (!(await bindConsentDocument(trx, Buffer.from(d.refHash, 'hex'), r.clientId, r.requestId, now))) {
      throw new OAuth2Error('ERR_OAUTH2_DOCUMENT_REF', 'a document reference was taken by another request or expired');
    }
  }
}

/** The stored rows of a request's documents, in the request's order (missing ones are skipped). */
export async function requestDocumentRows(
  deps: Pick<OAuth2Deps, 'store'>,
  r: AuthorizationRequest,
): Promise<ConsentDocumentRow[]> {
  if (r.documents === undefined || r.requestId === undefined) return [];
  const rows = await findConsentDocuments(
    deps.store.db,
    r.documents.map((d) => Buffer.from(d.refHash, 'hex')),
  );
  return r.documents.flatMap((d) => {
    const row = rows.find((x) => Buffer.from(x.ref_hash).toString('hex') === d.refHash && x.request_id === r.requestId);
    return row === undefined ? [] : [row];
  });
}

/** The findings stored with a document. */
export function documentFindings(row: ConsentDocumentRow): readonly DocumentFinding[] {
  try {
    const d = JSON.parse(row.details) as { findings?: DocumentFinding[] };
    return Array.isArray(d.findings) ? d.findings : [];
  } catch {
    return [];
  }
}

/** The stored placement and field of a document. */
export function documentPlacement(row: ConsentDocumentRow): {
  fieldName?: string;
  placement?: { page: number; rect: readonly [number, number, number, number] };
} {
  try {
    return JSON.parse(row.details) as { fieldName?: string; placement?: { page: number; rect: [number, number, number, number] } };
  } catch {
    return {};
  }
}

/** The bytes of a document as the consent page fetches them. */
export interface ConsentDocumentBytes {
  readonly name: string;
  readonly pdf: Uint8Array;
}

/**
 * GET /oauth2/documents/:index: only the browser holding the consent-stage interaction cookie of
 * the request reads its documents (the very bytes whose hash is approved). Undefined otherwise.
 */
export async function readConsentDocument(
  deps: Pick<OAuth2Deps, 'store' | 'clock'>,
  config: ConsentDocumentsConfig,
  sessionToken: string | undefined,
  index: number,
): Promise<ConsentDocumentBytes | undefined> {
  if (sessionToken === undefined || sessionToken.length > 100 || !Number.isSafeInteger(index) || index < 0) return undefined;
  const row = await findOAuthInteraction(deps.store.db, hashOpaqueToken(sessionToken), 'consent', deps.clock.now().getTime());
  if (row === undefined) return undefined;
  const r = JSON.parse(row.request) as AuthorizationRequest;
  const wanted = r.documents?.[index];
  if (wanted === undefined) return undefined;
  const [doc] = (await requestDocumentRows(deps, r)).filter((d) => Buffer.from(d.ref_hash).toString('hex') === wanted.refHash);
  if (doc === undefined) return undefined;
  // The AAD names the reference and the hash: swapped bytes or a changed hash fail here.
  const pdf = openConsentDocument(config, doc);
  return pdf === undefined ? undefined : { name: doc.name, pdf };
}
