/**
 * The approval commitment (docs/decisions/0001 contract 3; issue 12): the value the second factor
 * of a signing approval is bound to — `SHA-256(canonical JSON {batchRoot, credentialID,
 * hashAlgorithmOID, hashes (ordered), numSignatures, requestId, nonce})`. A passkey assertion must carry it as its
 * challenge (W3C WebAuthn L2 §7.2 step 12: the signed clientDataJSON.challenge), so the signature
 * of the person's authenticator covers exactly these hashes (CEN EN 419 241-1 SCAL2: the SAD links
 * the authentication to the data to be signed); with a one-time code the consent record holds it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalDetails } from '../../audit/index.js';
import { batchRoot, emptyTreeHash } from '../../transparency/index.js';
import type { CredentialAuthorization } from './types.js';

/** What the commitment covers. */
export interface CommitmentInput {
  readonly credential: CredentialAuthorization;
  readonly requestId: string;
  /** Base64url server nonce, fresh for each consent page. */
  readonly nonce: string;
}

/**
 * Issue 21: the RFC 9162 §2.1.1 Merkle root of the ordered hashes (leaf data = the hash bytes), the
 * root the SAD binds and the receipts prove against; base64.
 */
export function approvedBatchRoot(credential: CredentialAuthorization): string {
  const hashes = credential.documentDigests.map((d) => new Uint8Array(Buffer.from(d.hash, 'base64')));
  return Buffer.from(hashes.length === 0 ? emptyTreeHash() : batchRoot(hashes)).toString('base64');
}

/** The canonical JSON text that is hashed (sorted keys, no white space). */
export function commitmentText(input: CommitmentInput): string {
  const c = input.credential;
  return canonicalDetails({
    batchRoot: approvedBatchRoot(c),
    credentialID: c.credentialId,
    hashAlgorithmOID: c.hashAlgorithmOid,
    hashes: c.documentDigests.map((d) => d.hash),
    numSignatures: c.numSignatures,
    requestId: input.requestId,
    nonce: input.nonce,
  });
}

/** SHA-256 of the canonical JSON: 32 bytes, the passkey challenge of the approval. */
export function approvalCommitment(input: CommitmentInput): Uint8Array {
  return new Uint8Array(createHash('sha256').update(commitmentText(input), 'utf8').digest());
}

/** A fresh 128-bit nonce for one consent page. */
export function commitmentNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** Constant-time equality of two commitments. */
export function isSameCommitment(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
