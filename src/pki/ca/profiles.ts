/**
 * Certificate profiles as data (after step-ca's templates): each profile is a list of validators
 * and extension modifiers applied by one `issueCertificate()`. Extensions follow RFC 5280 §4.2,
 * ETSI EN 319 412-2 §4.3 (natural-person signing certificates), RFC 6960 §4.2.2.2 (OCSP
 * signer) and RFC 3161 §2.3 (TSA).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AccessDescription,
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  PolicyInformation,
  SubjectKeyIdentifier,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_cRLDistributionPoints,
  id_ce_certificatePolicies,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  id_kp_OCSPSigning,
  id_kp_timeStamping,
  id_pe_authorityInfoAccess,
} from '@peculiar/asn1-x509';
import { id_pkix_ocsp_nocheck } from '@peculiar/asn1-ocsp';
import type { Name } from '@peculiar/asn1-x509';
import { keyIdentifier } from '../certificate.js';
import { PkiError } from '../errors.js';
import { checkPublicKey } from './public-key-policy.js';
import { encodeQcStatements, hasQcStatements, id_pe_qcStatements, type QcStatementsOptions } from './qc-statements.js';

/** id-ad-ocsp and id-ad-caIssuers (RFC 5280 §4.2.2.1). */
export const id_ad_ocsp = '1.3.6.1.5.5.7.48.1';
export const id_ad_caIssuers = '1.3.6.1.5.5.7.48.2';

/**
 * Signet's development certificate policy: a UUID OID (ITU-T X.667, `2.25.<uuid>`) that needs
 * no registration. Production sets its own CP OID.
 */
export const signetDevelopmentPolicyOid = '2.25.245830457393178391283453209462405916611';

/** Where relying parties fetch revocation data and the issuer certificate (RFC 5280 §4.2.2.1, §4.2.1.13). */
export interface PkiUrls {
  readonly ocsp?: string;
  readonly caIssuers?: string;
  readonly crl?: string;
}

/** Everything a validator or modifier may look at. */
export interface ProfileContext {
  readonly subject: Name;
  /** SubjectPublicKeyInfo DER of the key being certified. */
  readonly subjectPublicKey: Uint8Array;
  /** SubjectPublicKeyInfo DER of the issuer (equal to subjectPublicKey when self-signed). */
  readonly issuerPublicKey: Uint8Array;
  /** The issuer certificate's subjectKeyIdentifier, when it has one (copied into the AKI). */
  readonly issuerKeyIdentifier?: Uint8Array;
  /** A subjectKeyIdentifier to keep (re-issue of a CA certificate) instead of deriving one. */
  readonly subjectKeyIdentifier?: Uint8Array;
  readonly isSelfSigned: boolean;
  readonly urls: PkiUrls;
  readonly policyOids: readonly string[];
  readonly qcStatements: QcStatementsOptions | undefined;
}

/** Throws a PkiError when the request does not fit the profile. */
export type ProfileValidator = (ctx: ProfileContext) => void;
/** Returns the extensions this modifier contributes. */
export type ProfileModifier = (ctx: ProfileContext) => readonly Extension[];

/** A certificate profile (a built-in service profile, or a credential profile from credential-profiles.ts). */
export interface CertificateProfile {
  readonly name: string;
  readonly validityDays: number;
  readonly validators: readonly ProfileValidator[];
  readonly modifiers: readonly ProfileModifier[];
}

/** The built-in service profiles (CA, OCSP responder and TSA certificates). */
export type ServiceProfileName = 'root-ca' | 'issuing-ca' | 'ocsp-signer' | 'tsa';

/**
 * A profile name: a service profile, or a credential profile (`signing` built in, others from the
 * certificate-profiles file; credential-profiles.ts).
 */
export type ProfileName = string;

function ext(extnID: string, critical: boolean, value: unknown): Extension {
  return new Extension({
    extnID,
    critical,
    extnValue: new OctetString(AsnConvert.serialize(value)),
  });
}

// ---- validators ----

/** Key policy (ETSI TS 119 312): strong RSA or a named NIST curve. */
export const requireAcceptedKey: ProfileValidator = (ctx) => {
  checkPublicKey(ctx.subjectPublicKey);
};

