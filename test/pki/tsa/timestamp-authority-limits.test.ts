/** TSA and OCSP responders under hostile input (SECURITY ASN-01/ASN-12) and serial uniqueness across instances. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, PKIStatus, TimeStampReq, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { SignedData } from '@peculiar/asn1-cms';
import { OCSPResponse, OCSPResponseStatus } from '@peculiar/asn1-ocsp';
import { systemClock } from '../../../src/core/clock.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { createTimestampAuthority, type TimestampAuthority } from '../../../src/pki/tsa/timestamp-authority.js';
import { createOcspResponder } from '../../../src/pki/ocsp/ocsp-responder.js';
import { digestAlgorithmIdentifier } from '../../../src/pki/algorithm-identifier.js';
import { serialToHex } from '../../../src/pki/certificate.js';

function query(): Uint8Array {
  const req = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({ hashAlgorithm: digestAlgorithmIdentifier('SHA-256'), hashedMessage: new OctetString(randomBytes(32)) }),
    certReq: false,
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

function serialOf(reply: Uint8Array): string {
  const resp = AsnConvert.parse(reply, TimeStampResp);
  assert.equal(resp.status.status, PKIStatus.granted);
  const sd = AsnConvert.parse(resp.timeStampToken?.content ?? new ArrayBuffer(0), SignedData);
  const tst = AsnConvert.parse(sd.encapContentInfo.eContent?.single?.buffer ?? new ArrayBuffer(0), TSTInfo);
  return serialToHex(tst.serialNumber);
}

describe('TSA/OCSP robustness (RFC 3161 §2.4.2 serial uniqueness, hostile DER)', () => {
  let pki: PkiFixture;
  let makeTsa: (block: number) => TimestampAuthority;
  const cleanup = suiteCleanup(after);
  before(async () => {
    pki = await makePki(cleanup);
    makeTsa = (block) =>
      createTimestampAuthority({
        key: { backend: pki.keystore, ref: pki.hierarchy.tsa.keyRef, algorithm: pki.hierarchy.algorithm },
        certificate: pki.hierarchy.tsa.certificate,
        policyOid: '2.25.9',
        store: pki.store,
        clock: systemClock,
        serialBlockSize: block,
      });
  });

  it('docs/security.md FLT-17 (serial part): two TSA instances sharing a store never reuse a serial (blocks of 1 and of 4)', async () => {
    const a = makeTsa(1);
    const b = makeTsa(4);
    const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).respond(query())));
    const serials = replies.map(serialOf);
    assert.equal(new Set(serials).size, serials.length);
    // Within one instance, serials increase in request order.
    const fromA = await Promise.all([a.respond(query()), a.respond(query()), a.respond(query())]);
    const nums = fromA.map((r) => BigInt(`0x${serialOf(r)}`));
    assert.ok((nums[0] ?? 0n) < (nums[1] ?? 0n) && (nums[1] ?? 0n) < (nums[2] ?? 0n));
  });

  it('answers deeply nested, truncated and random DER with rejections, never throwing', async () => {
    const tsa = makeTsa(1);
    const ocsp = createOcspResponder({
      issuers: [{ caId: 'issuing', certificate: pki.hierarchy.issuing.certificate, signer: { key: { backend: pki.keystore, ref: pki.hierarchy.ocsp.keyRef, algorithm: pki.hierarchy.algorithm }, certificate: pki.hierarchy.ocsp.certificate } }],
      store: pki.store,
      clock: systemClock,
    });
    const deep = new Uint8Array(20_000);
    for (let i = 0; i < 10_000; i++) {
      deep[i * 2] = 0x30;
      deep[i * 2 + 1] = 0x80;
    }
    const good = query();
    const inputs = [deep, good.subarray(0, good.length - 5), new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])];
    for (let i = 0; i < 300; i++) {
      const m = new Uint8Array(good);
      m[i % m.length] = (m[i % m.length] ?? 0) ^ (1 + (i % 255));
      inputs.push(m);
    }
    for (const input of inputs) {
      const t = AsnConvert.parse(await tsa.respond(input), TimeStampResp);
      assert.ok(t.status.status === PKIStatus.rejection || t.status.status === PKIStatus.granted);
      const o = AsnConvert.parse(await ocsp.respond(input), OCSPResponse);
      assert.ok([OCSPResponseStatus.malformedRequest, OCSPResponseStatus.unauthorized, OCSPResponseStatus.successful].includes(o.responseStatus));
    }
  });
});
