/**
 * AlgorithmIdentifier values for the algorithm table (RFC 5280 §4.1.1.2, RFC 4055 §3.1 for
 * RSASSA-PSS, RFC 5758 §3.2 for ECDSA, RFC 5754 for SHA-2) and signature verification with
 * node:crypto. Lookups go through cms/algorithms.ts; nothing here switches on raw OIDs.
 */
import { createPublicKey, verify as cryptoVerify, constants } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams, id_mgf1, id_RSASSA_PSS } from '@peculiar/asn1-rsa';
import {
  digestAlgorithms,
  digestByOid,
  resolveSignatureAlgorithm,
  signatureAlgorithms,
  type DigestAlgorithm,
  type SignatureAlgorithm,
} from '../cms/algorithms.js';
import { PkiError } from './errors.js';

/** The DER NULL used as parameters of the RSA PKCS#1 v1.5 identifiers (RFC 4055 §5). */
const derNull = new Uint8Array([0x05, 0x00]).buffer;

/** AlgorithmIdentifier of a digest; parameters absent (RFC 5754 §2: "SHOULD be omitted"). */
export function digestAlgorithmIdentifier(digest: DigestAlgorithm): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: digestAlgorithms[digest].oid });
}

/** AlgorithmIdentifier of a signature algorithm as it goes in certificates, CRLs, OCSP and CMS. */
export function signatureAlgorithmIdentifier(alg: SignatureAlgorithm): AlgorithmIdentifier {
  const entry = resolveSignatureAlgorithm(alg);
  switch (alg.scheme) {
    case 'RSASSA-PKCS1-v1_5':
      // RFC 4055 §5: the parameters MUST be NULL for sha*WithRSAEncryption.
      return new AlgorithmIdentifier({ algorithm: entry.oid, parameters: derNull });
    case 'ECDSA':
      // RFC 5758 §3.2: the parameters field MUST be absent.
      return new AlgorithmIdentifier({ algorithm: entry.oid });
    case 'RSASSA-PSS': {
      // RFC 4055 §3.1: hash and MGF1 hash equal, saltLength = hLen, trailerField default.
      const hash = digestAlgorithmIdentifier(alg.digest);
      const params = new RsaSaPssParams({
        hashAlgorithm: hash,
        maskGenAlgorithm: new AlgorithmIdentifier({
          algorithm: id_mgf1,
          parameters: AsnConvert.serialize(hash),
        }),
        saltLength: digestAlgorithms[alg.digest].length,
      });
      return new AlgorithmIdentifier({
        algorithm: id_RSASSA_PSS,
        parameters: AsnConvert.serialize(params),
      });
    }
  }
}

/**
 * Resolves a signature AlgorithmIdentifier to the table entry, or throws
 * ERR_PKI_ALGORITHM_UNSUPPORTED (default-deny: SHA-1, MD5, odd PSS parameters).
 */
export function signatureAlgorithmFromIdentifier(id: AlgorithmIdentifier): SignatureAlgorithm {
  const candidates = signatureAlgorithms.filter((e) => e.oid === id.algorithm);
  if (candidates.length === 1 && candidates[0]) {
    return { scheme: candidates[0].scheme, digest: candidates[0].digest };
  }
  if (candidates.length > 1 && id.parameters) {
    try {
      const params = AsnConvert.parse(id.parameters, RsaSaPssParams);
      const digest = digestByOid(params.hashAlgorithm.algorithm);
      const mgfHash = params.maskGenAlgorithm.parameters
        ? AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm
        : undefined;
      if (
        digest &&
        params.maskGenAlgorithm.algorithm === id_mgf1 &&
        mgfHash === digest.oid &&
        params.saltLength === digest.length &&
        params.trailerField === 1
      ) {
        return { scheme: 'RSASSA-PSS', digest: digest.name };
      }
    } catch (cause) {
      throw new PkiError('ERR_PKI_ALGORITHM_UNSUPPORTED', 'malformed RSASSA-PSS parameters', {
        cause,
      });
    }
  }
  throw new PkiError('ERR_PKI_ALGORITHM_UNSUPPORTED', 'unsupported signature algorithm', {
    detail: { oid: id.algorithm },
  });
}

/**
 * Verifies `signature` over `data` with the SubjectPublicKeyInfo `spki` (DER). ECDSA signatures
 * are DER Ecdsa-Sig-Value (RFC 3279 §2.2.3). Returns false for a wrong signature or key type.
 */
export function verifySignature(
  spki: Uint8Array,
  alg: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const expected = resolveSignatureAlgorithm(alg).keyType === 'EC' ? 'ec' : 'rsa';
    const actual = key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType;
    if (actual !== expected) return false;
    const nodeHash = digestAlgorithms[alg.digest].nodeName;
    if (alg.scheme === 'ECDSA') {
      return cryptoVerify(nodeHash, data, { key, dsaEncoding: 'der' }, signature);
    }
    if (alg.scheme === 'RSASSA-PSS') {
      return cryptoVerify(
        nodeHash,
        data,
        {
          key,
          padding: constants.RSA_PKCS1_PSS_PADDING,
          saltLength: digestAlgorithms[alg.digest].length,
        },
        signature,
      );
    }
    return cryptoVerify(nodeHash, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}
