/**
 * CSC `signAlgo` / `hashAlgorithmOID` / `signAlgoParams` → one entry of the algorithm table
 * (CSC API v2 §11.10; OIDs RFC 8017 App. C, RFC 5758 §3.2; PSS parameters RFC 4055 §3.1).
 * Default-deny: anything not in the table, or contradicting itself, is refused.
 */
import {
  decodeSignatureAlgorithmIdentifier,
  digestAlgorithms,
  digestByOid,
  oids,
  readElement,
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
    // Wrap the parameters into an AlgorithmIdentifier and let the CMS decoder apply RFC 4055
    // §3.1 policy: hash = MGF1 hash, salt length = hLen, trailer field 1 (SECURITY.md SAD-13).
    const oidDer = Buffer.from('06092a864886f70d01010a', 'hex');
    const content = Buffer.concat([oidDer, Buffer.from(params)]);
    const header = content.length < 0x80 ? [0x30, content.length] : [0x30, 0x81, content.length];
    const der = new Uint8Array(Buffer.concat([Buffer.from(header), content]));
    let alg: SignatureAlgorithm;
    try {
      alg = decodeSignatureAlgorithmIdentifier(der, readElement(der, 0), 'SHA-256');
    } catch {
      throw invalidParameter('signAlgoParams');
    }
    if (given !== undefined && given !== alg.digest) throw contradiction();
    return { ...alg, keyType: 'RSA' };
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
