/**
 * Adding a key to a credential (issue 16 §2, `signet admin credentials add-key`): a new key of the
 * credential's algorithm is generated on another backend (a token server, another token), certified
 * by the built-in CA for the credential's subject with the first certificate's profile and QC
 * statements (RFC 2986 proof of possession, as at creation), and recorded in `credential_keys` in
 * one audited transaction (INV-5). The credential then signs with any of its keys (credential-keys.ts).
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from '../audit/index.js';
import { createCertificationRequest, type KeySpec } from '../keys/index.js';
import { parseCertificate } from '../pki/index.js';
import { findCredential, insertCredentialKey, listCredentialKeys } from '../store/index.js';
import { credentialCertificate, type CredentialCertificate } from './credential-certificate.js';
import type { CredentialLifecycleDeps, LifecycleOrigin } from './credential-lifecycle.js';
import { CscError } from './errors.js';

/** Most keys one credential may hold (its own and the further ones). */
export const maxCredentialKeys = 16;

/** A key to add. */
export interface AddCredentialKeyRequest extends LifecycleOrigin {
  readonly credentialId: string;
  /** Key backend kind (a key of `keyBackends`), e.g. `remote:t2`. */
  readonly backend: string;
}

/** The added key: its id and its certificate's serial number (upper-case hex, as credentials/info). */
export interface AddedCredentialKey {
  readonly keyId: string;
  readonly serialNumber: string;
}

function keySpecOf(cert: CredentialCertificate): KeySpec {
  if (cert.keyType === 'EC' && cert.curve !== undefined) return { type: 'EC', curve: cert.curve };
  if (
    cert.keyType === 'RSA' &&
    (cert.keyBits === 2048 || cert.keyBits === 3072 || cert.keyBits === 4096)
  ) {
    return { type: 'RSA', bits: cert.keyBits };
  }
  throw new CscError(
    'ERR_CSC_INVALID_REQUEST',
    'the credential’s key algorithm cannot be generated again',
  );
}

/**
 * Generates, certifies and records a further key of a credential.
 *
 * @example
 * ```ts
 * const { serialNumber } = await addCredentialKey(deps, { credentialId, backend: 'remote:t2' });
 * ```
 */
export async function addCredentialKey(
  deps: CredentialLifecycleDeps,
  request: AddCredentialKeyRequest,
): Promise<AddedCredentialKey> {
  const row = await findCredential(deps.store.db, request.credentialId);
  if (row === undefined)
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid parameter credentialID');
  if (row.status === 'revoked')
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'a revoked credential cannot take a key');
  // An enrolled credential's key is held by its owner (external mode): a key of the server's own
  // would let the server sign for that person.
  if (row.signing_mode === 'external')
    throw new CscError('ERR_CSC_EXTERNAL_KEY', "this credential's key is held by its owner: the server cannot add a key of its own to it");
  const backend = deps.keyBackends.get(request.backend);
  if (backend === undefined)
    throw new CscError('ERR_CSC_INVALID_REQUEST', `unknown key backend '${request.backend}'`);
  if ((await listCredentialKeys(deps.store.db, row.id)).length + 1 >= maxCredentialKeys) {
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      `a credential holds at most ${maxCredentialKeys} keys`,
    );
  }
  const first = credentialCertificate(row);
  const spec = keySpecOf(first);
  const firstRecord = await deps.ca.store.getCertificate(first.serialHex);
  const keyId = randomUUID();
  const key = await backend.generateKey(spec, `credkey-${keyId}`);
  try {
    // The same subject Name as the first certificate (the same person), so relying parties see one
    // signer with several certificates (docs/csc.md "Credentials on several tokens").
    const subject = parseCertificate(first.chain[0] as Uint8Array).tbsCertificate.subject;
    const csr = await createCertificationRequest(backend, key.ref, { subject });
    const record = await deps.ca.enroll(csr, {
      profile: firstRecord?.profile ?? 'signing',
      ...(firstRecord?.qcStatements === undefined
        ? {}
        : { qcStatements: firstRecord.qcStatements }),
    });
    const chain = [record.der, ...(deps.caChain ?? [deps.ca.certificate])];
    await deps.store.transaction(async (trx) => {
      await insertCredentialKey(trx, {
        id: keyId,
        credentialId: row.id,
        keyRef: key.ref,
        backendKind: request.backend,
        certificateChain: chain,
        certificateSerial: record.serialHex,
        createdAt: deps.clock.now().getTime(),
      });
      await appendAudit(
        trx,
        {
          type: 'credential.key.add',
          outcome: 'success',
          subject: `credential:${row.id}`,
          details: { keyId, backend: request.backend, serialNumber: record.serialHex },
          ...(request.actorUserId === undefined ? {} : { actorUserId: request.actorUserId }),
          ...(request.sourceAddress === undefined ? {} : { sourceAddress: request.sourceAddress }),
          ...(request.traceId === undefined ? {} : { traceId: request.traceId }),
        },
        deps.audit,
      );
    });
    return { keyId, serialNumber: record.serialHex.toUpperCase() };
  } catch (err) {
    // No uncertified or unrecorded key is left behind.
    await backend.destroyKey(key.ref).catch(() => undefined);
    throw err;
  }
}
