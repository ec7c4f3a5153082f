/**
 * Opaque bearer values (SADs, authorization codes, access and refresh tokens): 256 random bits,
 * base64url on the wire, only their SHA-256 in the database (docs/security.md SAD-20, OA-20; RFC 6749 §10.10).
 */
import { createHash, randomBytes } from 'node:crypto';

/** A fresh token and the hash under which it is stored. The token is shown once and never stored. */
export interface OpaqueToken {
  readonly token: string;
  readonly hash: Uint8Array;
}

/** SHA-256 of a presented token, for lookup. */
export function hashOpaqueToken(token: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(token, 'utf8').digest());
}

/** Generates a 256-bit random token (43 base64url characters) and its hash. */
export function generateOpaqueToken(): OpaqueToken {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}
