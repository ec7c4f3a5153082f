/**
 * The external two-phase API for credentials whose key is held by its owner (issue 16 §3, the
 * mode Wultra's signer calls External). Phase one prepares the PDF (ETSI EN 319 142-1) with the
 * credential's chain and answers the DTBS — the DER signed attributes (RFC 5652 §5.4) — and its
 * hash, with the prepared state sealed (AES-256-GCM, bound to user and credential, 15 minutes).
 * Phase two takes the key holder's signature value, checks it against the credential's
 * certificate BEFORE anything is embedded, and answers the signed PDF. Both phases are audited
 * before they answer. The server never holds the key, so no SAD is involved: the holder's own
 * device is the signature activation.
 */
import { createHash } from 'node:crypto';
import { appendAudit, type AuditContext } from '../audit/index.js';
import type { SecretBox } from '../auth/index.js';
import { resolveSignatureAlgorithm, verifySignatureValue, type SignatureAlgorithm } from '../cms/index.js';
import { embedSignature, preparePdf, type PreparedSignature } from '../pades/index.js';
import type { CredentialRow } from '../store/index.js';
import type { CredentialCertificate } from './credential-certificate.js';
import { externalBackendKind } from './credential-enrollment.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';
import { CscError, invalidParameter } from './errors.js';
import {
  asBody,
  decodeBase64,
  optionalString,
  requiredString,
  toBase64,
} from './request-params.js';
import {
  requireBearer,
  requireOwnCredential,
  requireUsableCredential,
  type RequestTrail,
} from './request-scope.js';
import { digestOid } from './sign-algorithm.js';

/** What the external phases need besides the CSC dependencies. */
export interface ExternalSigningDeps extends CscDeps {
  /** Seals the prepared state handed to the client between the phases. */
  readonly secretBox: SecretBox;
}

/** How long the prepared state stays good. */
const stateLifetimeMs = 15 * 60_000;

/** The sealed state between the phases. */
interface SealedState {
  readonly v: 1;
  readonly userId: string;
  readonly credentialId: string;
  readonly expiresAt: number;
  /** SHA-256 of the original document (hex): phase two must send the same bytes. */
  readonly documentSha256: string;
  readonly prepared: PreparedSignature;
}

/** Refuses signHash/signDoc for a credential whose key is held elsewhere (before any SAD is touched). */
export function refuseExternalCredential(row: CredentialRow): void {
  if (row.signing_mode === 'external' || row.backend_kind === externalBackendKind) {
    throw new CscError(
      'ERR_CSC_EXTERNAL_KEY',
      "This credential's key is held by its owner: the server cannot sign with it; sign the DTBS with the key and send the signature value to /api/v1/external-signatures/complete",
    );
  }
}

