/**
 * signatures/timestamp (CSC API v2 §11.13): an RFC 3161 TimeStampToken over a client hash from the
 * TSA wired in deps (`hash` → MessageImprint.hashedMessage, `hashAlgo`, optional hex `nonce`).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { MessageImprint, TimeStampReq } from '@peculiar/asn1-tsp';
import { randomBytes } from 'node:crypto';
import { digestAlgorithms, type DigestAlgorithm } from '../cms/index.js';
import { readTimestampReply, type TimestampReply } from '../cms/pki-verification.js';
import type { Timestamper } from '../pades/index.js';
import type { TimestampAuthority } from '../pki/index.js';
import type { CscDeps, CscRequestContext } from './csc-deps.js';
import { CscError, invalidParameter } from './errors.js';
import { asBody, decodeBase64, optionalString, requiredString, toBase64 } from './request-params.js';
import { requireBearer, type RequestTrail } from './request-scope.js';
import { digestFromOid } from './sign-algorithm.js';

/** signatures/timestamp: `{timestamp}` (Base64 DER TimeStampToken). */
export async function timestamp(
  deps: CscDeps,
  rawBody: unknown,
  ctx: CscRequestContext,
  trail: RequestTrail,
): Promise<{ timestamp: string }> {
  const body = asBody(rawBody);
  await requireBearer(deps, ctx, trail);
  const hash = decodeBase64(requiredString(body, 'hash', 200), 'hash string parameter');
  const digest = digestFromOid(requiredString(body, 'hashAlgo', 64), 'hashAlgo');
  if (hash.length !== digestAlgorithms[digest].length) {
    throw new CscError('ERR_CSC_INVALID_REQUEST', 'Invalid digest value length');
  }
  const nonceHex = optionalString(body, 'nonce', 64);
  if (nonceHex !== undefined && !/^(?:[0-9a-fA-F]{2}){1,32}$/.test(nonceHex)) throw invalidParameter('nonce');
  optionalString(body, 'clientData', 4096);
  const tsa = deps.tsa;
  if (tsa === undefined) throw new CscError('ERR_CSC_NOT_IMPLEMENTED', 'No timestamp authority is configured');
  const nonce = nonceHex === undefined ? undefined : nonceInteger(Buffer.from(nonceHex, 'hex'));
  return { timestamp: toBase64(await requestToken(tsa, hash, digest, nonce)) };
}

/**
 * The content octets of the nonce INTEGER (RFC 3161 §2.4.1) for the unsigned value `bytes`: X.690
 * §8.3.2 minimal encoding — leading zero octets removed, one 0x00 added only when the first octet
 * has its high bit set (the value stays positive). `0a…` stays `0a…`; `8f…` becomes `00 8f…`.
 */
export function nonceInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const magnitude = bytes.subarray(start);
  return (magnitude[0] ?? 0) & 0x80 ? new Uint8Array(Buffer.concat([Buffer.from([0]), magnitude])) : new Uint8Array(magnitude);
}

/** Asks the in-process TSA for a token over `hash` (DER TimeStampToken). */
async function requestToken(
  tsa: TimestampAuthority,
  hash: Uint8Array,
  digest: DigestAlgorithm,
  nonce: Uint8Array | undefined,
): Promise<Uint8Array> {
  const request = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({
      hashAlgorithm: new AlgorithmIdentifier({ algorithm: digestAlgorithms[digest].oid }),
      hashedMessage: new OctetString(hash),
    }),
    certReq: true,
    ...(nonce === undefined ? {} : { nonce: new Uint8Array(nonce).buffer }),
  });
  const der = await tsa.respond(new Uint8Array(AsnConvert.serialize(request)));
  let reply: TimestampReply;
  try {
    reply = readTimestampReply(der);
  } catch (cause) {
    // The reader's ERR_PKI_TSA_RESPONSE_INVALID is this endpoint's backend fault.
    throw new CscError('ERR_CSC_BACKEND_UNAVAILABLE', 'The timestamp authority refused the request', { cause });
  }
  if (!reply.isGranted || reply.token === undefined) {
    throw new CscError('ERR_CSC_BACKEND_UNAVAILABLE', 'The timestamp authority refused the request', {
      detail: { status: reply.status },
    });
  }
  return reply.token;
}

/** A PAdES Timestamper (B-T and beyond) over the in-process TSA. */
export function tsaTimestamper(tsa: TimestampAuthority): Timestamper {
  return {
    timestamp: (digest, digestAlgorithm) => requestToken(tsa, digest, digestAlgorithm, randomNonce()),
  };
}

function randomNonce(): Uint8Array {
  const nonce = randomBytes(16);
  nonce[0] = ((nonce[0] as number) & 0x7f) | 0x01; // positive, no leading zero octet
  return new Uint8Array(nonce);
}
