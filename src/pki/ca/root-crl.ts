/**
 * The root CA's CRL (RFC 5280 §5): what a validator anchored at the root needs to check the
 * issuing CA (the issuing CA certificate's CRL distribution point names it). The root key signs
 * rarely, so the CRL has a long nextUpdate (§5.1.2.5) and is re-signed by `signet ca crl --root`
 * before that passes; it lives as DER in the CA directory (`root.crl`) and `/pki/ca/root.crl`
 * serves that file as it is.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import type { Clock } from '../../core/clock.js';
import type { CaKey } from '../ca-key.js';
import { buildCrl } from '../crl/build-crl.js';

/** The file name of the root CRL inside a CA directory. */
export const rootCrlFile = 'root.crl';

/** Default validity of a root CRL: a year (an offline root is brought out about once a year). */
export const defaultRootCrlDays = 365;

/** The cRLNumber of a CRL, or undefined when it has none or does not parse. */
function crlNumberOf(der: Uint8Array): bigint | undefined {
  try {
    const ext = AsnConvert.parse(der, CertificateList).tbsCertList.crlExtensions?.find((e) => e.extnID === id_ce_cRLNumber);
    return ext ? BigInt(AsnConvert.parse(ext.extnValue, CRLNumber).value) : undefined;
  } catch {
    return undefined;
  }
}

/** The root CRL of a CA directory as stored, or undefined when there is none. */
export function readRootCrl(dir: string): Uint8Array | undefined {
  const path = join(dir, rootCrlFile);
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
}

/** Inputs of writeRootCrl. */
export interface WriteRootCrlOptions {
  readonly dir: string;
  readonly rootKey: CaKey;
  readonly rootCertificate: Uint8Array;
  readonly clock: Clock;
  /** nextUpdate - thisUpdate in days (default 365). */
  readonly days?: number;
}

/**
 * Signs a fresh root CRL (no entries: Signet's root certifies only its issuing CA, whose
 * revocation means a new hierarchy) with the cRLNumber after the stored one (§5.2.3: strictly
 * increasing) and replaces `root.crl` atomically. Returns the DER.
 *
 * @example
 * ```ts
 * await writeRootCrl({ dir, rootKey, rootCertificate, clock: systemClock });
 * ```
 */
export async function writeRootCrl(options: WriteRootCrlOptions): Promise<Uint8Array> {
  const days = options.days ?? defaultRootCrlDays;
  const previous = readRootCrl(options.dir);
  const last = previous === undefined ? 0n : (crlNumberOf(previous) ?? 0n);
  const now = options.clock.now();
  const der = await buildCrl({
    issuerKey: options.rootKey,
    issuerCertificate: options.rootCertificate,
    entries: [],
    crlNumber: last + 1n,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + days * 86_400_000),
  });
  const tmp = join(options.dir, `${rootCrlFile}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, der);
  renameSync(tmp, join(options.dir, rootCrlFile));
  return der;
}
