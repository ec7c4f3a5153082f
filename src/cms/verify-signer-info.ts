/**
 * Cryptographic checks of one SignerInfo (RFC 5652 §5.4, §5.6, §11; RFC 5035 §3;
 * docs/security.md V12): the signature over the signed attributes with node:crypto, message-digest,
 * content-type and the ESS signing-certificate-v2 binding. Failures are data, not exceptions.
 */
import { X509Certificate, constants, publicDecrypt, type KeyObject } from 'node:crypto';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { bytesEqual, toArrayBuffer, asBytes, toHex } from '../core/bytes.js';
import { digestAlgorithms, digestByOid, resolveSignatureAlgorithm, verifiableDigests, type DigestEntry, type VerifiableDigest } from './algorithms.js';
import { SigningCertificateV2 } from './asn1/signing-certificate-v2.js';
import { readCertificateId } from './certificate-id.js';
import { cmsOids } from './cms-oids.js';
import { childrenOf, contentOf, encodeOid, encodeTlv, rawOf, readElement, readOid, tags } from './der.js';
import { digestOf } from './digest.js';
import { CmsError } from './errors.js';
import type { SignerInfoView } from './parse-signed-data.js';
import { sidMatches } from './signer-certificate.js';
import { keyFitsAlgorithm, verifySignatureValue } from './verify-signature.js';

/** Why a SignerInfo failed a check. */
export type SignerInfoProblem =
  | 'SIGNED_ATTRS_MISSING'
  | 'CONTENT_TYPE_MISSING'
  | 'CONTENT_TYPE_MISMATCH'
  | 'MESSAGE_DIGEST_MISSING'
  | 'MESSAGE_DIGEST_MISMATCH'
  | 'ATTRIBUTE_MULTIPLE'
  | 'SID_MISMATCH'
  | 'KEY_ALGORITHM_MISMATCH'
  | 'KEY_NOT_ACCEPTED'
  | 'SIGNATURE_INVALID'
  | 'SIGNING_CERTIFICATE_MISSING'
  | 'SIGNING_CERTIFICATE_MISMATCH';

/** The outcome of {@link verifySignerInfo}. */
export interface SignerInfoVerification {
  /** True only when every check passed. */
  readonly isValid: boolean;
  readonly isSignatureValid: boolean;
  readonly isMessageDigestValid: boolean;
  readonly isSigningCertificateValid: boolean;
  readonly problems: readonly SignerInfoProblem[];
}

/** What to verify a SignerInfo against. */
export interface VerifySignerInfoInput {
  /** DER of the signer's certificate (see {@link findSignerCertificate}). */
  readonly certificate: Uint8Array;
  /** The digest of the signed content computed by the verifier (e.g. over the PDF ByteRange). */
  readonly messageDigest: Uint8Array;
  /** Expected eContentType; default id-data. */
  readonly contentType?: string;
}

/**
 * Verifies one SignerInfo. Throws only when `certificate` is not a certificate.
 *
 * @example
 * ```ts
 * const sd = parseSignedData(cms);
 * const si = sd.signerInfos[0]!;
 * const cert = findSignerCertificate(sd, si);
 * const result = cert && verifySignerInfo(si, { certificate: cert, messageDigest: digestOf('SHA-256', content) });
 * ```
 */
