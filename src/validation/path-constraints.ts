/**
 * The constraints RFC 5280 §6.1.4 puts on a certification path beyond signatures and validity:
 * an issuer's key usage must allow certificate signing (k, n), an issuer's pathLenConstraint
 * bounds the CA certificates below it (l, m), and a critical extension this validator does not
 * process fails the path (o; §6.1.5 f for the end-entity certificate). A signer's key usage, when
 * present, must allow signatures (§4.2.1.3: digitalSignature or nonRepudiation).
 */
import type { X509Certificate } from 'node:crypto';
import { childrenOf, contentOf, readElement, readOid, tags, type DerElement } from '../cms/der.js';
import { CmsError } from '../cms/errors.js';

const oids = {
  keyUsage: '2.5.29.15',
  basicConstraints: '2.5.29.19',
} as const;

/**
 * The extensions whose criticality this validator honours: it processes them, or they do not
 * restrict the path (identifiers and locators). Certificate policies are accepted as any-policy
 * (no policy is required by the caller, RFC 5280 §6.1.1 c initial-policy-set any-policy).
 */
const understood = new Set([
  oids.keyUsage,
  oids.basicConstraints,
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.17', // subjectAltName
  '2.5.29.18', // issuerAltName
  '2.5.29.37', // extKeyUsage (checked where a purpose is needed: TSA, OCSP signer)
  '2.5.29.32', // certificatePolicies
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.46', // freshestCRL
  '1.3.6.1.5.5.7.1.1', // authorityInfoAccess
  '1.3.6.1.5.5.7.1.3', // qcStatements (ETSI EN 319 412-5)
  '1.3.6.1.5.5.7.48.1.5', // id-pkix-ocsp-nocheck
]);

/** One extension of a certificate: its identifier, criticality and value's content. */
interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

function extensionsOf(der: Uint8Array): Extension[] {
  const certificate = readElement(der, 0);
  const [tbs] = childrenOf(der, certificate);
  if (tbs === undefined) return [];
  const wrapper = childrenOf(der, tbs).find((el) => el.tag === 0xa3); // [3] EXPLICIT Extensions
  if (wrapper === undefined) return [];
  const [list] = childrenOf(der, wrapper);
  if (list === undefined) return [];
  return childrenOf(der, list).map((ext) => {
    const parts = childrenOf(der, ext);
    const oid = readOid(der, parts[0] as DerElement);
    const flag = parts.length === 3 ? parts[1] : undefined;
    const critical = flag !== undefined && flag.tag === 0x01 && der[flag.contentStart] !== 0;
    const value = parts[parts.length - 1] as DerElement;
    if (value.tag !== tags.octetString)
      throw new CmsError('ERR_CMS_DER', 'extnValue is not an OCTET STRING');
    return { oid, critical, value: contentOf(der, value) };
  });
}

/** KeyUsage bit `bit` (RFC 5280 §4.2.1.3: digitalSignature 0, nonRepudiation 1, keyCertSign 5). */
function hasKeyUsage(value: Uint8Array, bit: number): boolean {
  const bits = readElement(value, 0);
  if (bits.tag !== tags.bitString)
    throw new CmsError('ERR_CMS_DER', 'keyUsage is not a BIT STRING');
  const byte = value[bits.contentStart + 1 + (bit >> 3)];
  return (
    byte !== undefined &&
    bits.contentStart + 1 + (bit >> 3) < bits.end &&
    (byte & (0x80 >> (bit & 7))) !== 0
  );
}

/** basicConstraints' cA flag (DEFAULT FALSE). */
function isCa(value: Uint8Array): boolean {
  const sequence = readElement(value, 0);
  const flag = childrenOf(value, sequence).find((el) => el.tag === 0x01);
  return flag !== undefined && value[flag.contentStart] !== 0;
}