/** RFC 5280 §4.1.2.6 + ETSI EN 319 412-2 §4.2.4: a non-empty subject with a commonName. */
export const requireCommonName: ProfileValidator = (ctx) => {
  const hasCn = ctx.subject.some((rdn) => rdn.some((atv) => atv.type === '2.5.4.3'));
  if (!hasCn) throw new PkiError('ERR_PKI_SUBJECT_INVALID', 'subject commonName is required');
};

/** An end-entity profile never certifies the issuer's own key. */
export const requireDistinctKey: ProfileValidator = (ctx) => {
  if (!ctx.isSelfSigned && Buffer.compare(ctx.subjectPublicKey, ctx.issuerPublicKey) === 0) {
    throw new PkiError('ERR_PKI_PROFILE_VIOLATION', 'the subject key is the issuer key');
  }
};

/** Only the root profile may be self-signed; other profiles need an issuing CA. */
export function requireSelfSigned(expected: boolean): ProfileValidator {
  return (ctx) => {
    if (ctx.isSelfSigned !== expected) {
      throw new PkiError(
        'ERR_PKI_PROFILE_VIOLATION',
        expected ? 'this profile is for self-signed roots' : 'this profile needs an issuing CA',
      );
    }
  };
}

// ---- modifiers ----

/** RFC 5280 §4.2.1.2 / §4.2.1.1 key identifiers (§4.2.1.2 method (1), SHA-1 of the key). */
export const keyIdentifiers: ProfileModifier = (ctx) => [
  ext(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(ctx.subjectKeyIdentifier ?? keyIdentifier(ctx.subjectPublicKey))),
  ext(
    id_ce_authorityKeyIdentifier,
    false,
    new AuthorityKeyIdentifier({
      keyIdentifier: new KeyIdentifier(ctx.issuerKeyIdentifier ?? keyIdentifier(ctx.issuerPublicKey)),
    }),
  ),
];

export function basicConstraints(cA: boolean, pathLenConstraint?: number): ProfileModifier {
  // RFC 5280 §4.2.1.9: MUST be critical in CA certificates; we mark it critical for end entities too.
  const bc = new BasicConstraints({ cA });
  if (pathLenConstraint !== undefined) bc.pathLenConstraint = pathLenConstraint;
  return () => [ext(id_ce_basicConstraints, true, bc)];
}

export function keyUsage(flags: number): ProfileModifier {
  // RFC 5280 §4.2.1.3: conforming CAs SHOULD mark this extension critical.
  return () => [ext(id_ce_keyUsage, true, new KeyUsage(flags))];
}

function extendedKeyUsage(critical: boolean, ...purposes: string[]): ProfileModifier {
  return () => [ext(id_ce_extKeyUsage, critical, new ExtendedKeyUsage(purposes))];
}

/** certificatePolicies (RFC 5280 §4.2.1.4; EN 319 412-2 §4.3.3 requires at least one). */
export const certificatePolicies: ProfileModifier = (ctx) =>
  ctx.policyOids.length === 0
    ? []
    : [
        ext(
          id_ce_certificatePolicies,
          false,
          new CertificatePolicies(ctx.policyOids.map((policyIdentifier) => new PolicyInformation({ policyIdentifier }))),
        ),
      ];

/** AIA with OCSP and caIssuers (RFC 5280 §4.2.2.1; EN 319 412-2 §4.4.1). */
export const authorityInformationAccess: ProfileModifier = (ctx) => {
  const items: AccessDescription[] = [];
  if (ctx.urls.ocsp) {
    items.push(
      new AccessDescription({
        accessMethod: id_ad_ocsp,
        accessLocation: new GeneralName({ uniformResourceIdentifier: ctx.urls.ocsp }),
      }),
    );
  }
  if (ctx.urls.caIssuers) {
    items.push(
      new AccessDescription({
        accessMethod: id_ad_caIssuers,
        accessLocation: new GeneralName({ uniformResourceIdentifier: ctx.urls.caIssuers }),
      }),
    );
  }
  return items.length === 0 ? [] : [ext(id_pe_authorityInfoAccess, false, new AuthorityInfoAccessSyntax(items))];
};

