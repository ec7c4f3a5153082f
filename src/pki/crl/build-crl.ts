/**
 * CRL generation (RFC 5280 §5): v2 CertificateList with cRLNumber (§5.2.3, strictly increasing),
 * authorityKeyIdentifier (§5.2.1), thisUpdate/nextUpdate (§5.1.2.4-5) and per-entry reasonCode
 * (§5.3.1), signed through the KeyBackend.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  CertificateList,
  CRLNumber,
  CRLReason,
  Extension,
  KeyIdentifier,
  RevokedCertificate,
  TBSCertList,
  Time,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLNumber,
  id_ce_cRLReasons,
} from '@peculiar/asn1-x509';
import { toArrayBuffer } from '../../core/bytes.js';
import { signatureAlgorithmIdentifier } from '../algorithm-identifier.js';
import { signWithCaKey, type CaKey } from '../ca-key.js';
import { keyIdentifier, parseCertificate, serialHexToInteger, spkiDer, subjectKeyIdentifierOf } from '../certificate.js';
import { revocationReasonCodes } from '../revocation-reason.js';
import type { Revocation } from '../store/ca-store.js';

/** One revoked entry. */
export interface CrlEntry {
  readonly serialHex: string;
  readonly revocation: Revocation;
}

/** Inputs of buildCrl. */
export interface BuildCrlOptions {
  readonly issuerKey: CaKey;
  /** The issuer's certificate (DER). */
  readonly issuerCertificate: Uint8Array;
  readonly entries: readonly CrlEntry[];
  readonly crlNumber: bigint;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

function ext(extnID: string, value: unknown): Extension {
  return new Extension({ extnID, critical: false, extnValue: new OctetString(AsnConvert.serialize(value)) });
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * Builds and signs a CRL; returns its DER.
 *
 * @example
 * ```ts
 * const crl = await buildCrl({ issuerKey, issuerCertificate, entries, crlNumber: 7n, thisUpdate, nextUpdate });
 * ```
 */
export async function buildCrl(options: BuildCrlOptions): Promise<Uint8Array> {
  const issuer = parseCertificate(options.issuerCertificate);
  const signature = signatureAlgorithmIdentifier(options.issuerKey.algorithm);
  const revoked = options.entries.map((e) => {
    const entry = new RevokedCertificate({
      userCertificate: toArrayBuffer(serialHexToInteger(e.serialHex)),
      revocationDate: new Time(wholeSeconds(e.revocation.time)),
    });
    // RFC 5280 §5.3.1: the reasonCode "unspecified" SHOULD be absent rather than present.
    if (e.revocation.reason !== 'unspecified') {
      entry.crlEntryExtensions = [ext(id_ce_cRLReasons, new CRLReason(revocationReasonCodes[e.revocation.reason]))];
    }
    return entry;
  });
  const tbs = new TBSCertList({
    version: Version.v2,
    signature,
    issuer: issuer.tbsCertificate.subject,
    thisUpdate: new Time(wholeSeconds(options.thisUpdate)),
    nextUpdate: new Time(wholeSeconds(options.nextUpdate)),
    crlExtensions: [
      ext(
        id_ce_authorityKeyIdentifier,
        // RFC 5280 §5.2.1: the issuer's own subjectKeyIdentifier (older Signet CAs carry RFC 7093 ones).
        new AuthorityKeyIdentifier({
          keyIdentifier: new KeyIdentifier(subjectKeyIdentifierOf(issuer) ?? keyIdentifier(spkiDer(issuer))),
        }),
      ),
      ext(id_ce_cRLNumber, new CRLNumber(Number(options.crlNumber))),
    ],
  });
  // RFC 5280 §5.1.2.6: when there are no revoked certificates the list MUST be absent.
  if (revoked.length > 0) tbs.revokedCertificates = revoked;
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signatureValue = await signWithCaKey(options.issuerKey, tbsDer);
  const crl = new CertificateList({
    tbsCertList: tbs,
    signatureAlgorithm: signature,
    signature: toArrayBuffer(signatureValue),
  });
  return new Uint8Array(AsnConvert.serialize(crl));
}
