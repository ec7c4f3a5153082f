/** The credentials/info object (CSC API v2 §11.5, OpenAPI 2.1 `credentialInfoObject`): key, cert, auth, SCAL, multisign. */
import { findUserById, type CredentialRow } from '../store/index.js';
import { curveOid, credentialCertificate, generalizedTime } from './credential-certificate.js';
import { keyPoolOf } from './credential-key.js';
import { credentialKeyEntries, type CredentialKeyEntry } from './credential-keys.js';
import type { CscDeps } from './csc-deps.js';
import { invalidParameter } from './errors.js';
import { toBase64 } from './request-params.js';
import { certificateStatus } from './request-scope.js';
import { signAlgosFor } from './sign-algorithm.js';

/** CSC `certificates`: how much of the chain to return. */
export type CertificatesChoice = 'none' | 'single' | 'chain';

/** Parses `certificates` (default `single`). */
export function certificatesChoice(value: string | undefined): CertificatesChoice {
  if (value === undefined) return 'single';
  if (value === 'none' || value === 'single' || value === 'chain') return value;
  throw invalidParameter('certificates');
}

/** The authentication factors a credential requires in explicit mode. */
export interface CredentialFactors {
  readonly pin: boolean;
  readonly otp: boolean;
}

/** PIN when the credential has one; OTP when its owner has a confirmed TOTP device. */
export async function credentialFactors(deps: CscDeps, row: CredentialRow): Promise<CredentialFactors> {
  const user = await findUserById(deps.store.db, row.user_id);
  return { pin: row.pin_hash !== null, otp: (user?.totp_secret ?? null) !== null };
}

/** CSC v2 §8.3 authentication objects and their expression. */
export function authObject(factors: CredentialFactors): Record<string, unknown> {
  const objects: Record<string, unknown>[] = [];
  if (factors.pin) objects.push({ type: 'Password', id: 'PIN', format: 'N', label: 'PIN', description: 'The credential PIN' });
  if (factors.otp) {
    objects.push({
      type: 'Password',
      id: 'OTP',
      format: 'N',
      generator: 'totp',
      label: 'OTP',
      description: 'A one-time password from the authenticator app (RFC 6238)',
    });
  }
  return {
    mode: 'explicit',
    expression: objects.map((o) => o['id'] as string).join(' AND '),
    objects,
  };
}

/** Options of the info object. */
export interface InfoOptions {
  readonly certificates: CertificatesChoice;
  readonly certInfo: boolean;
  readonly authInfo: boolean;
}

/** Builds the v2 credential info object (without `credentialID`, which only list adds). */
export async function credentialInfoObject(
  deps: CscDeps,
  row: CredentialRow,
  options: InfoOptions,
): Promise<Record<string, unknown>> {
  const cert = credentialCertificate(row);
  const status = await certificateStatus(deps, row, cert);
  const enabled = row.status === 'active' && row.locked === 0 && status === 'valid';
  const certificates =
    options.certificates === 'none'
      ? undefined
      : (options.certificates === 'single' ? cert.chain.slice(0, 1) : cert.chain).map(toBase64);
  const certObject: Record<string, unknown> = {
    status,
    ...(certificates === undefined ? {} : { certificates }),
    ...(options.certInfo
      ? {
          issuerDN: cert.issuerDN,
          serialNumber: cert.serialHex.toUpperCase(),
          subjectDN: cert.subjectDN,
          validFrom: generalizedTime(cert.notBefore),
          validTo: generalizedTime(cert.notAfter),
        }
      : {}),
  };
  const entries = await credentialKeyEntries(deps, row);
  return {
    key: {
      status: enabled ? 'enabled' : 'disabled',
      algo: signAlgosFor(cert.keyType),
      len: cert.keyBits,
      ...(cert.curve === undefined ? {} : { curve: curveOid(cert.curve) }),
    },
    cert: certObject,
    ...(options.authInfo ? { auth: authObject(await credentialFactors(deps, row)) } : {}),
    SCAL: row.scal === 'SCAL1' ? '1' : '2',
    multisign: row.multisign,
    lang: deps.info.lang,
    ...(entries.length > 1 ? { signet_keys: entries.map((e) => keyListing(deps, e, options)) } : {}),
  };
}

/**
 * One key of a credential on several tokens (issue 16 §2, Signet extension `signet_keys`): its
 * certificate's serial number (what signHash's `signet_key` names), validity, the certificates as
 * `certificates` asks, and whether this node would choose it now (false while its token is in
 * back-off after a failure). `cert.certificates` stays the first key's chain, the one signHash
 * uses when the request names no key.
 */
function keyListing(deps: CscDeps, entry: CredentialKeyEntry, options: InfoOptions): Record<string, unknown> {
  const { cert } = entry;
  const now = deps.clock.now().getTime();
  const current = cert.notBefore.getTime() <= now && now <= cert.notAfter.getTime();
  const certificates =
    options.certificates === 'none'
      ? undefined
      : (options.certificates === 'single' ? cert.chain.slice(0, 1) : cert.chain).map(toBase64);
  return {
    serialNumber: cert.serialHex.toUpperCase(),
    validFrom: generalizedTime(cert.notBefore),
    validTo: generalizedTime(cert.notAfter),
    ...(certificates === undefined ? {} : { certificates }),
    available: current && keyPoolOf(deps).stateOf(entry).available,
  };
}
