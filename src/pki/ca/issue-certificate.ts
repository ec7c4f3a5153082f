/**
 * The one place certificates are made (RFC 5280 §4.1): a profile's validators run, its modifiers
 * contribute extensions, the TBSCertificate is signed through the KeyBackend, and the signature
 * is verified against the issuer key before the certificate is returned (fault check).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  Certificate,
  Extensions,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { Name } from '@peculiar/asn1-x509';
import type { Clock } from '../../core/clock.js';
import { toArrayBuffer } from '../../core/bytes.js';
import { signatureAlgorithmIdentifier, verifySignature } from '../algorithm-identifier.js';
import { signWithCaKey, type CaKey } from '../ca-key.js';
import { parseCertificate, serialToHex, spkiDer, subjectKeyIdentifierOf } from '../certificate.js';
import { PkiError } from '../errors.js';
import type { CertificateProfile, PkiUrls, ProfileContext } from './profiles.js';
import type { QcStatementsOptions } from './qc-statements.js';

/** Who signs: a self-signed root, or a CA holding its certificate. */
export type CertificateIssuer =
  | { readonly kind: 'self'; readonly key: CaKey }
  | { readonly kind: 'ca'; readonly key: CaKey; readonly certificate: Uint8Array };

/** Inputs of issueCertificate. */
export interface IssueCertificateOptions {
  readonly issuer: CertificateIssuer;
  readonly subject: Name;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKey: Uint8Array;
  readonly profile: CertificateProfile;
  /** Positive INTEGER content octets (see generateSerialNumber). */
  readonly serialNumber: Uint8Array;
  readonly clock: Clock;
  readonly urls?: PkiUrls;
  readonly policyOids?: readonly string[];
  readonly qcStatements?: QcStatementsOptions;
  /** Overrides the profile's validity. */
  readonly validityDays?: number;
  /**
   * Keeps this subjectKeyIdentifier instead of deriving one (a CA certificate re-issued for the
   * same key: the AKI of every certificate it issued before names this value, RFC 5280 §4.2.1.1).
   */
  readonly subjectKeyIdentifier?: Uint8Array;
}

/** An issued certificate. */
export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Clock skew tolerated by relying parties: notBefore is backdated by this much. */
const backdateMs = 60_000;

/**
 * Issues one certificate under `profile`.
 *
 * @example
 * ```ts
 * const cert = await issueCertificate({ issuer: { kind: 'self', key }, subject, subjectPublicKey,
 *   profile: profiles['root-ca'], serialNumber: generateSerialNumber(), clock: systemClock });
 * ```
 */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const { issuer, profile } = options;
  let issuerName: Name;
  let issuerPublicKey: Uint8Array;
  let issuerNotAfter: Date | undefined;
  let issuerKeyIdentifier: Uint8Array | undefined;
  if (issuer.kind === 'self') {
    issuerName = options.subject;
    issuerPublicKey = options.subjectPublicKey;
    issuerKeyIdentifier = options.subjectKeyIdentifier;
  } else {
    const caCert = parseCertificate(issuer.certificate);
    issuerName = caCert.tbsCertificate.subject;
    issuerPublicKey = spkiDer(caCert);
    issuerNotAfter = caCert.tbsCertificate.validity.notAfter.getTime();
    // RFC 5280 §4.2.1.1: the AKI carries the issuer's own SKI value (a CA made elsewhere may
    // derive its key identifiers differently from Signet).
    issuerKeyIdentifier = subjectKeyIdentifierOf(caCert);
  }
  const ctx: ProfileContext = {
    subject: options.subject,
    subjectPublicKey: options.subjectPublicKey,
    issuerPublicKey,
    ...(issuerKeyIdentifier ? { issuerKeyIdentifier } : {}),
    isSelfSigned: issuer.kind === 'self',
    ...(options.subjectKeyIdentifier ? { subjectKeyIdentifier: options.subjectKeyIdentifier } : {}),
    urls: options.urls ?? {},
    policyOids: options.policyOids ?? [],
    qcStatements: options.qcStatements,
  };
  for (const validate of profile.validators) validate(ctx);
  const extensions = profile.modifiers.flatMap((modify) => modify(ctx));

  const nowMs = Math.floor(options.clock.now().getTime() / 1000) * 1000;
  const notBefore = new Date(nowMs - backdateMs);
  let notAfter = new Date(nowMs + (options.validityDays ?? profile.validityDays) * 86_400_000);
  // A certificate never outlives its issuer (RFC 5280 §6.1.3 would reject it at that point anyway).
  if (issuerNotAfter && notAfter > issuerNotAfter) notAfter = issuerNotAfter;

  const signatureAlgorithm = signatureAlgorithmIdentifier(issuer.key.algorithm);
  let spki: SubjectPublicKeyInfo;
  try {
    spki = AsnConvert.parse(options.subjectPublicKey, SubjectPublicKeyInfo);
  } catch (cause) {
    throw new PkiError('ERR_PKI_UNSUPPORTED_KEY', 'public key is not a SubjectPublicKeyInfo', { cause });
  }
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: toArrayBuffer(options.serialNumber),
    signature: signatureAlgorithm,
    issuer: issuerName,
    validity: new Validity({ notBefore, notAfter }),
    subject: options.subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions(extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signWithCaKey(issuer.key, tbsDer);
  if (!verifySignature(issuerPublicKey, issuer.key.algorithm, tbsDer, signature)) {
    throw new PkiError('ERR_PKI_SIGNATURE_FAULT', 'the CA key did not produce a valid signature', {
      detail: { ref: issuer.key.ref },
    });
  }
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm,
    signatureValue: toArrayBuffer(signature),
  });
  return {
    der: new Uint8Array(AsnConvert.serialize(cert)),
    serialHex: serialToHex(options.serialNumber),
    notBefore,
    notAfter,
  };
}
