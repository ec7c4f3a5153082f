/**
 * Enrollment of a key held elsewhere (a device, an external HSM): the PKCS#10 request's proof of
 * possession and key policy are checked (RFC 2986 §3, pki/enrollment/verify-csr.ts), the built-in
 * CA issues the certificate under the chosen profile and keeps the request for renewal, and the
 * credential is recorded in `external` signing mode — the server holds no key for it, so signHash
 * refuses it and the key holder signs the DTBS/R through the external two-phase API
 * (external-signing.ts). Audited with the credential row (INV-5).
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendAudit } from '../audit/index.js';
import { subjectFromName, verifyCsr, type SubjectInput } from '../pki/index.js';
import { insertCredential } from '../store/index.js';
import { CscError } from './errors.js';
import {
  originFields,
  requireCredentialProfile,
  type CredentialLifecycleDeps,
  type LifecycleOrigin,
} from './credential-lifecycle.js';

/** The key backend kind and signing mode of a credential whose key is held by its owner. */
export const externalBackendKind = 'external';

/** An enrollment request. */
export interface EnrollCredentialRequest extends LifecycleOrigin {
  readonly userId: string;
  /** PKCS#10 CertificationRequest, PEM or DER. */
  readonly csr: string | Uint8Array;
  /** Certificate profile (default `signing`). */
  readonly profile?: string;
  /** Subject attributes that replace or add to the CSR's (the profile decides what is required). */
  readonly subject?: Partial<SubjectInput>;
  readonly pin?: string;
  readonly multisign?: number;
}

/**
 * Enrolls a CSR: a bad signature is ERR_PKI_CSR_BAD_POP, a weak key ERR_PKI_WEAK_KEY, a subject
 * the profile refuses ERR_PKI_SUBJECT_INVALID; nothing is stored then.
 *
 * @example
 * ```ts
 * const { credentialID, serialNumber } = await enrollCredential(deps, { userId, csr: pem, profile: 'qualified-esign' });
 * ```
 */
export async function enrollCredential(
  deps: CredentialLifecycleDeps,
  request: EnrollCredentialRequest,
): Promise<{ readonly credentialID: string; readonly serialNumber: string }> {
  const profile = requireCredentialProfile(deps.ca, request.profile);
  const multisign = request.multisign ?? 100;
  if (!Number.isSafeInteger(multisign) || multisign < 1 || multisign > 1000) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'multisign must be between 1 and 1000');
  }
  const verified = verifyCsr(request.csr);
  const subject: SubjectInput = { ...subjectFromName(verified.subject), ...request.subject };
  const record = await deps.ca.enroll(verified.der, { profile, subject, keepCsr: true });
  const id = randomUUID();
  const chain = [record.der, ...(deps.caChain ?? [deps.ca.certificate])];
  const pinHash = request.pin === undefined ? null : await deps.hasher.hash(request.pin);
  await deps.store.transaction(async (trx) => {
    await insertCredential(trx, {
      id,
      userId: request.userId,
      // No key here: the reference names the certified public key (SHA-256 of its SubjectPublicKeyInfo).
      keyRef: `external:${record.spkiSha256}`,
      backendKind: externalBackendKind,
      certificateChain: chain,
      pinHash,
      multisign,
      scal: 'SCAL2',
      createdAt: deps.clock.now().getTime(),
      certificateSerial: record.serialHex,
      profile,
      signingMode: 'external',
    });
    await appendAudit(
      trx,
      {
        type: 'credential.enroll',
        outcome: 'success',
        subject: `credential:${id}`,
        details: {
          user: request.userId,
          profile,
          serialNumber: record.serialHex,
          keyType: verified.key.keyType,
          csrSha256: createHash('sha256').update(verified.der).digest('hex'),
          hasPin: pinHash !== null,
        },
        ...originFields(request),
      },
      deps.audit,
    );
  });
  return { credentialID: id, serialNumber: record.serialHex };
}
