/**
 * Sizes /Contents from a dry run of the real CMS container, so it can never overflow
 * (the signed attributes have a fixed size for a given digest; the signature is at most
 * `maxSignatureSize` bytes).
 */
import { digestAlgorithms } from '../cms/algorithms.js';
import { buildSignedAttributes } from '../cms/signed-attributes.js';
import { buildSignedData } from '../cms/signed-data.js';
import type { PrepareOptions } from './types.js';

/** Slack for DER length octets that may grow by one byte each in the outer structures. */
const SLACK = 16;

type CapacityOptions = Pick<PrepareOptions, 'certificateChain' | 'signatureAlgorithm' | 'maxSignatureSize' | 'reserveBytes'>;

// A signer passes the same chain array to every signature of a batch: the dry run is done once
// per chain, algorithm and signature size.
const dryRuns = new WeakMap<readonly Uint8Array[], Map<string, number>>();

/** The number of bytes to reserve in /Contents for the CMS SignedData (plus `reserveBytes`). */
export function estimateContentsCapacity(options: CapacityOptions): number {
  const key = `${options.signatureAlgorithm.scheme}/${options.signatureAlgorithm.digest}/${options.maxSignatureSize}`;
  let perChain = dryRuns.get(options.certificateChain);
  if (perChain === undefined) {
    perChain = new Map();
    dryRuns.set(options.certificateChain, perChain);
  }
  let length = perChain.get(key);
  if (length === undefined) {
    length = dryRunLength(options);
    perChain.set(key, length);
  }
  return length + SLACK + (options.reserveBytes ?? 0);
}

function dryRunLength(options: CapacityOptions): number {
  const digestLength = digestAlgorithms[options.signatureAlgorithm.digest].length;
  const signedAttributes = buildSignedAttributes({
    messageDigest: new Uint8Array(digestLength),
    digestAlgorithm: options.signatureAlgorithm.digest,
    signingCertificate: options.certificateChain[0] ?? new Uint8Array(0),
  });
  const dryRun = buildSignedData({
    signedAttributes,
    signature: new Uint8Array(options.maxSignatureSize).fill(0xff),
    signatureAlgorithm: options.signatureAlgorithm,
    certificates: options.certificateChain,
  });
  return dryRun.length;
}