/** The algorithm an external key signs with: ECDSA or RSASSA-PKCS1-v1_5 with SHA-256 (SHA-384 for P-384, SHA-512 for P-521). */
function algorithmFor(cert: CredentialCertificate): SignatureAlgorithm {
  if (cert.keyType === 'EC')
    return {
      scheme: 'ECDSA',
      digest: cert.curve === 'P-384' ? 'SHA-384' : cert.curve === 'P-521' ? 'SHA-512' : 'SHA-256',
    };
  return { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' };
}

/** Upper bound of the raw signature (RFC 3279 §2.2.3 DER ECDSA-Sig-Value; RSA: the modulus). */
function maxSignatureSize(cert: CredentialCertificate): number {
  return cert.keyType === 'EC' ? 2 * Math.ceil(cert.keyBits / 8) + 9 : Math.ceil(cert.keyBits / 8);
}

const bindingOf = (userId: string, credentialId: string): string =>
  `signet-external-signature:${userId}:${credentialId}`;

async function externalCredential(
  deps: ExternalSigningDeps,
  body: Readonly<Record<string, unknown>>,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<{ userId: string; row: CredentialRow; cert: CredentialCertificate }> {
  const caller = await requireBearer(deps, ctx, trail);
  const row = await requireOwnCredential(
    deps,
    caller,
    requiredString(body, 'credentialID', 255),
    trail,
  );
  if (row.signing_mode !== 'external') {
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      'The credential identified by credentialID signs on the server: use signatures/signHash',
    );
  }
  const cert = await requireUsableCredential(deps, row, { consultCa: true });
  return { userId: caller.info.userId, row, cert };
}

async function audit(
  deps: { readonly store: CscDeps['store']; readonly audit: AuditContext },
  type: string,
  row: CredentialRow,
  ctx: CscRequestContext,
  details: Readonly<Record<string, string>>,
): Promise<void> {
  await deps.store.transaction((trx) =>
    appendAudit(
      trx,
      {
        type,
        outcome: 'success',
        subject: `credential:${row.id}`,
        actorUserId: row.user_id,
        ...(ctx.sourceAddress !== undefined ? { sourceAddress: ctx.sourceAddress } : {}),
        ...(ctx.traceId !== undefined ? { traceId: ctx.traceId } : {}),
        details,
      },
      deps.audit,
    ),
  );
}

/**
 * Phase one: `{credentialID, document (Base64 PDF), reason?, location?}` →
 * `{dtbs, dtbsHash, hashAlgorithmOID, signAlgo, state}`.
 *
 * @example
 * ```ts
 * const { dtbs, state } = await prepareExternalSignature(deps, { credentialID, document }, ctx, {});
 * ```
 */
export async function prepareExternalSignature(
  deps: ExternalSigningDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<Record<string, string>> {
  const body = asBody(rawBody);
  const { userId, row, cert } = await externalCredential(deps, body, ctx, trail);
  const document = decodeBase64(requiredString(body, 'document', 96 * 1024 * 1024), 'document');
  const reason = optionalString(body, 'reason', 256);
  const location = optionalString(body, 'location', 256);
  const algorithm = algorithmFor(cert);
  const prepared = preparePdf(document, {
    certificateChain: cert.chain,
    signatureAlgorithm: algorithm,
    maxSignatureSize: maxSignatureSize(cert),
    signingTime: deps.clock.now(),
    ...(reason !== undefined ? { reason } : {}),
    ...(location !== undefined ? { location } : {}),
  });
  const documentSha256 = createHash('sha256').update(document).digest('hex');
  const state: SealedState = {
    v: 1,
    userId,
    credentialId: row.id,
    expiresAt: deps.clock.now().getTime() + stateLifetimeMs,
    documentSha256,
    prepared,
  };
  const sealed = deps.secretBox.seal(
    new TextEncoder().encode(JSON.stringify(state)),
    bindingOf(userId, row.id),
  );
  await audit(deps, 'signing.external.prepare', row, ctx, {
    documentSha256,
    dtbsHash: prepared.dataToBeSignedDigest,
  });
  return {
    dtbs: prepared.signedAttributes,
    dtbsHash: prepared.dataToBeSignedDigest,
    hashAlgorithmOID: digestOid(algorithm.digest),
    signAlgo: resolveSignatureAlgorithm(algorithm).oid,
    state: toBase64(sealed),
  };
}

/**
 * Phase two: `{credentialID, state, document (the same Base64 PDF), signature (Base64)}` →
 * `{document (Base64 signed PDF)}`. A signature that does not verify with the credential's
 * certificate over the DTBS is ERR_CSC_EXTERNAL_SIGNATURE and nothing is embedded.
 */
export async function completeExternalSignature(
  deps: ExternalSigningDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<Record<string, string>> {
  const body = asBody(rawBody);
  const { userId, row, cert } = await externalCredential(deps, body, ctx, trail);
  let state: SealedState;
  try {
    const opened = deps.secretBox.open(
      decodeBase64(requiredString(body, 'state', 1024 * 1024), 'state'),
      bindingOf(userId, row.id),
    );
    state = JSON.parse(new TextDecoder().decode(opened)) as SealedState;
  } catch (cause) {
    if (cause instanceof CscError) throw cause;
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid parameter state', { cause });
  }
  if (state.v !== 1 || state.userId !== userId || state.credentialId !== row.id)
    throw invalidParameter('state');
  if (deps.clock.now().getTime() > state.expiresAt)
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      'The prepared signature has expired: prepare the document again',
    );
  const document = decodeBase64(requiredString(body, 'document', 96 * 1024 * 1024), 'document');
  if (
    createHash('sha256').update(document).digest('hex') !== state.documentSha256 ||
    document.length !== state.prepared.documentLength
  ) {
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      'Invalid parameter document: not the document that was prepared',
    );
  }
  const signature = decodeBase64(requiredString(body, 'signature', 4096), 'signature');
  const { prepared } = state;
  // The certificate may have been renewed or revoked in between: the prepared chain must still be the credential's.
  if (prepared.certificateChain[0] !== toBase64(cert.chain[0] as Uint8Array)) {
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      "The credential's certificate changed since the document was prepared: prepare it again",
    );
  }
  const dtbs = new Uint8Array(Buffer.from(prepared.signedAttributes, 'base64'));
  // RFC 5652 §5.6: the signature value must verify with the signer's public key over the signed
  // attributes — the whole DTBS is here, so ECDSA is verified too. The one output self-check
  // (cms/verify-signature), as the gateway's.
  if (!verifySignatureValue(cert.publicKey, prepared.signatureAlgorithm, dtbs, signature)) {
    throw new CscError(
      'ERR_CSC_EXTERNAL_SIGNATURE',
      "The signature value does not verify with the credential's certificate over the DTBS",
    );
  }
  const update = embedSignature(prepared, signature);
  const signed = new Uint8Array(document.length + update.length);
  signed.set(document, 0);
  signed.set(update, document.length);
  await audit(deps, 'signing.external.complete', row, ctx, {
    documentSha256: state.documentSha256,
    signedSha256: createHash('sha256').update(signed).digest('hex'),
    serialNumber: cert.serialHex,
  });
  return { document: toBase64(signed) };
}
