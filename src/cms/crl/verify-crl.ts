/**
 * CRL verification (RFC 5280 §5, §6.3.3): the CRL is accepted only when it parses within limits,
 * was issued and signed by the given issuer (§6.3.3 (f)-(g)) and is not stale (nextUpdate passed).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, CRLNumber, CRLReason, id_ce_cRLNumber, id_ce_cRLReasons } from '@peculiar/asn1-x509';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import type { Clock } from '../../core/clock.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../x509-algorithm.js';
import { nameDer, parseCertificate, pemToDer, serialToHex, spkiDer } from '../certificate.js';
import { PkiError } from '../pki-errors.js';
import { revocationReasonFromCode, type RevocationReason } from '../revocation-reason.js';

/** A verified CRL. */
export interface CrlResult {
  /** The CRL DER (what goes into a DSS /CRLs entry). */
  readonly crl: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly crlNumber?: number;
  /** The revocation entry for a serial, or undefined when not listed. */
  revocationOf(serialHex: string): { readonly time: Date; readonly reason?: RevocationReason } | undefined;
}

/**
 * Parses and verifies a CRL against its issuer. Throws ERR_PKI_CRL_INVALID.
 *
 * @example
 * ```ts
 * const result = verifyCrl(crlDer, issuerDer, systemClock);
 * ```
 */
export function verifyCrl(input: Uint8Array, issuerDer: Uint8Array, clock: Clock): CrlResult {
  const der = pemToDer(input, 'X509 CRL');
  let crl: CertificateList;
  try {
    crl = AsnConvert.parse(der, CertificateList);
  } catch (cause) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL is not valid DER', { cause });
  }
  const issuer = parseCertificate(issuerDer);
  const tbs = crl.tbsCertList;
  if (!bytesEqual(nameDer(tbs.issuer), nameDer(issuer.tbsCertificate.subject))) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL was issued by another CA');
  }
  const tbsDer = crl.tbsCertListRaw ? asBytes(crl.tbsCertListRaw) : new Uint8Array(AsnConvert.serialize(tbs));
  if (!verifySignature(spkiDer(issuer), signatureAlgorithmFromIdentifier(crl.signatureAlgorithm), tbsDer, asBytes(crl.signature))) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL signature does not verify');
  }
  const nextUpdate = tbs.nextUpdate?.getTime();
  if (nextUpdate && nextUpdate.getTime() < clock.now().getTime()) {
    throw new PkiError('ERR_PKI_CRL_INVALID', 'the CRL is stale (nextUpdate passed)');
  }
  const numberExt = tbs.crlExtensions?.find((e) => e.extnID === id_ce_cRLNumber);
  const crlNumber = numberExt ? AsnConvert.parse(numberExt.extnValue, CRLNumber).value : undefined;
  const entries = new Map<string, { time: Date; reason?: RevocationReason }>();
  for (const r of tbs.revokedCertificates ?? []) {
    const reasonExt = r.crlEntryExtensions?.find((e) => e.extnID === id_ce_cRLReasons);
    const reason = reasonExt ? revocationReasonFromCode(AsnConvert.parse(reasonExt.extnValue, CRLReason).reason) : undefined;
    entries.set(serialToHex(r.userCertificate), { time: r.revocationDate.getTime(), ...(reason ? { reason } : {}) });
  }
  return {
    crl: der,
    thisUpdate: tbs.thisUpdate.getTime(),
    ...(nextUpdate ? { nextUpdate } : {}),
    ...(crlNumber !== undefined ? { crlNumber } : {}),
    revocationOf: (serialHex: string) => entries.get(serialHex),
  };
}
