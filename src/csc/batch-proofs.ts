/**
 * The Signet extension parameter `signet_batchProofs` of signatures/signHash (issue 21, docs/csc.md):
 * for each entry of `hashes`, its place in the batch the person approved and its RFC 9162 §2.1.3.1
 * audit path, `{leafIndex, proof: [base64 SHA-256 …]}`. CSC v2 §11.10 allows extension parameters;
 * a client that does not know it sends the exact list as before.
 */
import type { BatchProof } from '../transparency/index.js';
import { invalidParameter, missingParameter } from './errors.js';
import { decodeBase64, type CscBody } from './request-params.js';

const NAME = 'signet_batchProofs';
/** A path longer than this cannot belong to a batch of at most 2^32 hashes. */
const MAX_PATH = 32;

/** The proofs aligned with `hashCount` hashes, or undefined when the parameter is absent. */
export function optionalBatchProofs(body: CscBody, hashCount: number): BatchProof[] | undefined {
  const v = body[NAME];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw missingParameter('array', NAME);
  if (v.length !== hashCount) throw invalidParameter(NAME);
  return v.map((item: unknown): BatchProof => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw invalidParameter(NAME);
    const { leafIndex, proof } = item as Record<string, unknown>;
    if (typeof leafIndex !== 'number' || !Number.isSafeInteger(leafIndex) || leafIndex < 0) {
      throw invalidParameter(NAME);
    }
    if (!Array.isArray(proof) || proof.length > MAX_PATH) throw invalidParameter(NAME);
    const path = proof.map((p: unknown) => {
      if (typeof p !== 'string') throw invalidParameter(NAME);
      const bytes = decodeBase64(p, NAME);
      if (bytes.length !== 32) throw invalidParameter(NAME);
      return bytes;
    });
    return { leafIndex, path };
  });
}
