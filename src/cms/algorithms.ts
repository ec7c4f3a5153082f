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

/**
 * Digests a validator still recognises in other producers' signatures although Signet never
 * creates them: ETSI TS 119 312 §6.2 lists SHA-1 and SHA-224 among the weak or legacy hash
 * functions, so a signature using one is judged by the validation policy, not refused unread.
 */
export type LegacyDigestAlgorithm = 'SHA-1' | 'SHA-224';

/** Every digest a verifier can compute: the accepted ones and the legacy ones. */
export type VerifiableDigest = DigestAlgorithm | LegacyDigestAlgorithm;

/** The table entry of a verifiable digest. */
export interface VerifiableDigestEntry {
  readonly name: VerifiableDigest;
  readonly oid: string;
  readonly nodeName: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  readonly length: number;
}

/** Accepted and legacy digests (RFC 3370 §2.1 id-sha1, RFC 5754 §2 id-sha224). */
export const verifiableDigests: Readonly<Record<VerifiableDigest, VerifiableDigestEntry>> = {
  ...digestAlgorithms,
  'SHA-1': { name: 'SHA-1', oid: '1.3.14.3.2.26', nodeName: 'sha1', length: 20 },
  'SHA-224': { name: 'SHA-224', oid: '2.16.840.1.101.3.4.2.4', nodeName: 'sha224', length: 28 },
};

/** True for a digest outside the accepted table (a validation policy decides what it means). */
export function isLegacyDigest(digest: VerifiableDigest): digest is LegacyDigestAlgorithm {
  return !(digest in digestAlgorithms);
}

/** Finds an accepted or legacy digest by OID. */
export function verifiableDigestByOid(oid: string): VerifiableDigestEntry | undefined {
  return Object.values(verifiableDigests).find((d) => d.oid === oid);
}

/**
 * A signature algorithm: scheme plus digest (for PSS: MGF1 with the same digest, salt = hLen
 * unless `saltLength` says otherwise). `D` widens to {@link VerifiableDigest} for what a
 * validator reads; everything Signet creates uses the accepted digests.
 */
export interface SignatureAlgorithm<D extends VerifiableDigest = DigestAlgorithm> {
  readonly scheme: SignatureScheme;
  readonly digest: D;
  /** RSASSA-PSS salt length in bytes when it is not the hash length (RFC 8017 §9.1.1 allows any). */
  readonly saltLength?: number;
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
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14',
  ecdsa_with_SHA1: '1.2.840.10045.4.1',
  ecdsa_with_SHA224: '1.2.840.10045.4.3.1',
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

const curveAliases: Readonly<Record<string, NamedCurve>> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};

/**
 * The NamedCurve of an OpenSSL curve name (node:crypto's `asymmetricKeyDetails.namedCurve`:
 * prime256v1, secp384r1, secp521r1) or a NIST/JOSE one (P-256 …); undefined for any other curve.
 *
 * @example
 * ```ts
 * namedCurveOf(key.asymmetricKeyDetails?.namedCurve); // 'P-256' for prime256v1
 * ```
 */
export function namedCurveOf(name: string | undefined): NamedCurve | undefined {
  return name !== undefined && Object.hasOwn(curveAliases, name) ? curveAliases[name] : undefined;
}

/** The digest matching an EC curve's strength (ETSI TS 119 312 pairing). */
export function digestForCurve(curve: NamedCurve): DigestAlgorithm {
  return curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
}