export function verifySignerInfo(si: SignerInfoView<VerifiableDigest>, input: VerifySignerInfoInput): SignerInfoVerification {
  const problems: SignerInfoProblem[] = [];
  const key = signerPublicKey(input.certificate);
  if (!sidMatches(si, input.certificate)) problems.push('SID_MISMATCH');

  const attrs = si.signedAttributeList;
  const single = (oid: string): Uint8Array | undefined => {
    const found = attrs.filter((a) => a.oid === oid);
    // RFC 5652 §11.1/§11.2: exactly one instance with exactly one value.
    if (found.length > 1 || (found[0] !== undefined && found[0].values.length !== 1)) {
      problems.push('ATTRIBUTE_MULTIPLE');
      return undefined;
    }
    return found[0]?.values[0];
  };

  let isMessageDigestValid = false;
  let isSigningCertificateValid = false;
  let isSignatureValid = false;
  if (si.signedAttributes === undefined) {
    // ETSI EN 319 122-1 §5.2: CAdES requires signed attributes.
    problems.push('SIGNED_ATTRS_MISSING');
  } else {
    const ct = single(cmsOids.id_contentType);
    if (ct === undefined) problems.push('CONTENT_TYPE_MISSING');
    else if (!valueIsOid(ct, input.contentType ?? cmsOids.id_data)) problems.push('CONTENT_TYPE_MISMATCH');

    const md = single(cmsOids.id_messageDigest);
    if (md === undefined) problems.push('MESSAGE_DIGEST_MISSING');
    else {
      isMessageDigestValid = valueIsOctets(md, input.messageDigest);
      if (!isMessageDigestValid) problems.push('MESSAGE_DIGEST_MISMATCH');
    }

    const scv2 = single(cmsOids.id_aa_signingCertificateV2);
    // EN 319 122-1 §5.2.2.2: signing-certificate (v1, RFC 2634 §5.4, SHA-1) when v2 is absent.
    const scv1 = scv2 === undefined ? single(cmsOids.id_aa_signingCertificate) : undefined;
    if (scv2 === undefined && scv1 === undefined) problems.push('SIGNING_CERTIFICATE_MISSING');
    else {
      isSigningCertificateValid = scv2 !== undefined ? essMatches(scv2, input.certificate) : essV1Matches(scv1 as Uint8Array, input.certificate);
      if (!isSigningCertificateValid) problems.push('SIGNING_CERTIFICATE_MISMATCH');
    }

    if (!keyFitsAlgorithm(key, si.signatureAlgorithm)) problems.push('KEY_ALGORITHM_MISMATCH');
    else {
      isSignatureValid = verifySignatureValue(key, si.signatureAlgorithm, si.signedAttributes, si.signature);
      if (!isSignatureValid) problems.push('SIGNATURE_INVALID');
      // docs/security.md V12: RSA of at least the table's minimum size, the table's named curves only.
      // Reported separately so a validator can say CRYPTO_CONSTRAINTS_FAILURE, not SIG_CRYPTO_FAILURE.
      if (!keyAccepted(key, si)) problems.push('KEY_NOT_ACCEPTED');
    }
  }
  return {
    isValid: problems.length === 0,
    isSignatureValid,
    isMessageDigestValid,
    isSigningCertificateValid,
    problems,
  };
}

/**
 * The public key of a signer certificate, remembered by the certificate's SHA-256 (bounded, least
 * recently used first out): the tokens of one TSA, the signatures of one signer, name the same
 * certificate, and reading it with X509Certificate was the largest part of a time-stamp token's
 * check after its schema parses went (issue 19). Only keys of certificates that parsed are kept.
 */
const publicKeys = new Map<string, KeyObject>();
const publicKeysMax = 256;

function signerPublicKey(certificate: Uint8Array): KeyObject {
  const id = toHex(digestOf('SHA-256', certificate));
  const known = publicKeys.get(id);
  if (known !== undefined) {
    publicKeys.delete(id);
    publicKeys.set(id, known);
    return known;
  }
  let key: KeyObject;
  try {
    key = new X509Certificate(certificate).publicKey;
  } catch (err) {
    throw new CmsError('ERR_CMS_CERTIFICATE', 'signer certificate cannot be parsed', { cause: err });
  }
  publicKeys.set(id, key);
  if (publicKeys.size > publicKeysMax) publicKeys.delete(publicKeys.keys().next().value as string);
  return key;
}

function valueIsOid(value: Uint8Array, oid: string): boolean {
  try {
    const el = readElement(value, 0);
    return el.end === value.length && readOid(value, el) === oid;
  } catch {
    return false;
  }
}

