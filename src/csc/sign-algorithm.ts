/**
 * CSC `signAlgo` / `hashAlgorithmOID` / `signAlgoParams` → one entry of the algorithm table
 * (CSC API v2 §11.10; OIDs RFC 8017 App. C, RFC 5758 §3.2; PSS parameters RFC 4055 §3.1).
 * Default-deny: anything not in the table, or contradicting itself, is refused.
 */
import {
  decodeRsassaPssParams,
  digestAlgorithms,
  digestByOid,
  oids,
  signatureAlgorithms,
  type DigestAlgorithm,
  type KeyType,
  type SignatureAlgorithm,
} from '../cms/index.js';
import { CscError, invalidParameter, missingParameter } from './errors.js';
import { decodeBase64 } from './request-params.js';

/** The `key.algo` list advertised for a key type (CSC v2 §11.5): what `signAlgo` may be. */
export function signAlgosFor(keyType: KeyType): string[] {
  return keyType === 'RSA'
    ? [
        oids.sha256WithRSAEncryption,
        oids.sha384WithRSAEncryption,
        oids.sha512WithRSAEncryption,
        oids.rsaEncryption,
        oids.id_RSASSA_PSS,
      ]
    : [oids.ecdsa_with_SHA256, oids.ecdsa_with_SHA384, oids.ecdsa_with_SHA512];
}

/** Every signAlgo Signet accepts (for `info.signAlgorithms`). */
export function allSignAlgos(): string[] {
  return [...signAlgosFor('RSA'), ...signAlgosFor('EC')];
}

/** A digest algorithm from its OID, or `Invalid parameter <name>` (SHA-1/MD5 are never accepted). */
export function digestFromOid(oid: string, name: string): DigestAlgorithm {
  const d = digestByOid(oid);
  if (d === undefined) throw invalidParameter(name);
  return d.name;
}

/** What a signHash request asks for, resolved and checked against the key type. */
export interface ResolvedSignAlgo extends SignatureAlgorithm {
  readonly keyType: KeyType;
  /** RSASSA-PSS only: the salt length the parameters name (RFC 8017 §9.1 sLen). */
  readonly saltLength?: number;
}

/**
 * RFC 8017 §9.1.1 step 3: EMSA-PSS needs emLen >= hLen + sLen + 2, emLen = ceil((modBits - 1) / 8).
 * Refuses a salt the key cannot carry, naming it (checked once the credential's key is known).
 */
export function checkPssSaltFits(algorithm: ResolvedSignAlgo, modulusBits: number): void {
  if (algorithm.scheme !== 'RSASSA-PSS' || algorithm.saltLength === undefined) return;
  const emLen = Math.ceil((modulusBits - 1) / 8);
  const max = emLen - digestAlgorithms[algorithm.digest].length - 2;
  if (algorithm.saltLength > max) {
    throw new CscError(
      'ERR_CSC_INVALID_REQUEST',
      `Invalid parameter signAlgoParams: saltLength ${algorithm.saltLength} exceeds ${max}, the largest a ${modulusBits}-bit key takes with ${algorithm.digest} (RFC 8017 §9.1.1)`,
    );
  }
}

const contradiction = (): CscError =>
  new CscError(
    'ERR_CSC_INVALID_REQUEST',
    'String parameter hashAlgorithmOID contradicts with signAlgo parameter',
  );

/**
 * Resolves the request. `hashAlgorithmOID` is REQUIRED when `signAlgo` does not imply the hash
 * (rsaEncryption; RSASSA-PSS without parameters is refused) and must agree when it does.
 */
export function resolveSignAlgo(input: {
  readonly signAlgo: string;
  readonly hashAlgorithmOid: string | undefined;
  readonly signAlgoParams: string | undefined;
  /** The parameter name of the hash algorithm (v2 `hashAlgorithmOID`, v1 `hashAlgo`). */
  readonly hashParamName?: string;
}): ResolvedSignAlgo {
  const hashName = input.hashParamName ?? 'hashAlgorithmOID';
  const given =
    input.hashAlgorithmOid === undefined ? undefined : digestFromOid(input.hashAlgorithmOid, hashName);
  if (input.signAlgo === oids.rsaEncryption) {
    if (given === undefined) throw missingParameter('string', hashName);
    return { scheme: 'RSASSA-PKCS1-v1_5', digest: given, keyType: 'RSA' };
  }
  if (input.signAlgo === oids.id_RSASSA_PSS) {
    if (input.signAlgoParams === undefined) throw missingParameter('string', 'signAlgoParams');
    const params = decodeBase64(input.signAlgoParams, 'signAlgoParams');
    if (params.length > 200) throw invalidParameter('signAlgoParams');
    // RFC 4055 §3.1 RSASSA-PSS-params (docs/security.md SAD-13): hash = MGF1 hash, trailer field 1;
    // any salt length RFC 8017 §9.1 allows (pyHanko's --prefer-pss asks for the largest the key
    // takes), checked against the key in checkPssSaltFits. The error names the field at fault.
    let pss: { readonly digest: DigestAlgorithm; readonly saltLength: number };
    try {
      pss = decodeRsassaPssParams(params);
    } catch (err) {
      const why = err instanceof Error ? err.message : 'unreadable';
      throw new CscError('ERR_CSC_INVALID_REQUEST', `Invalid parameter signAlgoParams: ${why}`);
    }
    if (given !== undefined && given !== pss.digest) throw contradiction();
    return { scheme: 'RSASSA-PSS', digest: pss.digest, saltLength: pss.saltLength, keyType: 'RSA' };
  }
  const entry = signatureAlgorithms.find((e) => e.oid === input.signAlgo && e.scheme !== 'RSASSA-PSS');
  if (entry === undefined) throw invalidParameter('signAlgo');
  if (input.signAlgoParams !== undefined) throw invalidParameter('signAlgoParams');
  if (given !== undefined && given !== entry.digest) throw contradiction();
  return { scheme: entry.scheme, digest: entry.digest, keyType: entry.keyType };
}

/** The OID of a digest algorithm. */
export function digestOid(digest: DigestAlgorithm): string {
  return digestAlgorithms[digest].oid;
}

/** The digest algorithm implied by a hash length (v1 authorize carries no algorithm). */
export function digestForLength(length: number): DigestAlgorithm | undefined {
  return Object.values(digestAlgorithms).find((d) => d.length === length)?.name;
}