/** basicConstraints' pathLenConstraint, when one is given. */
function pathLength(value: Uint8Array): number | undefined {
  const sequence = readElement(value, 0);
  const length = childrenOf(value, sequence).find((el) => el.tag === tags.integer);
  if (length === undefined) return undefined;
  const content = contentOf(value, length);
  if (content.length > 4 || (content[0] ?? 0) & 0x80) return Number.MAX_SAFE_INTEGER;
  return content.reduce((n, b) => n * 256 + b, 0);
}

function named(cert: X509Certificate): string {
  return cert.subject.replace(/\n/g, ', ');
}

/**
 * The problems of `chain` (leaf first, anchor last when found) under RFC 5280 §6.1.4; empty when
 * none. The trust anchor's own extensions are not constraints (§6.1.1 d: its key and name are the
 * inputs), so only its pathLenConstraint is applied, as OpenSSL does.
 *
 * @example
 * ```ts
 * const problems = pathConstraintProblems(chain, true);
 * if (problems.length > 0) status = 'invalid';
 * ```
 */
export function pathConstraintProblems(
  chain: readonly X509Certificate[],
  anchored: boolean,
): string[] {
  const problems: string[] = [];
  // Each certificate's extensions read once; undefined when they cannot be read.
  const read = chain.map((cert): Extension[] | undefined => {
    try {
      return extensionsOf(new Uint8Array(cert.raw));
    } catch {
      return undefined;
    }
  });
  const checked = anchored ? chain.slice(0, -1) : chain;
  checked.forEach((cert, index) => {
    const extensions = read[index];
    if (extensions === undefined) {
      problems.push(`the extensions of ${named(cert)} cannot be read`);
      return;
    }
    for (const ext of extensions) {
      if (ext.critical && !understood.has(ext.oid))
        problems.push(
          `${named(cert)} has a critical extension this validator does not process (${ext.oid}, RFC 5280 §6.1.4 o)`,
        );
    }
    const keyUsage = extensions.find((e) => e.oid === oids.keyUsage);
    try {
      if (index === 0) {
        if (
          keyUsage !== undefined &&
          !hasKeyUsage(keyUsage.value, 0) &&
          !hasKeyUsage(keyUsage.value, 1)
        )
          problems.push(
            `the key usage of ${named(cert)} allows neither digitalSignature nor nonRepudiation (RFC 5280 §4.2.1.3)`,
          );
        return;
      }
      if (keyUsage !== undefined && !hasKeyUsage(keyUsage.value, 5))
        problems.push(
          `the key usage of ${named(cert)} does not allow keyCertSign (RFC 5280 §6.1.4 n)`,
        );
      const bc = extensions.find((e) => e.oid === oids.basicConstraints);
      if (bc === undefined || !isCa(bc.value))
        problems.push(
          `${named(cert)} issued a certificate of the path but is not a CA (basicConstraints, RFC 5280 §6.1.4 k)`,
        );
    } catch {
      problems.push(`the key usage or basic constraints of ${named(cert)} cannot be read`);
    }
  });
  // §6.1.4 (l, m): a CA's pathLenConstraint counts the non-self-issued CA certificates below it
  // (the end-entity certificate excluded). chain[i] issued chain[i-1]; anchors included.
  for (let i = 1; i < chain.length; i++) {
    const cert = chain[i] as X509Certificate;
    // An unreadable certificate is reported above, unless it is the anchor (its own affair).
    const bc = read[i]?.find((e) => e.oid === oids.basicConstraints);
    let limit: number | undefined;
    try {
      limit = bc === undefined ? undefined : pathLength(bc.value);
    } catch {
      continue;
    }
    if (limit === undefined) continue;
    const below = chain.slice(1, i).filter((c) => c.subject !== c.issuer).length;
    if (below > limit)
      problems.push(
        `${named(cert)} allows ${limit} CA certificate(s) below it (pathLenConstraint), the path has ${below} (RFC 5280 §6.1.4 m)`,
      );
  }
  return problems;
}
