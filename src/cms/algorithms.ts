/**
 * The one signature-algorithm table (after jose): OIDs, digests, node:crypto parameters and
 * PKCS#11 mechanisms. Everything else receives a resolved entry and never switches on an OID.
 * OIDs: RFC 4055 / RFC 8017 (RSA), RFC 5758 (ECDSA), RFC 5754 / FIPS 180-4 (SHA-2).
 */

/** Digest algorithms Signet accepts (SHA-1 and MD5 are refused everywhere). */
export type DigestAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';

/** Signature schemes. */
export type SignatureScheme = 'RSASSA-PKCS1-v1_5' | 'RSASSA-PSS' | 'ECDSA';

/** Key types. */
export type KeyType = 'RSA' | 'EC';

/** Named curves Signet accepts. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

/** A digest algorithm's table entry. */
export interface DigestEntry {
  readonly name: DigestAlgorithm;
  /** id-sha256 etc. (RFC 5754 §2). */
  readonly oid: string;
  /** node:crypto hash name. */
  readonly nodeName: 'sha256' | 'sha384' | 'sha512';
  /** Output length in bytes. */
  readonly length: number;
}

export const digestAlgorithms: Readonly<Record<DigestAlgorithm, DigestEntry>> = {
  'SHA-256': { name: 'SHA-256', oid: '2.16.840.1.101.3.4.2.1', nodeName: 'sha256', length: 32 },
  'SHA-384': { name: 'SHA-384', oid: '2.16.840.1.101.3.4.2.2', nodeName: 'sha384', length: 48 },
  'SHA-512': { name: 'SHA-512', oid: '2.16.840.1.101.3.4.2.3', nodeName: 'sha512', length: 64 },
};

/** A signature algorithm: scheme plus digest (for PSS: MGF1 with the same digest, salt = hLen). */
export interface SignatureAlgorithm {
  readonly scheme: SignatureScheme;
  readonly digest: DigestAlgorithm;
}

/** The resolved table entry for one signature algorithm. */
export interface SignatureEntry extends SignatureAlgorithm {
  /** Short stable name, e.g. `RSA-SHA256`, `RSA-PSS-SHA256`, `ECDSA-SHA256`. */
  readonly id: string;
  /**
   * OID of the AlgorithmIdentifier placed in SignerInfo.signatureAlgorithm / X.509. For PSS this
   * is id-RSASSA-PSS and the parameters carry the digest (RFC 4055 §3.1).
   */
  readonly oid: string;
  readonly keyType: KeyType;
  /** Minimum key size in bits (RSA modulus) accepted for this algorithm. */
  readonly minKeyBits: number;
  /** PKCS#11 mechanism name for signing a pre-computed digest (the token never hashes). */
  readonly pkcs11Mechanism: 'CKM_RSA_PKCS' | 'CKM_RSA_PKCS_PSS' | 'CKM_ECDSA';
}

/** OIDs named in RFC 8017 App. C / RFC 5758 §3.2. */
export const oids = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  id_RSASSA_PSS: '1.2.840.113549.1.1.10',
  id_mgf1: '1.2.840.113549.1.1.8',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  id_ecPublicKey: '1.2.840.10045.2.1',
  ecdsa_with_SHA256: '1.2.840.10045.4.3.2',
  ecdsa_with_SHA384: '1.2.840.10045.4.3.3',
  ecdsa_with_SHA512: '1.2.840.10045.4.3.4',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
} as const;

function entry(
  scheme: SignatureScheme,
  digest: DigestAlgorithm,
  oid: string,
): SignatureEntry {
  const bits = digest.slice(4);
  const id =
    scheme === 'RSASSA-PKCS1-v1_5'
      ? `RSA-SHA${bits}`
      : scheme === 'RSASSA-PSS'
        ? `RSA-PSS-SHA${bits}`
        : `ECDSA-SHA${bits}`;
  return {
    id,
    scheme,
    digest,
    oid,
    keyType: scheme === 'ECDSA' ? 'EC' : 'RSA',
    minKeyBits: scheme === 'ECDSA' ? 256 : 2048,
    pkcs11Mechanism:
      scheme === 'RSASSA-PKCS1-v1_5'
        ? 'CKM_RSA_PKCS'
        : scheme === 'RSASSA-PSS'
          ? 'CKM_RSA_PKCS_PSS'
          : 'CKM_ECDSA',
  };
}

/** Every supported signature algorithm. */
export const signatureAlgorithms: readonly SignatureEntry[] = [
  entry('RSASSA-PKCS1-v1_5', 'SHA-256', oids.sha256WithRSAEncryption),
  entry('RSASSA-PKCS1-v1_5', 'SHA-384', oids.sha384WithRSAEncryption),
  entry('RSASSA-PKCS1-v1_5', 'SHA-512', oids.sha512WithRSAEncryption),
  entry('RSASSA-PSS', 'SHA-256', oids.id_RSASSA_PSS),
  entry('RSASSA-PSS', 'SHA-384', oids.id_RSASSA_PSS),
  entry('RSASSA-PSS', 'SHA-512', oids.id_RSASSA_PSS),
  entry('ECDSA', 'SHA-256', oids.ecdsa_with_SHA256),
  entry('ECDSA', 'SHA-384', oids.ecdsa_with_SHA384),
  entry('ECDSA', 'SHA-512', oids.ecdsa_with_SHA512),
];

/** Resolves a scheme + digest to its table entry (every combination exists). */
export function resolveSignatureAlgorithm(alg: SignatureAlgorithm): SignatureEntry {
  const found = signatureAlgorithms.find((e) => e.scheme === alg.scheme && e.digest === alg.digest);
  // The table is total over SignatureScheme × DigestAlgorithm.
  return found as SignatureEntry;
}

/** Finds a digest entry by OID, or undefined when the OID is not an accepted digest. */
export function digestByOid(oid: string): DigestEntry | undefined {
  return Object.values(digestAlgorithms).find((d) => d.oid === oid);
}

/** The digest matching an EC curve's strength (ETSI TS 119 312 pairing). */
export function digestForCurve(curve: NamedCurve): DigestAlgorithm {
  return curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
}
