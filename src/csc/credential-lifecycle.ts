/**
 * Credential lifecycle (contract 4): create (key generated inside the backend, PKCS#10 proof of
 * possession, certificate from the built-in CA, scrypt PIN hash), disable, enable, revoke (the
 * credential row first — signing stops at once — then the certificate at the CA, RFC 5280 §5.3.1).
 * Every change is audited in the same transaction as the database change (INV-5).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { appendAudit, type AuditContext } from '../audit/index.js';
import type { SecretHasher } from '../auth/index.js';
import { createCertificationRequest, type KeyBackend, type KeySpec } from '../keys/index.js';
import {
  PkiError,
  buildSubject,
  parseRevocationReason,
  type CertificateAuthority,
  type ProfileName,
  type SubjectInput,
} from '../pki/index.js';
import { findCredential, insertCredential, listCredentialKeys, setCredentialStatus, type Store } from '../store/index.js';
import { CscError } from './errors.js';
import { credentialCertificate } from './credential-certificate.js';

/** Key algorithms a credential may be created with. */
export type CredentialAlgorithm = 'RSA-2048' | 'RSA-3072' | 'EC-P256' | 'EC-P384';

const keySpecs: Readonly<Record<CredentialAlgorithm, KeySpec>> = {
  'RSA-2048': { type: 'RSA', bits: 2048 },
  'RSA-3072': { type: 'RSA', bits: 3072 },
  'EC-P256': { type: 'EC', curve: 'P-256' },
  'EC-P384': { type: 'EC', curve: 'P-384' },
};

/** What the lifecycle needs. */
export interface CredentialLifecycleDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly audit: AuditContext;
  readonly hasher: SecretHasher;
  /** Key backends keyed by `credentials.backend_kind`. */
  readonly keyBackends: ReadonlyMap<string, KeyBackend>;
  readonly ca: CertificateAuthority;
  /** CA certificates appended after the leaf (issuing CA, then root); default: the issuing CA only. */
  readonly caChain?: readonly Uint8Array[];
}

/** Who asked, for the audit entry. */
export interface LifecycleOrigin {
  readonly actorUserId?: string;
  readonly sourceAddress?: string;
  readonly traceId?: string;
}

/** A new credential. */
export interface CreateCredentialRequest extends LifecycleOrigin {
  readonly userId: string;
  /** Key backend kind (a key of `keyBackends`). */
  readonly backend: string;
  readonly algorithm: CredentialAlgorithm;
  /** The credential PIN (stored as a scrypt hash only). */
  readonly pin?: string;
  /** Subject data; `commonName` alone is enough. */
  readonly subject: SubjectInput;
  /** Certificate profile (default `signing`; the configured ones, docs/certificate-profiles.md). */
  readonly profile?: ProfileName;
  /** Signatures per authorization (CSC `multisign`, default 100). */
  readonly multisign?: number;
}

/** The credential profile named (default `signing`); one the CA does not know is ERR_PKI_PROFILE_UNKNOWN before any key is made. */
export function requireCredentialProfile(ca: CertificateAuthority, name: string | undefined): string {
  const profile = name ?? 'signing';
  if (!ca.credentialProfiles.has(profile)) {
    throw new PkiError('ERR_PKI_PROFILE_UNKNOWN', `unknown certificate profile '${profile}' (the profiles are ${[...ca.credentialProfiles.keys()].join(', ')})`);
  }
  return profile;
}

/** The audit entry's origin fields. */
export function originFields(o: LifecycleOrigin): Record<string, string> {
  return {
    ...(o.actorUserId === undefined ? {} : { actorUserId: o.actorUserId }),
    ...(o.sourceAddress === undefined ? {} : { sourceAddress: o.sourceAddress }),
    ...(o.traceId === undefined ? {} : { traceId: o.traceId }),
  };
}

/**
 * Creates a credential: key on the backend, CSR, certificate, row with chain and PIN hash.
 *
 * @example
 * ```ts
 * const { credentialID } = await createCredential(deps, {
 *   userId, backend: 'software', algorithm: 'EC-P256', pin: '123456', subject: { commonName: 'Alice' },
 * });
 * ```
 */
