/**
 * docs/security.md FLT-17, TSA clock: with its records in the database, the TSA checks the node's
 * clock against the database's clock before writing a genTime and answers PKIStatus rejection
 * with failInfo timeNotAvailable (RFC 3161 §2.4.2) when they disagree by more than the tolerance,
 * judged by `openssl ts -reply -text`. The serial half of the row (unique across two nodes) is
 * proven by test/server/two-nodes.test.ts and timestamp-authority-limits.test.ts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { MessageImprint, PKIStatus, TimeStampReq, TimeStampResp } from '@peculiar/asn1-tsp';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { digestAlgorithmIdentifier } from '../../../src/pki/algorithm-identifier.js';
import { createTimestampAuthority, type TimestampAuthorityOptions } from '../../../src/pki/tsa/timestamp-authority.js';
import { createClockGuard } from '../../../src/pki/tsa/clock-guard.js';
import { TimestampClient } from '../../../src/pki/tsa/timestamp-client.js';
import { PkiError } from '../../../src/pki/errors.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { requireTools, runTool } from '../../support/tools.js';

const minute = 60_000;

function query(): Uint8Array {
  const req = new TimeStampReq({
    version: 1,
    messageImprint: new MessageImprint({ hashAlgorithm: digestAlgorithmIdentifier('SHA-256'), hashedMessage: new OctetString(randomBytes(32)) }),
    certReq: true,
  });
  return new Uint8Array(AsnConvert.serialize(req));
}

/** The system clock shifted by a mutable offset (a node whose clock is off, or steps). */
function skewedClock(): Clock & { offsetMs: number } {
  const c = { offsetMs: 0, now: () => new Date(systemClock.now().getTime() + c.offsetMs) };
  return c;
}

function statusOf(reply: Uint8Array): PKIStatus {
  return AsnConvert.parse(reply, TimeStampResp).status.status;
}

