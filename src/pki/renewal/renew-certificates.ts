/**
 * The renewal job: finds certificates within a window before notAfter and re-issues them with
 * the same subject, profile and (by default) key, or a fresh server-side key (rekey). Safe to
 * run on several nodes at once: each renewal is an atomic claim in the CaStore, and the
 * successor is linked in the same atomic step, so two runs issue one certificate, not two.
 */
import { randomUUID } from 'node:crypto';
import type { KeyBackend, KeySpec } from '../../keys/key-backend.js';
import type { CertificateAuthority } from '../ca/certificate-authority.js';
import type { ProfileName } from '../ca/profiles.js';
import { parseCertificate, spkiDer } from '../certificate.js';
import { verifyCsr } from '../enrollment/verify-csr.js';
import { PkiError } from '../errors.js';
import type { CertificateRecord } from '../store/ca-store.js';

/** Inputs of renewCertificates. */
export interface RenewCertificatesOptions {
  readonly ca: CertificateAuthority;
  /** Renew certificates whose notAfter is within this many days from now. */
  readonly withinDays: number;
  /**
   * Profiles the job renews (default: the CA's credential profiles, `signing` and the configured
   * ones — TSA and OCSP-signer certificates are rotated with their service configuration, not by
   * this job). A successor is issued under the same profile as its predecessor.
   */
  readonly profiles?: readonly ProfileName[];
  /** Renew only this serial (manual renewal; the window and profile filter are ignored). */
  readonly serialHex?: string;
  /** Rekey: generate a new key in `backend` (only for certificates with a server-side key). */
  readonly rekey?: { readonly backend: KeyBackend; readonly spec: KeySpec };
  /** Identifies this run in claims; defaults to a random UUID. */
  readonly claimant?: string;
  /** How long a claim holds before another run may take over. Default 10 minutes. */
  readonly claimMs?: number;
}

/** What one run did. */
export interface RenewalReport {
  readonly renewed: readonly { readonly from: string; readonly to: CertificateRecord }[];
  /** Certificates skipped because another run holds or finished their renewal. */
  readonly skipped: readonly string[];
}

/**
 * Runs the renewal job once. A certificate enrolled from a CSR is renewed from that CSR (checked again).
 *
 * @example
 * ```ts
 * const report = await renewCertificates({ ca, withinDays: 30 });
 * ```
 */
export async function renewCertificates(options: RenewCertificatesOptions): Promise<RenewalReport> {
  const { ca } = options;
  const store = ca.store;
  const now = ca.clock.now();
  const claimant = options.claimant ?? randomUUID();
  let candidates: readonly CertificateRecord[];
  if (options.serialHex !== undefined) {
    const one = await store.getCertificate(options.serialHex);
    if (!one || one.issuerId !== ca.id) {
      throw new PkiError('ERR_PKI_CERT_NOT_FOUND', 'no certificate with this serial number from this CA');
    }
    candidates = [one];
  } else {
    const wanted = new Set<ProfileName>(options.profiles ?? [...ca.credentialProfiles.keys()]);
    candidates = (await store.listExpiring(ca.id, new Date(now.getTime() + options.withinDays * 86_400_000))).filter((r) =>
      wanted.has(r.profile),
    );
  }
  const renewed: { from: string; to: CertificateRecord }[] = [];
  const skipped: string[] = [];
  for (const old of candidates) {
    if (options.rekey && old.keyRef === undefined) {
      throw new PkiError('ERR_PKI_RENEWAL_UNSUPPORTED', 'rekey needs a server-generated key; this certificate came from a CSR');
    }
    const until = new Date(now.getTime() + (options.claimMs ?? 600_000));
    if (!(await store.claimRenewal(old.serialHex, claimant, until, now))) {
      skipped.push(old.serialHex);
      continue;
    }
    const oldCert = parseCertificate(old.der);
    // A key held elsewhere (issue 16 §3): the stored CSR is checked again — its proof of
    // possession and today's key policy — and its key certified again.
    let publicKey = old.csr !== undefined ? verifyCsr(old.csr).subjectPublicKey : spkiDer(oldCert);
    let keyRef = old.keyRef;
    if (options.rekey) {
      const fresh = await options.rekey.backend.generateKey(options.rekey.spec);
      publicKey = fresh.publicKey;
      keyRef = fresh.ref;
    }
    const successor = await ca.prepareSuccessor(old, publicKey, keyRef);
    try {
      await store.completeRenewal(old.serialHex, claimant, successor);
      renewed.push({ from: old.serialHex, to: successor });
    } catch (err) {
      if (err instanceof PkiError && err.code === 'ERR_PKI_RENEWAL_CONFLICT') {
        skipped.push(old.serialHex);
        continue;
      }
      throw err;
    }
  }
  return { renewed, skipped };
}
