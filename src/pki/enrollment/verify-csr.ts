/**
 * PKCS#10 enrollment input (RFC 2986 §4): size pre-check, strict DER, proof of possession (the
 * request's self-signature, RFC 2986 §3 step 3 / RFC 4211 §4) and the key policy.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import type { Name } from '@peculiar/asn1-x509';
import { asBytes, bytesEqual } from '../../core/bytes.js';
import { resolveSignatureAlgorithm } from '../../cms/algorithms.js';
import { signatureAlgorithmFromIdentifier, verifySignature } from '../algorithm-identifier.js';
import { checkPublicKey, type AcceptedKey } from '../ca/public-key-policy.js';
import { PkiError } from '../errors.js';

/** Largest CSR accepted (RSA-8192 with a long subject stays far below). */
export const maxCsrBytes = 16 * 1024;

/** A CSR whose proof of possession and key passed. */
export interface VerifiedCsr {
  readonly subject: Name;
  /** SubjectPublicKeyInfo DER. */
  readonly subjectPublicKey: Uint8Array;
  readonly key: AcceptedKey;
  /** The request's DER (a PEM input decoded). */
  readonly der: Uint8Array;
}

function decodeCsrPem(input: Uint8Array | string): Uint8Array {
  const text = typeof input === 'string' ? input : undefined;
  const bytes = typeof input === 'string' ? new Uint8Array(Buffer.from(input, 'latin1')) : input;
  const head = text ?? Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (!head.includes('-----BEGIN')) return bytes;
  const full = text ?? Buffer.from(bytes).toString('latin1');
  const m = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (NEW )?CERTIFICATE REQUEST-----/.exec(full);
  if (!m?.[2]) throw new PkiError('ERR_PKI_CSR_MALFORMED', 'no CERTIFICATE REQUEST PEM block found');
  return new Uint8Array(Buffer.from(m[2].replace(/\s+/g, ''), 'base64'));
}

/**
 * Parses and verifies a CSR (PEM or DER). Throws ERR_PKI_CSR_TOO_LARGE, ERR_PKI_CSR_MALFORMED,
 * ERR_PKI_CSR_BAD_POP, ERR_PKI_WEAK_KEY, ERR_PKI_UNSUPPORTED_KEY or ERR_PKI_ALGORITHM_UNSUPPORTED.
 *
 * @example
 * ```ts
 * const { subject, subjectPublicKey } = verifyCsr(readFileSync('req.pem'));
 * ```
 */
export function verifyCsr(input: Uint8Array | string): VerifiedCsr {
  if (input.length > maxCsrBytes * 2) throw new PkiError('ERR_PKI_CSR_TOO_LARGE', 'CSR is too large');
  const der = decodeCsrPem(input);
  if (der.length === 0) throw new PkiError('ERR_PKI_CSR_MALFORMED', 'CSR is empty');
  if (der.length > maxCsrBytes) throw new PkiError('ERR_PKI_CSR_TOO_LARGE', 'CSR is too large');
  let csr: CertificationRequest;
  try {
    csr = AsnConvert.parse(der, CertificationRequest);
  } catch (cause) {
    throw new PkiError('ERR_PKI_CSR_MALFORMED', 'CSR is not a valid PKCS#10 request', { cause });
  }
  // DER only (X.690 §10): a BER or padded encoding that re-encodes differently is refused.
  let reencoded: Uint8Array;
  try {
    reencoded = new Uint8Array(AsnConvert.serialize(csr));
  } catch (cause) {
    throw new PkiError('ERR_PKI_CSR_MALFORMED', 'CSR cannot be re-encoded', { cause });
  }
  if (!bytesEqual(reencoded, der)) {
    throw new PkiError('ERR_PKI_CSR_MALFORMED', 'CSR is not DER-encoded');
  }
  const info = csr.certificationRequestInfo;
  if (info.version !== 0) throw new PkiError('ERR_PKI_CSR_MALFORMED', 'CSR version must be v1 (0)');
  const spki = new Uint8Array(AsnConvert.serialize(info.subjectPKInfo));
  const key = checkPublicKey(spki);
  const alg = signatureAlgorithmFromIdentifier(csr.signatureAlgorithm);
  if (resolveSignatureAlgorithm(alg).keyType !== key.keyType) {
    throw new PkiError('ERR_PKI_CSR_BAD_POP', 'CSR signature algorithm does not match its key');
  }
  const tbs = csr.certificationRequestInfoRaw
    ? asBytes(csr.certificationRequestInfoRaw)
    : new Uint8Array(AsnConvert.serialize(info));
  if (!verifySignature(spki, alg, tbs, asBytes(csr.signature))) {
    throw new PkiError('ERR_PKI_CSR_BAD_POP', 'CSR signature (proof of possession) does not verify');
  }
  return { subject: info.subject, subjectPublicKey: spki, key, der };
}