export async function createCredential(
  deps: CredentialLifecycleDeps,
  request: CreateCredentialRequest,
): Promise<{ readonly credentialID: string }> {
  const backend = deps.keyBackends.get(request.backend);
  if (backend === undefined) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', `unknown key backend '${request.backend}'`);
  }
  const spec = keySpecs[request.algorithm];
  if ((spec as KeySpec | undefined) === undefined) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', `unsupported key algorithm '${request.algorithm}'`);
  }
  const multisign = request.multisign ?? 100;
  if (!Number.isSafeInteger(multisign) || multisign < 1 || multisign > 1000) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'multisign must be between 1 and 1000');
  }
  const profile = requireCredentialProfile(deps.ca, request.profile);
  const id = randomUUID();
  const key = await backend.generateKey(spec, `cred-${id}`);
  try {
    const csr = await createCertificationRequest(backend, key.ref, { subject: buildSubject(request.subject) });
    const record = await deps.ca.enroll(csr, { profile, subject: request.subject });
    const chain = [record.der, ...(deps.caChain ?? [deps.ca.certificate])];
    const pinHash = request.pin === undefined ? null : await deps.hasher.hash(request.pin);
    await deps.store.transaction(async (trx) => {
      await insertCredential(trx, {
        id,
        userId: request.userId,
        keyRef: key.ref,
        backendKind: request.backend,
        certificateChain: chain,
        pinHash,
        multisign,
        scal: 'SCAL2',
        createdAt: deps.clock.now().getTime(),
        certificateSerial: record.serialHex,
        profile,
      });
      await appendAudit(
        trx,
        {
          type: 'credential.create',
          outcome: 'success',
          subject: `credential:${id}`,
          details: {
            user: request.userId,
            backend: request.backend,
            algorithm: request.algorithm,
            profile,
            serialNumber: record.serialHex,
            hasPin: pinHash !== null,
          },
          ...originFields(request),
        },
        deps.audit,
      );
    });
    return { credentialID: id };
  } catch (err) {
    // No uncertified or unrecorded key is left behind.
    await backend.destroyKey(key.ref).catch(() => undefined);
    throw err;
  }
}

async function changeStatus(
  deps: Pick<CredentialLifecycleDeps, 'store' | 'audit'>,
  credentialId: string,
  status: 'active' | 'disabled' | 'revoked',
  type: string,
  origin: LifecycleOrigin,
  details: Readonly<Record<string, string>> = {},
): Promise<void> {
  await deps.store.transaction(async (trx) => {
    const row = await findCredential(trx, credentialId);
    if (row === undefined) throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid parameter credentialID');
    if (row.status === 'revoked' && status !== 'revoked') {
      throw new CscError('ERR_CSC_INVALID_REQUEST', 'a revoked credential cannot change state');
    }
    await setCredentialStatus(trx, credentialId, status);
    await appendAudit(
      trx,
      { type, outcome: 'success', subject: `credential:${credentialId}`, details, ...originFields(origin) },
      deps.audit,
    );
  });
}

/** Disables a credential: authorize and sign are refused at once (docs/security.md SAD-16). Audited. */
export async function disableCredential(
  deps: Pick<CredentialLifecycleDeps, 'store' | 'audit'>,
  request: { readonly credentialId: string } & LifecycleOrigin,
): Promise<void> {
  await changeStatus(deps, request.credentialId, 'disabled', 'credential.disable', request);
}

/** Re-enables a disabled (never a revoked) credential. Audited. */
export async function enableCredential(
  deps: Pick<CredentialLifecycleDeps, 'store' | 'audit'>,
  request: { readonly credentialId: string } & LifecycleOrigin,
): Promise<void> {
  await changeStatus(deps, request.credentialId, 'active', 'credential.enable', request);
}

/**
 * Revokes a credential and its certificate. The credential row is marked revoked first (signing
 * stops at once, even if the CA step fails), then the CA records the revocation for OCSP/CRL.
 * `reason` is an RFC 5280 §5.3.1 reason name (default `unspecified`).
 */
export async function revokeCredential(
  deps: Pick<CredentialLifecycleDeps, 'store' | 'audit' | 'ca'>,
  request: { readonly credentialId: string; readonly reason?: string } & LifecycleOrigin,
): Promise<void> {
  const reason = parseRevocationReason(request.reason ?? 'unspecified');
  const row = await findCredential(deps.store.db, request.credentialId);
  if (row === undefined) throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid parameter credentialID');
  const serial = credentialCertificate(row).serialHex;
  await changeStatus(deps, request.credentialId, 'revoked', 'credential.revoke', request, {
    reason,
    serialNumber: serial,
  });
  // The credential's further keys (issue 16 §2) have certificates of their own: all go together.
  const further = (await listCredentialKeys(deps.store.db, request.credentialId)).map((k) => k.certificate_serial);
  for (const s of [serial, ...further]) {
    const record = await deps.ca.store.getCertificate(s);
    if (record !== undefined && record.revocation === undefined) await deps.ca.revoke(s, reason);
  }
}
