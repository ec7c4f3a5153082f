/**
 * The facts of a credential's certificate chain that the CSC API reports and checks (CSC API v2
 * §11.5 `key` and `cert`): key type and size, validity, serial, DNs. Parsed once per chain.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { oids, type KeyType, type NamedCurve } from '../cms/index.js';
import { describePublicKey } from '../keys/index.js';
import { nameToString, parseCertificate, serialToHex, spkiDer } from '../pki/index.js';
import { credentialCertificates, type CredentialRow } from '../store/index.js';

/** What the CSC layer knows about a credential's certificate and key. */
export interface CredentialCertificate {
  /** DER, leaf first. */
  readonly chain: readonly Uint8Array[];
  readonly keyType: KeyType;
  /** RSA modulus bits or EC field bits (CSC `key.len`). */
  readonly keyBits: number;
  readonly curve: NamedCurve | undefined;
  readonly publicKey: KeyObject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Lower-case hex (the CA store's serial form). */
  readonly serialHex: string;
  readonly issuerDN: string;
  readonly subjectDN: string;
}

const curveOids: Readonly<Record<NamedCurve, string>> = {
  'P-256': oids.secp256r1,
  'P-384': oids.secp384r1,
  'P-521': oids.secp521r1,
};
const curveBits: Readonly<Record<NamedCurve, number>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

/** The curve OID (CSC `key.curve`). */
export function curveOid(curve: NamedCurve): string {
  return curveOids[curve];
}

/**
 * By row id, with the chain text it was parsed from: a hit compares the text (a re-issued
 * certificate has another) instead of hashing the whole chain into the key on every lookup.
 */
const cache = new Map<string, { readonly chainText: string; readonly facts: CredentialCertificate }>();
const maxCached = 10_000;

/** RFC 4514 §2.1: RDNs from the last to the first. */
function rfc4514(name: Parameters<typeof nameToString>[0]): string {
  return nameToString([...name].reverse() as typeof name);
}

/**
 * Parses (memoised on the stored chain text) the certificate facts of a credential, or of one of
 * its further keys (`credential_keys`, which has the same two columns).
 */
export function credentialCertificate(row: Pick<CredentialRow, 'id' | 'certificate_chain'>): CredentialCertificate {
  const hit = cache.get(row.id);
  if (hit !== undefined && hit.chainText === row.certificate_chain) return hit.facts;
  const chain = credentialCertificates(row);
  const leafDer = chain[0] as Uint8Array;
  const leaf = parseCertificate(leafDer);
  const spki = spkiDer(leaf);
  const info = describePublicKey(spki);
  const tbs = leaf.tbsCertificate;
  const facts: CredentialCertificate = {
    chain,
    keyType: info.keyType,
    keyBits: info.keyType === 'RSA' ? info.bits : curveBits[info.curve],
    curve: info.keyType === 'EC' ? info.curve : undefined,
    publicKey: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    serialHex: serialToHex(new Uint8Array(tbs.serialNumber)),
    issuerDN: rfc4514(tbs.issuer),
    subjectDN: rfc4514(tbs.subject),
  };
  if (cache.size >= maxCached) cache.clear();
  cache.set(row.id, { chainText: row.certificate_chain, facts });
  return facts;
}

/** GeneralizedTime text `YYYYMMDDHHMMSSZ` (CSC v2 §11.5 validFrom/validTo). */
export function generalizedTime(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
}