for (const { kind, skip } of await caStoreSuites()) {
  describe(`docs/security.md FLT-17: TSA clock against the reference time — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    const cleanup = suiteCleanup(after);
    before(async () => {
      pki = await makePki(cleanup, { store: kind });
    });

    const tsa = (clock: Clock, extra: Partial<TimestampAuthorityOptions> = {}) =>
      createTimestampAuthority({
        key: { backend: pki.keystore, ref: pki.hierarchy.tsa.keyRef, algorithm: pki.hierarchy.algorithm },
        certificate: pki.hierarchy.tsa.certificate,
        chain: [pki.hierarchy.issuing.certificate],
        policyOid: '2.25.17',
        store: pki.store,
        clock,
        ...extra,
      });

    if (kind === 'file') {
      it('the file store (one CLI process) has no shared reference: the node clock is used as is', async () => {
        assert.equal(pki.store.referenceTime, undefined);
        const clock = skewedClock();
        clock.offsetMs = 10 * minute;
        assert.equal(statusOf(await tsa(clock).respond(query())), PKIStatus.granted);
      });
      return;
    }

    it('the reference is the database clock', async () => {
      const reference = await pki.store.referenceTime?.();
      assert.ok(reference instanceof Date);
      // Same host in tests: well within a minute of this process's clock.
      assert.ok(Math.abs(reference.getTime() - systemClock.now().getTime()) < minute, reference.toISOString());
    });

    it('stamps when the node clock agrees (0 and +400 ms, within the 1 s tolerance); refuses +10 min and −10 min with timeNotAvailable', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      for (const offset of [0, 400]) {
        const clock = skewedClock();
        clock.offsetMs = offset;
        assert.equal(statusOf(await tsa(clock).respond(query())), PKIStatus.granted, `offset ${offset} ms`);
      }
      for (const offset of [10 * minute, -10 * minute]) {
        const clock = skewedClock();
        clock.offsetMs = offset;
        const reply = await tsa(clock).respond(query());
        assert.equal(statusOf(reply), PKIStatus.rejection, `offset ${offset} ms`);
        const file = join(pki.dir, `skew${offset}.tsr`);
        writeFileSync(file, reply);
        const text = runTool('openssl', ['ts', '-reply', '-in', file, '-text']);
        assert.equal(text.status, 0, text.stderr);
        assert.match(text.stdout, /Status: Rejected/);
        assert.match(text.stdout, /the TSA's time source is not available/);
        assert.match(text.stdout, /the TSA clock disagrees with the reference time/);
      }
      // Our client names the failure by its RFC 3161 bit, as openssl does.
      const off = skewedClock();
      off.offsetMs = 10 * minute;
      const authority = tsa(off);
      const client = new TimestampClient({
        url: 'http://127.0.0.1:1/tsa',
        fetch: async (_url, init) =>
          new Response(await authority.respond(init.body ?? new Uint8Array(0)), { status: 200, headers: { 'content-type': 'application/timestamp-reply' } }),
      });
      await assert.rejects(
        client.timestampDigest(new Uint8Array(32), 'SHA-256'),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_TSA_REJECTED' && /failInfo timeNotAvailable\)/.test(e.message),
      );
    });

    it('a step of the node clock after a good sample is refused at the next request; no serial is spent on a refusal', async () => {
      const clock = skewedClock();
      // Blocks of one serial, so that the store's counter shows each serial spent.
      const authority = tsa(clock, { serialBlockSize: 1 });
      assert.equal(statusOf(await authority.respond(query())), PKIStatus.granted);
      const before = await pki.store.nextCounter('tsa-serial');
      clock.offsetMs = 10 * minute;
      assert.equal(statusOf(await authority.respond(query())), PKIStatus.rejection);
      assert.equal(statusOf(await authority.respond(query())), PKIStatus.rejection);
      clock.offsetMs = 0;
      assert.equal(statusOf(await authority.respond(query())), PKIStatus.granted);
      // The counter moved by exactly the one granted stamp after `before`.
      assert.equal(await pki.store.nextCounter('tsa-serial'), before + 2n);
    });

    it('an unavailable reference is timeNotAvailable; referenceTime: false turns the check off', async () => {
      const clock = skewedClock();
      clock.offsetMs = 10 * minute;
      const down = tsa(systemClock, { referenceTime: () => Promise.reject(new RangeError('database down')) });
      const reply = await down.respond(query());
      assert.equal(statusOf(reply), PKIStatus.rejection);
      assert.match(AsnConvert.parse(reply, TimeStampResp).status.statusString?.[0] ?? '', /reference time is not available/);
      assert.equal(statusOf(await tsa(clock, { referenceTime: false }).respond(query())), PKIStatus.granted);
    });
  });
}

describe('docs/security.md FLT-17: the clock guard is cheap', () => {
  it('samples the reference once per interval; in between it extrapolates with the monotonic clock', async () => {
    let mono = 0;
    let calls = 0;
    const t0 = new Date('2026-11-23T12:00:00Z').getTime();
    const guard = createClockGuard({
      clock: { now: () => new Date(t0 + mono) },
      reference: async () => {
        calls++;
        return new Date(t0 + mono);
      },
      toleranceMs: 1000,
      sampleEveryMs: 30_000,
      monotonic: () => mono,
    });
    for (let i = 0; i < 100; i++) {
      mono += 100; // 10 s of requests
      assert.equal((await guard.check()).ok, true);
    }
    assert.equal(calls, 1);
    mono += 30_000;
    assert.equal((await guard.check()).ok, true);
    assert.equal(calls, 2);
  });

  it('refuses only after a fresh sample confirms the disagreement', async () => {
    const mono = 0;
    let node = 1_000_000;
    let reference = 1_000_000;
    let calls = 0;
    const guard = createClockGuard({
      clock: { now: () => new Date(node) },
      reference: async () => {
        calls++;
        return new Date(reference);
      },
      toleranceMs: 1000,
      monotonic: () => mono,
    });
    assert.equal((await guard.check()).ok, true);
    assert.equal(calls, 1);
    // The node clock steps 5 s ahead: the cached sample disagrees, a fresh one confirms it.
    node += 5000;
    assert.deepEqual(await guard.check(), { ok: false, reason: 'skew', skewMs: 5000 });
    assert.equal(calls, 2);
    // Both moved (the first sample was the stale one): the fresh sample clears the node.
    reference += 5000;
    assert.deepEqual(await guard.check(), { ok: true, skewMs: 0 });
    assert.equal(calls, 3);
    assert.deepEqual(await guard.check(), { ok: true, skewMs: 0 });
    assert.equal(calls, 3);
  });
});