function valueIsOctets(value: Uint8Array, expected: Uint8Array): boolean {
  try {
    const el = readElement(value, 0);
    return el.end === value.length && el.tag === tags.octetString && bytesEqual(contentOf(value, el), expected);
  } catch {
    return false;
  }
}

/** RFC 5035 §3: the first ESSCertIDv2 identifies the signing certificate. */
function essMatches(value: Uint8Array, certificate: Uint8Array): boolean {
  if (essMatchesByteExactly(value, certificate)) return true;
  try {
    const scv2 = AsnParser.parse(toArrayBuffer(value), SigningCertificateV2);
    const first = scv2.certs[0];
    if (first === undefined) return false;
    // RFC 5035 §4: hashAlgorithm DEFAULT id-sha256.
    const digest =
      first.hashAlgorithm === undefined ? digestAlgorithms['SHA-256'] : digestByOid(first.hashAlgorithm.algorithm);
    if (digest === undefined) return false;
    if (!bytesEqual(asBytes(first.certHash), digestOf(digest.name, certificate))) return false;
    if (first.issuerSerial !== undefined) {
      const id = readCertificateId(certificate);
      if (!bytesEqual(asBytes(first.issuerSerial.serialNumber), id.serialNumberContent)) return false;
      const names = first.issuerSerial.issuer.map((g) => g.directoryName);
      const [name, ...rest] = names;
      if (name === undefined || rest.length > 0) return false;
      const canonical = (n: Name): Uint8Array => asBytes(AsnSerializer.serialize(n));
      const certIssuer = AsnParser.parse(toArrayBuffer(id.issuer), Name);
      if (!bytesEqual(canonical(name), canonical(certIssuer))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * The common case of {@link essMatches} read with the strict DER reader (issue 19: the schema parse
 * and the Names' re-encoding were most of a time-stamp token's check): one ESSCertIDv2 whose hash
 * is the certificate's and whose issuerSerial, when present, names the certificate's issuer Name
 * byte for byte and its serialNumber. True only then; anything else goes to the schema reading,
 * which decides (so this never says false where that would say true).
 *
 * ```asn1
 * SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies SEQUENCE OF PolicyInformation OPTIONAL }
 * ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT {algorithm id-sha256},
 *                            certHash Hash, issuerSerial IssuerSerial OPTIONAL }
 * IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
 * ```
 */
function essMatchesByteExactly(value: Uint8Array, certificate: Uint8Array): boolean {
  try {
    const top = readElement(value, 0);
    if (top.tag !== tags.sequence || top.end !== value.length) return false;
    const [certs, ...policies] = childrenOf(value, top);
    if (certs?.tag !== tags.sequence || policies.length > 0) return false;
    const [first, ...others] = childrenOf(value, certs);
    if (first?.tag !== tags.sequence || others.length > 0) return false;
    const fields = childrenOf(value, first);
    const algorithm = fields[0]?.tag === tags.sequence ? fields.shift() : undefined;
    const [hash, issuerSerial, ...rest] = fields;
    if (hash?.tag !== tags.octetString || rest.length > 0) return false;
    let digest: DigestEntry | undefined = digestAlgorithms['SHA-256'];
    if (algorithm !== undefined) {
      const [oid, ...parameters] = childrenOf(value, algorithm);
      if (oid === undefined || parameters.length > 1) return false;
      digest = digestByOid(readOid(value, oid));
    }
    if (digest === undefined || !bytesEqual(contentOf(value, hash), digestOf(digest.name, certificate))) return false;
    if (issuerSerial === undefined) return true;
    if (issuerSerial.tag !== tags.sequence) return false;
    const [names, serial, ...more] = childrenOf(value, issuerSerial);
    if (names?.tag !== tags.sequence || serial?.tag !== tags.integer || more.length > 0) return false;
    const [directoryName, ...otherNames] = childrenOf(value, names);
    // GeneralName directoryName [4] EXPLICIT Name (RFC 5280 §4.2.1.6).
    if (directoryName?.tag !== 0xa4 || otherNames.length > 0) return false;
    const [name, ...afterName] = childrenOf(value, directoryName);
    if (name === undefined || afterName.length > 0) return false;
    const id = readCertificateId(certificate);
    return bytesEqual(contentOf(value, serial), id.serialNumberContent) && bytesEqual(rawOf(value, name), id.issuer);
  } catch {
    return false;
  }
}

/** RFC 2634 §5.4: SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, … }; ESSCertID.certHash is SHA-1. */
function essV1Matches(value: Uint8Array, certificate: Uint8Array): boolean {
  try {
    const root = readElement(value, 0);
    if (root.tag !== tags.sequence || root.end !== value.length) return false;
    const certs = readElement(value, root.contentStart, root.end);
    if (certs.tag !== tags.sequence) return false;
    const first = readElement(value, certs.contentStart, certs.end);
    if (first.tag !== tags.sequence) return false;
    const hash = readElement(value, first.contentStart, first.end);
    return hash.tag === tags.octetString && bytesEqual(contentOf(value, hash), digestOf('SHA-1', certificate));
  } catch {
    return false;
  }
}

const acceptedCurves = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

function keyAccepted(key: KeyObject, si: SignerInfoView<VerifiableDigest>): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return acceptedCurves.has(details.namedCurve ?? '');
  return (details.modulusLength ?? 0) >= resolveSignatureAlgorithm({ scheme: si.signatureAlgorithm.scheme, digest: 'SHA-256' }).minKeyBits;
}


/**
 * Verifies a SignerInfo without signed attributes (RFC 5652 §5.4: the signature is then over the
 * content's digest itself), as older PKCS #7 producers write adbe.pkcs7.* signatures. Only
 * RSASSA-PKCS1-v1_5 can be verified from a digest with node:crypto: the whole recovered
 * encoding must be exactly the DigestInfo of `contentDigest` (RFC 8017 §8.2.2 step 4, with or
 * without the NULL parameters §9.2 note 1 allows); other schemes report SIGNATURE_INVALID.
 * ETSI EN 319 122-1 requires signed attributes: CAdES callers keep using {@link verifySignerInfo}.
 */
export function verifySignerInfoWithoutAttributes(si: SignerInfoView<VerifiableDigest>, input: { readonly certificate: Uint8Array; readonly contentDigest: Uint8Array }): SignerInfoVerification {
  const problems: SignerInfoProblem[] = [];
  const key = signerPublicKey(input.certificate);
  if (!sidMatches(si, input.certificate)) problems.push('SID_MISMATCH');
  let isSignatureValid = false;
  if (si.signatureAlgorithm.scheme !== 'RSASSA-PKCS1-v1_5' || !keyFitsAlgorithm(key, si.signatureAlgorithm)) problems.push('KEY_ALGORITHM_MISMATCH');
  else {
    const digest = verifiableDigests[si.digestAlgorithm];
    const oid = encodeOid(digest.oid);
    const octets = encodeTlv(tags.octetString, input.contentDigest);
    const expected = [
      encodeTlv(tags.sequence, encodeTlv(tags.sequence, oid, Uint8Array.of(tags.null, 0)), octets),
      encodeTlv(tags.sequence, encodeTlv(tags.sequence, oid), octets),
    ];
    try {
      const recovered = new Uint8Array(publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, si.signature));
      isSignatureValid = input.contentDigest.length === digest.length && expected.some((e) => bytesEqual(e, recovered));
    } catch {
      isSignatureValid = false;
    }
    if (!isSignatureValid) problems.push('SIGNATURE_INVALID');
    if (!keyAccepted(key, si)) problems.push('KEY_NOT_ACCEPTED');
  }
  // Without signed attributes the digest is bound by the signature itself.
  return { isValid: problems.length === 0, isSignatureValid, isMessageDigestValid: isSignatureValid, isSigningCertificateValid: false, problems };
}
