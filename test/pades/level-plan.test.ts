/**
 * The level plan owns the measured time-stamp room (issue 20 §1: "the module-level timestamp-size
 * cache becomes part of the plan"): each plan measures its TSA's token once, two plans never share
 * a measure, and a B-LTA plan carries the document timestamp's room to phase two.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Signer } from '../../src/cms/index.js';
import { systemClock } from '../../src/core/clock.js';
import {
  finishSignature,
  listPdfSignatures,
  planLevel,
  prepareSignature,
  type Timestamper,
} from '../../src/pades/index.js';
import { PdfDocument, bytesSource } from '../../src/pdf/index.js';
import {
  FileCaStore,
  TimestampClient,
  createTimestampAuthority,
  handlerFetch,
  timestamperFromClient,
} from '../../src/pki/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { startLtvPki, type LtvPki } from './support/ltv-pki.js';

/** A timestamper that counts the tokens it asks for (the TSA behind it is real). */
function counted(timestamper: Timestamper): Timestamper & { count: number } {
  const counter = {
    count: 0,
    timestamp(
      digest: Uint8Array,
      algorithm: Parameters<Timestamper['timestamp']>[1],
    ): Promise<Uint8Array> {
      counter.count++;
      return timestamper.timestamp(digest, algorithm);
    },
  };
  return counter;
}

describe('planLevel: the plan owns the measured time-stamp room (EN 319 122-1 §5.3, EN 319 142-1 §6.5)', () => {
  let pki: LtvPki;
  let signer: Signer;
  /** A second TSA of the same PKI whose tokens carry the whole chain (issuing and root): larger tokens. */
  let wideTsa: Timestamper;
  const pdf = makeBasePdf();
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    ({ signer } = await pki.newSigner('Plan Signer'));
    const { hierarchy, keystore } = pki;
    const tsa = createTimestampAuthority({
      key: { backend: keystore, ref: hierarchy.tsa.keyRef, algorithm: hierarchy.algorithm },
      certificate: hierarchy.tsa.certificate,
      chain: [hierarchy.issuing.certificate, hierarchy.root.certificate],
      policyOid: '2.25.2.1',
      store: new FileCaStore(tempDir({ after: (fn) => cleanups.push(fn) }, 'signet-plan-tsa-')),
      clock: systemClock,
    });
    wideTsa = timestamperFromClient(
      new TimestampClient({ url: 'http://in-process/tsa', fetch: handlerFetch(tsa.handler) }),
    );
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('two plans with different TSAs get their own reserves, each measured once', async () => {
    const narrow = counted(pki.timestamper);
    const wide = counted(wideTsa);
    const a = await planLevel({ level: 'B-T', timestamper: narrow }, 'SHA-256');
    const b = await planLevel({ level: 'B-T', timestamper: wide }, 'SHA-256');
    assert.equal(narrow.count, 1);
    assert.equal(wide.count, 1);
    const narrowToken = (await pki.timestamper.timestamp(new Uint8Array(32), 'SHA-256')).length;
    const wideToken = (await wideTsa.timestamp(new Uint8Array(32), 'SHA-256')).length;
    assert.ok(
      wideToken > narrowToken + 300,
      `the root certificate makes the wide TSA's tokens larger (${wideToken} vs ${narrowToken})`,
    );
    assert.ok(
      a.timestampReserve >= narrowToken && a.timestampReserve < wideToken,
      `plan A: ${a.timestampReserve}`,
    );
    assert.ok(b.timestampReserve >= wideToken, `plan B: ${b.timestampReserve}`);
    // Each prepared document holds its own plan's room.
    const preparedA = prepareSignature(pdf, prepareOptions(signer), a);
    const preparedB = prepareSignature(pdf, prepareOptions(signer), b);
    assert.equal(
      preparedB.contentsCapacity - preparedA.contentsCapacity,
      b.timestampReserve - a.timestampReserve,
    );
  });

  it('nothing is remembered between plans: a timestamper whose TSA changed is measured again', async () => {
    let behind = pki.timestamper;
    // One Timestamper object, the TSA behind it reconfigured between two batches.
    const switching = counted({
      timestamp: (digest, algorithm) => behind.timestamp(digest, algorithm),
    });
    const first = await planLevel({ level: 'B-T', timestamper: switching }, 'SHA-256');
    behind = wideTsa;
    const second = await planLevel({ level: 'B-T', timestamper: switching }, 'SHA-256');
    assert.equal(switching.count, 2, 'each plan asked for its own token');
    assert.ok(
      second.timestampReserve > first.timestampReserve + 300,
      `${second.timestampReserve} vs ${first.timestampReserve}`,
    );
    // The second batch's signature, with the larger token, fits the room its own plan measured.
    const prepared = prepareSignature(pdf, prepareOptions(signer), second);
    const signed = await finishSignature(prepared, {
      kind: 'signature',
      signature: await signer.sign(prepared.signedAttributes),
    });
    assert.equal(listPdfSignatures(PdfDocument.open(bytesSource(signed))).length, 1);
  });

  it('a B-LTA plan carries the document timestamp room to phase two: one measuring token for the whole signature', async () => {
    const stamps = counted(pki.timestamper);
    const plan = await planLevel(
      { level: 'B-LTA', timestamper: stamps, revocation: pki.revocation },
      'SHA-256',
    );
    assert.equal(
      stamps.count,
      1,
      'the signature and document timestamps share one measure (both SHA-256)',
    );
    assert.ok(
      plan.documentTimestampCapacity !== undefined &&
        plan.documentTimestampCapacity < plan.timestampReserve,
    );
    const prepared = prepareSignature(pdf, prepareOptions(signer), plan);
    const signed = await finishSignature(prepared, {
      kind: 'signature',
      signature: await signer.sign(prepared.signedAttributes),
    });
    // The signature-time-stamp and the document timestamp: two more tokens, no measuring one.
    assert.equal(stamps.count, 3);
    const signatures = listPdfSignatures(PdfDocument.open(bytesSource(signed)));
    assert.deepEqual(
      signatures.map((s) => s.isDocumentTimestamp),
      [false, true],
    );
  });

  it('a plan of another digest measures that digest too (SHA-512 document timestamps)', async () => {
    const stamps = counted(pki.timestamper);
    const plan = await planLevel(
      {
        level: 'B-LTA',
        timestamper: stamps,
        revocation: pki.revocation,
        timestampDigestAlgorithm: 'SHA-512',
      },
      'SHA-256',
    );
    assert.equal(stamps.count, 2);
    assert.ok((plan.documentTimestampCapacity ?? 0) > 0);
  });
});

function prepareOptions(signer: Signer) {
  return {
    certificateChain: signer.certificateChain,
    signatureAlgorithm: signer.signatureAlgorithm,
    maxSignatureSize: signer.maxSignatureSize(),
    signingTime: new Date('2026-12-07T08:00:00Z'),
  };
}
