/**
 * Choosing the CSC `signAlgo` (+ `hashAlgorithmOID`, `signAlgoParams`) for a credential from its
 * `key.algo` list (CSC v2 §11.5, §11.10) and normalising what comes back to the form CMS carries.
 */
import {
  digestAlgorithms,
  digestForCurve,
  encodeSignatureAlgorithmIdentifier,
  oids,
  readElement,
  childrenOf,
  rawOf,
  resolveSignatureAlgorithm,
  type DigestAlgorithm,
  type SignatureAlgorithm,
  type SignatureScheme,
} from '../../cms/index.js';
import { ecdsaRawToDer, type PublicKeyInfo } from '../../keys/index.js';
import { CscClientError } from './errors.js';

/** The wire parameters of signHash for one signature algorithm. */
export interface CscSignAlgorithm {
  /** What goes into SignerInfo.signatureAlgorithm (the CMS side). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signAlgo: string;
  /** Sent only when `signAlgo` does not imply the digest (rsaEncryption, RSASSA-PSS). */
  readonly hashAlgorithmOID: string | undefined;
  /** Base64 DER parameters (RSASSA-PSS-params, RFC 4055 §3.1). */
  readonly signAlgoParams: string | undefined;
}

/** What the caller would like; anything absent is chosen from the key. */
export interface SignAlgorithmPreference {
  readonly scheme?: SignatureScheme;
  readonly digest?: DigestAlgorithm;
}

function pssParams(digest: DigestAlgorithm): string {
  const algId = encodeSignatureAlgorithmIdentifier({ scheme: 'RSASSA-PSS', digest });
  const params = childrenOf(algId, readElement(algId, 0))[1];
  return Buffer.from(rawOf(algId, params as NonNullable<typeof params>)).toString('base64');
}

/**
 * Picks the signature algorithm for a key described by `key` (from the leaf certificate) among
 * the OIDs the provider lists in `key.algo`. Accepts providers that list signature OIDs
 * (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `id-RSASSA-PSS`) and those that list the key
 * algorithm (`rsaEncryption`, `id-ecPublicKey`, the CSC v1 habit). Default: PKCS#1 v1.5 with
 * SHA-256 for RSA, ECDSA with the curve's digest (ETSI TS 119 312) for EC.
 */
export function chooseSignAlgorithm(
  keyAlgos: readonly string[],
  key: PublicKeyInfo,
  preference: SignAlgorithmPreference = {},
): CscSignAlgorithm {
  const offered = new Set(keyAlgos);
  const digest = preference.digest ?? (key.keyType === 'EC' ? digestForCurve(key.curve) : 'SHA-256');
  const digestOid = digestAlgorithms[digest].oid;
  const schemes: readonly SignatureScheme[] =
    preference.scheme !== undefined ? [preference.scheme] : key.keyType === 'EC' ? ['ECDSA'] : ['RSASSA-PKCS1-v1_5', 'RSASSA-PSS'];
  for (const scheme of schemes) {
    const entry = resolveSignatureAlgorithm({ scheme, digest });
    if (entry.keyType !== key.keyType) continue;
    const signatureAlgorithm = { scheme, digest };
    if (scheme === 'RSASSA-PSS') {
      if (offered.has(oids.id_RSASSA_PSS)) {
        // CSC v2 §11.10: RSASSA-PSS does not imply the hash; give both the OID and the params.
        return { signatureAlgorithm, signAlgo: oids.id_RSASSA_PSS, hashAlgorithmOID: digestOid, signAlgoParams: pssParams(digest) };
      }
      continue;
    }
    if (offered.has(entry.oid)) return { signatureAlgorithm, signAlgo: entry.oid, hashAlgorithmOID: undefined, signAlgoParams: undefined };
    if (scheme === 'RSASSA-PKCS1-v1_5' && offered.has(oids.rsaEncryption)) {
      // CSC v2 §11.10: rsaEncryption needs hashAlgorithmOID (the RSSP builds the DigestInfo).
      return { signatureAlgorithm, signAlgo: oids.rsaEncryption, hashAlgorithmOID: digestOid, signAlgoParams: undefined };
    }
    if (scheme === 'ECDSA' && offered.has(oids.id_ecPublicKey)) {
      return { signatureAlgorithm, signAlgo: entry.oid, hashAlgorithmOID: undefined, signAlgoParams: undefined };
    }
  }
  throw new CscClientError(
    'ERR_CSC_CLIENT_ALGORITHM',
    `the credential offers none of the usable algorithms for a ${key.keyType} key with ${digest} (key.algo: ${keyAlgos.join(', ') || 'empty'})`,
  );
}

/**
 * Returns the signature value as CMS carries it: ECDSA values in raw `r || s` form (returned by
 * some providers) become the DER ECDSA-Sig-Value (RFC 5753 §2.1.1); others pass unchanged.
 */
export function normalizeSignatureValue(signature: Uint8Array, key: PublicKeyInfo): Uint8Array {
  if (key.keyType !== 'EC' || looksLikeDer(signature)) return signature;
  return signature.length === rawLength(key.curve) ? ecdsaRawToDer(signature) : signature;
}

function rawLength(curve: 'P-256' | 'P-384' | 'P-521'): number {
  return curve === 'P-256' ? 64 : curve === 'P-384' ? 96 : 132;
}

function looksLikeDer(signature: Uint8Array): boolean {
  try {
    const el = readElement(signature, 0);
    return el.tag === 0x30 && el.end === signature.length;
  } catch {
    return false;
  }
}
