/**
 * Builds and checks a certification path from the signer's certificate to a trust anchor
 * (RFC 5280 §6.1: signatures, validity at the given time, CA basic constraints, and the key
 * usage, path length and critical-extension rules of path-constraints.ts; no name constraints or
 * policy mapping: a critical one of those fails the path). Revocation is path-revocation.ts's.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { ChainStatus } from './types.js';
import { pathConstraintProblems } from './path-constraints.js';

const MAX_PATH = 10;

/**
 * Parsed certificates by fingerprint (bounded): one report builds the paths of the signer and of
 * every time-stamp over the same pool, several times (bench/validation). X509Certificate is
 * immutable, so sharing it is safe.
 */
const parsedMemo = new Map<string, X509Certificate | undefined>();
const MAX_PARSED = 1024;

function parse(der: Uint8Array): X509Certificate | undefined {
  const key = createHash('sha256').update(der).digest('hex');
  if (parsedMemo.has(key)) return parsedMemo.get(key);
  let cert: X509Certificate | undefined;
  try {
    cert = new X509Certificate(der);
  } catch {
    cert = undefined;
  }
  if (parsedMemo.size >= MAX_PARSED) parsedMemo.clear();
  parsedMemo.set(key, cert);
  return cert;
}

function within(cert: X509Certificate, at: Date): boolean {
  return new Date(cert.validFrom) <= at && at <= new Date(cert.validTo);
}

/**
 * `cert` names `issuer` as its issuer and carries its signature. Not X509Certificate.checkIssued:
 * OpenSSL's check also refuses an issuer whose key usage lacks keyCertSign, which would hide a
 * path that exists but breaks a constraint (CHAIN_CONSTRAINTS_FAILURE) as no path at all.
 */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.issuer === issuer.subject && cert.verify(issuer.publicKey);
}

/** The path found (leaf first) and its status. */
export interface PathResult {
  readonly status: ChainStatus;
  readonly chain: readonly X509Certificate[];
  readonly problems: readonly string[];
}

/** Finds a path from `leaf` through `pool` to one of `anchors`, checked at time `at`. */
export function buildCertificatePath(
  leafDer: Uint8Array,
  pool: readonly Uint8Array[],
  anchors: readonly Uint8Array[],
  at: Date,
): PathResult {
  const leaf = parse(leafDer);
  if (!leaf) return { status: 'invalid', chain: [], problems: ['the signer certificate cannot be parsed'] };
  const candidates = pool.map(parse).filter((c): c is X509Certificate => c !== undefined);
  const trust = anchors.map(parse).filter((c): c is X509Certificate => c !== undefined);
  const chain: X509Certificate[] = [leaf];
  const problems: string[] = [];

  let current = leaf;
  for (let depth = 0; depth < MAX_PATH; depth++) {
    const anchor = trust.find((a) => a.fingerprint256 === current.fingerprint256 || issuedBy(current, a));
    if (anchor) {
      if (anchor.fingerprint256 !== current.fingerprint256) chain.push(anchor);
      const expired = chain.filter((c) => !within(c, at));
      if (expired.length > 0) {
        problems.push(`certificate not valid at ${at.toISOString()}: ${expired.map((c) => c.subject.replace(/\n/g, ', ')).join('; ')}`);
        return { status: 'expired', chain, problems };
      }
      const constraints = pathConstraintProblems(chain, true);
      if (constraints.length > 0) return { status: 'invalid', chain, problems: [...problems, ...constraints] };
      return { status: 'trusted', chain, problems };
    }
    const issuer = candidates.find(
      (c) => c.fingerprint256 !== current.fingerprint256 && issuedBy(current, c),
    );
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  problems.push('no path to a trusted certificate');
  return { status: 'untrusted', chain, problems };
}
