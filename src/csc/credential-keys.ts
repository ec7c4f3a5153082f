/**
 * The keys of a credential (issue 16 §2): the credential row's own key first, then its further keys
 * on other tokens (`credential_keys`), each with its certificate (same subject and purpose). Which
 * of them may sign one request is the request's `signet_key` (a Signet extension of signHash,
 * docs/csc.md "Credentials on several tokens"):
 *
 * - absent: the first key, whose chain credentials/info returns in `cert.certificates`, so a
 *   client that bound that certificate into what it signs (CAdES/PAdES signing-certificate-v2,
 *   ETSI EN 319 122-1 §5.2.2.3) gets a signature that verifies with it;
 * - a certificate's `serialNumber` (as credentials/info lists them in `signet_keys`): that key;
 * - `"any"`: the least busy healthy key whose certificate is valid now, and another one if its
 *   token fails mid-request; the answer names the certificate that signed.
 */
import { listCredentialKeys, type CredentialKeyRow, type CredentialRow } from '../store/index.js';
import type { CscDeps } from './csc-deps.js';
import { credentialCertificate, type CredentialCertificate } from './credential-certificate.js';
import { invalidParameter } from './errors.js';
import type { PoolKey } from './key-pool.js';
import { optionalString } from './request-params.js';

/** One key of a credential with its certificate facts. */
export interface CredentialKeyEntry extends PoolKey {
  readonly cert: CredentialCertificate;
}

/** Which keys a request may use. */
export type KeyChoice =
  | { readonly kind: 'first' }
  | { readonly kind: 'any' }
  | { readonly kind: 'certificate'; readonly serialHex: string };

/** Every key of `row`, its own first. */
export async function credentialKeyEntries(
  deps: CscDeps,
  row: CredentialRow,
  /** The further keys read ahead (signHash reads them while the token is checked), else read here. */
  readAhead?: Promise<readonly CredentialKeyRow[]>,
): Promise<CredentialKeyEntry[]> {
  const first: CredentialKeyEntry = {
    backendKind: row.backend_kind,
    keyRef: row.key_ref,
    cert: credentialCertificate(row),
  };
  const further = await (readAhead ?? listCredentialKeys(deps.store.db, row.id));
  return [
    first,
    ...further.map((k) => ({
      backendKind: k.backend_kind,
      keyRef: k.key_ref,
      cert: credentialCertificate(k),
    })),
  ];
}

/** Parses `signet_key`: absent, `any`, or a certificate serial number in hex. */
export function keyChoiceOf(body: Readonly<Record<string, unknown>>): KeyChoice {
  const value = optionalString(body, 'signet_key', 64);
  if (value === undefined) return { kind: 'first' };
  if (value === 'any') return { kind: 'any' };
  if (!/^[0-9A-Fa-f]{1,40}$/.test(value)) throw invalidParameter('signet_key');
  return { kind: 'certificate', serialHex: value.toLowerCase().replace(/^0+(?=.)/, '') };
}

/**
 * The keys a request may use, in the credential's order. `any` keeps the keys whose certificate
 * is valid now (the first one alone when none is: the usual certificate checks then refuse it).
 */
export function candidateKeys(
  entries: readonly CredentialKeyEntry[],
  choice: KeyChoice,
  now: Date,
): CredentialKeyEntry[] {
  const first = entries[0] as CredentialKeyEntry;
  switch (choice.kind) {
    case 'first':
      return [first];
    case 'certificate': {
      const match = entries.find(
        (e) => e.cert.serialHex.replace(/^0+(?=.)/, '') === choice.serialHex,
      );
      if (match === undefined) throw invalidParameter('signet_key');
      return [match];
    }
    case 'any': {
      const t = now.getTime();
      const valid = entries.filter(
        (e) => e.cert.notBefore.getTime() <= t && t <= e.cert.notAfter.getTime(),
      );
      return valid.length === 0 ? [first] : valid;
    }
  }
}
