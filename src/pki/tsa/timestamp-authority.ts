/**
 * RFC 3161 Time-Stamp Authority: application/timestamp-query → application/timestamp-reply
 * (§3.4). Checks the request (§2.4.1), answers rejection with the right PKIFailureInfo (badAlg,
 * badDataFormat, unacceptedPolicy, unacceptedExtension), and grants TSTInfo (§2.4.2) with the
 * policy OID, accuracy, nonce echo, unique increasing serial numbers and ESSCertIDv2. Before a
 * genTime is written the node's clock is checked against the store's reference time (the
 * database clock shared by every node): off by more than the tolerance, the request is rejected
 * with timeNotAvailable instead of stamped with a wrong time (docs/security.md FLT-17).
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIFreeText, PKIStatus, PKIStatusInfo, TimeStampResp } from '@peculiar/asn1-tsp';
import type { Clock } from '../../core/clock.js';
import { digestAlgorithms, type DigestAlgorithm } from '../../cms/algorithms.js';
import type { CaKey } from '../ca-key.js';
import { binaryResponse, mediaType, textResponse, type PkiHttpHandler } from '../http/pki-http.js';
import type { CaStore } from '../store/ca-store.js';
import { derTree, encodeDerTree, tags } from '../../cms/der.js';
import { PkiError } from '../errors.js';
import { createTimestampTokenEncoder } from './timestamp-token.js';
import { parseTimeStampReq } from './time-stamp-req.js';
import { createClockGuard } from './clock-guard.js';
import { pkiFailureInfo, type PkiFailure } from './pki-failure-info.js';

export type { PkiFailure } from './pki-failure-info.js';

/** Options of createTimestampAuthority. */
export interface TimestampAuthorityOptions {
  readonly key: CaKey;
  /** The TSA certificate (critical EKU id-kp-timeStamping only). */
  readonly certificate: Uint8Array;
  /** Further certificates sent when certReq is true (issuing CA, optionally root). */
  readonly chain?: readonly Uint8Array[];
  /** The TSA policy OID (§2.4.2 policy). */
  readonly policyOid: string;
  /** Declared accuracy of genTime (§2.4.2 accuracy). Default 1 second. */
  readonly accuracy?: { readonly seconds?: number; readonly millis?: number; readonly micros?: number };
  /** Serial numbers come from this counter (monotonic, unique across processes sharing the store). */
  readonly store: CaStore;
  readonly clock: Clock;
  /** Message-imprint hash algorithms accepted (default SHA-256/384/512). */
  readonly acceptedDigests?: readonly DigestAlgorithm[];
  /** Largest request accepted (default 16 KiB). */
  readonly maxRequestBytes?: number;
  /**
   * Serials reserved from the store per round trip (1..65536, default 256). Each block is one
   * atomic reservation, persisted by the store before any of its serials is used, so serials stay
   * unique across processes, restarts and a SIGKILL (what a stopped process did not use is
   * skipped: at most two blocks, the one in use and the one reserved ahead); they increase within
   * this process. With blocks of more than one, the next block is reserved in the background once
   * half of the current one is used, so a token never waits on the store. 1: strictly increasing
   * across every process sharing the store, at the cost of one store write per token.
   */
  readonly serialBlockSize?: number;
  /** Who reserves the blocks (the node id): passed to the store, which audits each block. */
  readonly reservedBy?: string;
  /**
   * The reference the TSA's clock is checked against before each genTime (docs/security.md FLT-17).
   * Default: the store's referenceTime() when it has one (the database's clock); `false` turns
   * the check off (a single-process TSA whose only clock is its own).
   */
  readonly referenceTime?: (() => Promise<Date>) | false;
  /** Largest accepted difference from the reference, ms (default: the declared accuracy, at least 1 s). */
  readonly clockToleranceMs?: number;
}

/** The TSA: a DER-level function and the HTTP handler over it. */
export interface TimestampAuthority {
  /** Answers one DER TimeStampReq with a DER TimeStampResp (never throws for bad input). */
  respond(request: Uint8Array): Promise<Uint8Array>;
  readonly handler: PkiHttpHandler;
  /** Tokens granted by this instance since it was made. */
  granted(): number;
}

/** Largest serial block (a stopped node skips at most two blocks of serial numbers). */
export const maxSerialBlockSize = 65_536;

/** The counter name used for TSA serial numbers. */
export const tsaSerialCounter = 'tsa-serial';

/** Default serial block: one store write (an fsync for the file store) per 256 tokens. */
export const defaultSerialBlockSize = 256;


function rejection(failure: PkiFailure, text: string): Uint8Array {
  const resp = new TimeStampResp({
    status: new PKIStatusInfo({
      status: PKIStatus.rejection,
      statusString: new PKIFreeText([text]),
      failInfo: pkiFailureInfo(failure),
    }),
  });
  return new Uint8Array(AsnConvert.serialize(resp));
}

/**
 * Creates a TSA.
 *
 * @example
 * ```ts
 * const tsa = createTimestampAuthority({ key, certificate, policyOid: '2.25.1', store, clock });
 * const reply = await tsa.respond(timeStampReqDer);
 * ```
 */