/** CRL distribution point (RFC 5280 §4.2.1.13; EN 319 412-2 §4.3.11). */
export const crlDistributionPoints: ProfileModifier = (ctx) =>
  ctx.urls.crl
    ? [
        ext(
          id_ce_cRLDistributionPoints,
          false,
          new CRLDistributionPoints([
            new DistributionPoint({
              distributionPoint: new DistributionPointName({
                fullName: [new GeneralName({ uniformResourceIdentifier: ctx.urls.crl })],
              }),
            }),
          ]),
        ),
      ]
    : [];

/** Optional ETSI QCStatements (EN 319 412-5 §4.2, §4.3.4), non-critical (EN 319 412-2 §4.3.4). */
export const qcStatements: ProfileModifier = (ctx) => {
  const qc = ctx.qcStatements;
  if (!hasQcStatements(qc)) return [];
  return [new Extension({ extnID: id_pe_qcStatements, critical: false, extnValue: new OctetString(encodeQcStatements(qc)) })];
};

/** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): value NULL, the responder cert is not checked. */
export const ocspNoCheck: ProfileModifier = () => [
  new Extension({ extnID: id_pkix_ocsp_nocheck, critical: false, extnValue: new OctetString(new Uint8Array([0x05, 0x00])) }),
];

// ---- the profiles ----

const endEntityValidators = [requireAcceptedKey, requireCommonName, requireDistinctKey, requireSelfSigned(false)];

/** The built-in service profiles (credential profiles, `signing` among them, are in credential-profiles.ts). */
export const profiles: Readonly<Record<ServiceProfileName, CertificateProfile>> = {
  'root-ca': {
    name: 'root-ca',
    validityDays: 20 * 365,
    validators: [requireAcceptedKey, requireCommonName, requireSelfSigned(true)],
    modifiers: [basicConstraints(true), keyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign), keyIdentifiers],
  },
  'issuing-ca': {
    name: 'issuing-ca',
    validityDays: 10 * 365,
    validators: [requireAcceptedKey, requireCommonName, requireDistinctKey, requireSelfSigned(false)],
    modifiers: [
      basicConstraints(true, 0),
      keyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign),
      keyIdentifiers,
      // The root's URLs (rootPkiUrlsFor): caIssuers names the root certificate and the CDP the
      // root's CRL (RFC 5280 §4.2.2.1, §4.2.1.13), so a validator anchored at the root can check
      // the issuing CA's status (ETSI EN 319 102-1 §5.2.6 needs it for every path certificate).
      authorityInformationAccess,
      crlDistributionPoints,
    ],
  },
  'ocsp-signer': {
    name: 'ocsp-signer',
    validityDays: 365,
    validators: endEntityValidators,
    modifiers: [
      basicConstraints(false),
      keyUsage(KeyUsageFlags.digitalSignature),
      keyIdentifiers,
      // RFC 6960 §4.2.2.2: the delegated responder's certificate carries id-kp-OCSPSigning.
      extendedKeyUsage(false, id_kp_OCSPSigning),
      ocspNoCheck,
      authorityInformationAccess,
    ],
  },
  tsa: {
    name: 'tsa',
    validityDays: 5 * 365,
    validators: endEntityValidators,
    modifiers: [
      basicConstraints(false),
      keyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation),
      keyIdentifiers,
      // RFC 3161 §2.3: exactly one KeyPurposeId, id-kp-timeStamping, and the extension critical.
      extendedKeyUsage(true, id_kp_timeStamping),
      certificatePolicies,
      authorityInformationAccess,
      crlDistributionPoints,
    ],
  },
};

/** Looks up a service profile by name; unknown names → ERR_PKI_PROFILE_UNKNOWN. */
export function profileByName(name: string): CertificateProfile {
  const found = (profiles as Readonly<Record<string, CertificateProfile>>)[name];
  if (!found) throw new PkiError('ERR_PKI_PROFILE_UNKNOWN', `unknown certificate profile '${name}'`);
  return found;
}