export function createTimestampAuthority(options: TimestampAuthorityOptions): TimestampAuthority {
  const accepted = new Map(
    (options.acceptedDigests ?? ['SHA-256', 'SHA-384', 'SHA-512']).map((name: DigestAlgorithm) => [digestAlgorithms[name].oid, digestAlgorithms[name]]),
  );
  const maxBytes = options.maxRequestBytes ?? 16 * 1024;
  const accuracy = options.accuracy ?? { seconds: 1 };
  const encoder = createTimestampTokenEncoder({
    key: options.key,
    certificate: options.certificate,
    chain: options.chain ?? [],
    policyOid: options.policyOid,
    accuracy,
  });
  // PKIStatusInfo { status granted } is the same in every granted reply.
  const grantedStatus = new Uint8Array(AsnConvert.serialize(new PKIStatusInfo({ status: PKIStatus.granted })));
  const block = options.serialBlockSize ?? defaultSerialBlockSize;
  if (!Number.isInteger(block) || block < 1 || block > maxSerialBlockSize) {
    throw new PkiError('ERR_PKI_TSA_CONFIG', `the serial block size must be an integer in 1..${maxSerialBlockSize}`);
  }
  const accuracyMs = (accuracy.seconds ?? 0) * 1000 + (accuracy.millis ?? 0) + (accuracy.micros ?? 0) / 1000;
  const storeReference = options.store.referenceTime?.bind(options.store);
  const reference = options.referenceTime === false ? undefined : (options.referenceTime ?? storeReference);
  // The clock check is amortised: one reference sample per interval, a monotonic comparison per token.
  const clockGuard = reference
    ? createClockGuard({ clock: options.clock, reference, toleranceMs: options.clockToleranceMs ?? Math.max(1000, accuracyMs) })
    : undefined;
  let granted = 0;
  const owner = options.reservedBy === undefined ? undefined : { reservedBy: options.reservedBy };
  // The block in use is [nextSerial, limit); `ahead` holds the first serials of blocks reserved
  // and not begun. One reservation at a time, so blocks (and serials) increase in this process.
  let nextSerial = 0n;
  let limit = 0n;
  const ahead: bigint[] = [];
  let reserving: Promise<void> | undefined;
  const lowWater = BigInt(Math.floor(block / 2));

  function reserveBlock(): Promise<void> {
    reserving ??= options.store
      .nextCounter(tsaSerialCounter, block, owner)
      .then((first) => {
        ahead.push(first);
      })
      .finally(() => {
        reserving = undefined;
      });
    return reserving;
  }

  /** The next serial: from the block in use, without a store round trip unless it ran out. */
  async function takeSerial(): Promise<bigint> {
    for (;;) {
      if (nextSerial < limit) {
        const serial = nextSerial++;
        // Reserve the next block while this one still lasts (a failure is retried when needed).
        if (block > 1 && limit - nextSerial <= lowWater && ahead.length === 0 && reserving === undefined) {
          reserveBlock().catch(() => undefined);
        }
        // While it is in flight, let the event loop turn once per token: a caller that never
        // yields (a loop of respond() in process) would otherwise starve the reservation's I/O
        // until the block ran out, and then wait for all of it.
        if (reserving !== undefined) await yieldToEventLoop();
        return serial;
      }
      const first = ahead.shift();
      if (first !== undefined) {
        nextSerial = first;
        limit = first + BigInt(block);
        continue;
      }
      await reserveBlock();
    }
  }

  async function respond(der: Uint8Array): Promise<Uint8Array> {
    if (der.length === 0 || der.length > maxBytes) return rejection('badDataFormat', 'request size');
    const req = parseTimeStampReq(der);
    if (req === undefined) return rejection('badDataFormat', 'malformed TimeStampReq');
    if (req.version !== 1) return rejection('badDataFormat', 'unsupported version');
    const digest = accepted.get(req.hashAlgorithmOid);
    if (!digest) {
      return rejection('badAlg', 'unsupported hash algorithm');
    }
    if (req.hashedMessage.byteLength !== digest.length) {
      return rejection('badDataFormat', 'hashedMessage length does not match the algorithm');
    }
    if (req.reqPolicy !== undefined && req.reqPolicy !== options.policyOid) {
      return rejection('unacceptedPolicy', 'unsupported policy');
    }
    if (req.hasExtensions) {
      return rejection('unacceptedExtension', 'no extensions are supported');
    }
    // §2.4.2: nonce "MUST have the same value"; bound its size (up to 160 bits is usual).
    if (req.nonce !== undefined && req.nonce.byteLength > 32) {
      return rejection('badDataFormat', 'nonce too long');
    }
    // RFC 3161 §2.4.2: timeNotAvailable, rather than a genTime the TSA cannot vouch for.
    const verdict = clockGuard ? await clockGuard.check() : undefined;
    if (verdict && !verdict.ok) {
      return rejection('timeNotAvailable', verdict.reason === 'skew' ? 'the TSA clock disagrees with the reference time' : 'the reference time is not available');
    }
    try {
      const serialNumber = await takeSerial();
      const tstInfo = encoder.encodeTstInfo({
        messageImprint: req.messageImprint,
        serialNumber,
        genTime: options.clock.now(),
        ...(req.nonce === undefined ? {} : { nonce: req.nonce }),
      });
      const token = await encoder.signTree(tstInfo, req.certReq);
      granted++;
      // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken TimeStampToken OPTIONAL }
      return encodeDerTree(derTree(tags.sequence, grantedStatus, token));
    } catch {
      return rejection('systemFailure', 'the TSA could not sign');
    }
  }

  const handler: PkiHttpHandler = async (req) => {
    if (req.method !== 'POST') return { ...textResponse(405, 'method not allowed'), headers: { allow: 'POST' } };
    if (mediaType(req) !== 'application/timestamp-query') {
      return textResponse(415, 'expected application/timestamp-query');
    }
    return binaryResponse('application/timestamp-reply', await respond(req.body));
  };

  return { respond, handler, granted: () => granted };
}
