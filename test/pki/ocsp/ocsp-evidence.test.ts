/**
 * OCSP responses as evidence (RFC 6960 §3.2, §4.2.2.1, §4.2.2.2) — docs/security.md ASN-11 and FLT-18.
 * Each hostile response comes from our own responder run with a shifted clock, a wrong signer or
 * a replayed answer, and is judged twice: by OcspClient (a fresh answer: nonce and freshness
 * against now) and by the validator's DSS path (verifyOcspEvidence / revocationFromDss: archived
 * evidence judged at the validation time).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fixedClock, type Clock } from '../../../src/core/clock.js';
import { makePki, suiteCleanup, type PkiFixture } from '../support/pki-fixture.js';
import { createOcspResponder, type OcspIssuer } from '../../../src/pki/ocsp/ocsp-responder.js';
import { OcspClient } from '../../../src/pki/ocsp/ocsp-client.js';
import { verifyOcspEvidence } from '../../../src/pki/ocsp/ocsp-evidence.js';
import { revocationFromDss } from '../../../src/validation/dss-revocation.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { CertificateRecord } from '../../../src/pki/store/ca-store.js';
import type { FetchLike } from '../../../src/pki/http/fetch-transport.js';

const invalid = (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_OCSP_RESPONSE_INVALID';
const minute = 60_000;

describe('docs/security.md ASN-11, FLT-18: OCSP responses as evidence (RFC 6960 §4.2.2)', () => {
  let pki: PkiFixture;
  let other: PkiFixture;
  let alice: CertificateRecord;
  let bob: CertificateRecord;
  let unauthorised: OcspIssuer['signer'];
  const now = new Date('2026-06-01T12:00:00Z');
  const cleanup = suiteCleanup(after);

  before(async () => {
    const clock = fixedClock(new Date(now.getTime() - 60 * minute));
    [pki, other] = await Promise.all([makePki(cleanup, { clock }), makePki(cleanup, { clock })]);
    const issue = async (commonName: string) => {
      const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      return { key, record: await pki.ca.issue({ subject: { commonName }, subjectPublicKey: key.publicKey, profile: 'signing' }) };
    };
    alice = (await issue('Alice Evidence')).record;
    bob = (await issue('Bob Evidence')).record;
    // A certificate of the right CA, without id-kp-OCSPSigning: a signer's key used as responder.
    const eve = await issue('Eve Responder');
    unauthorised = { key: { backend: pki.keystore, ref: eve.key.ref, algorithm: pki.hierarchy.algorithm }, certificate: eve.record.der };
  });

  const issuer = () => pki.hierarchy.issuing.certificate;
  const authorised = (): OcspIssuer['signer'] => ({
    key: { backend: pki.keystore, ref: pki.hierarchy.ocsp.keyRef, algorithm: pki.hierarchy.algorithm },
    certificate: pki.hierarchy.ocsp.certificate,
  });

  /** A responder for pki's issuing CA signing with `signer`, its clock at now + `offsetMs`. */
  function responder(offsetMs: number, signer = authorised()) {
    return createOcspResponder({
      issuers: [{ caId: 'issuing', certificate: issuer(), signer }],
      store: pki.store,
      clock: fixedClock(new Date(now.getTime() + offsetMs)),
    });
  }

  /** OcspClient over `answer` (request DER → response DER); `seen` collects the responses. */
  function client(answer: (request: Uint8Array) => Promise<Uint8Array>, options: { nonce?: boolean; clock?: Clock } = {}) {
    const seen: Uint8Array[] = [];
    const fetch: FetchLike = async (_url, init) => {
      const body = await answer(init.body ?? new Uint8Array(0));
      seen.push(body);
      return new Response(body, { status: 200, headers: { 'content-type': 'application/ocsp-response' } });
    };
    const ocsp = new OcspClient({ clock: options.clock ?? fixedClock(now), fetch, url: 'http://127.0.0.1:1/ocsp', nonce: options.nonce ?? true });
    return { seen, check: (cert: CertificateRecord) => ocsp.check(cert.der, issuer()) };
  }

  /** The response DER `r` gives for `cert` (no nonce, as a DSS would hold it). */
  async function responseFor(r: ReturnType<typeof responder>, cert: CertificateRecord): Promise<Uint8Array> {
    const c = client((req) => r.respond(req), { nonce: false, clock: fixedClock(new Date(0)) });
    await c.check(cert).catch(() => undefined);
    const der = c.seen[0];
    assert.ok(der);
    return der;
  }

  const dss = (der: Uint8Array) => ({ certificates: [], crls: [], ocspResponses: [der] });

  it('control: the authorised responder on time is accepted by the client and as DSS evidence', async () => {
    const r = responder(0);
    assert.equal((await client((req) => r.respond(req)).check(alice)).status, 'good');
    const der = await responseFor(r, alice);
    assert.equal(verifyOcspEvidence(der, alice.der, issuer(), { at: now })?.status, 'good');
    assert.equal(revocationFromDss(alice.der, issuer(), dss(der), now).status, 'good');
  });

  it('unauthorised responder: a certificate of the CA without id-kp-OCSPSigning is refused (§4.2.2.2)', async () => {
    const r = responder(0, unauthorised);
    await assert.rejects(client((req) => r.respond(req)).check(alice), invalid);
    const der = await responseFor(r, alice);
    assert.throws(() => verifyOcspEvidence(der, alice.der, issuer(), { at: now }), invalid);
    assert.equal(revocationFromDss(alice.der, issuer(), dss(der), now).status, 'none');
  });

  it('unauthorised responder: an OCSP signer certified by another CA is refused (§4.2.2.2)', async () => {
    const foreign = {
      key: { backend: other.keystore, ref: other.hierarchy.ocsp.keyRef, algorithm: other.hierarchy.algorithm },
      certificate: other.hierarchy.ocsp.certificate,
    };
    const r = responder(0, foreign);
    await assert.rejects(client((req) => r.respond(req)).check(alice), invalid);
    const der = await responseFor(r, alice);
    assert.throws(() => verifyOcspEvidence(der, alice.der, issuer(), { at: now }), invalid);
    assert.equal(revocationFromDss(alice.der, issuer(), dss(der), now).status, 'none');
  });

  it('other serial: an authentic answer about Bob is no evidence about Alice', async () => {
    const r = responder(0);
    const aboutBob = await responseFor(r, bob);
    await assert.rejects(client(async () => aboutBob, { nonce: false }).check(alice), invalid);
    assert.equal(verifyOcspEvidence(aboutBob, alice.der, issuer(), { at: now }), undefined);
    assert.equal(revocationFromDss(alice.der, issuer(), dss(aboutBob), now).status, 'none');
    assert.equal(verifyOcspEvidence(aboutBob, bob.der, issuer(), { at: now })?.status, 'good');
  });

  it('nonce mismatch: a replayed answer to another request, and an answer without the nonce, are refused (RFC 8954)', async () => {
    const r = responder(0);
    const first = client((req) => r.respond(req));
    await first.check(alice);
    const replayed = first.seen[0];
    assert.ok(replayed);
    await assert.rejects(client(async () => replayed).check(alice), invalid);
    const noNonce = await responseFor(r, alice);
    await assert.rejects(client(async () => noNonce).check(alice), invalid);
  });

  it('FLT-18: thisUpdate 30 s ahead is accepted (skew tolerance), 10 min ahead is refused', async () => {
    const near = responder(30_000);
    assert.equal((await client((req) => near.respond(req)).check(alice)).status, 'good');
    const nearDer = await responseFor(near, alice);
    assert.equal(verifyOcspEvidence(nearDer, alice.der, issuer(), { at: now })?.status, 'good');
    assert.equal(revocationFromDss(alice.der, issuer(), dss(nearDer), now).status, 'good');

    const far = responder(10 * minute);
    await assert.rejects(client((req) => far.respond(req)).check(alice), invalid);
    const farDer = await responseFor(far, alice);
    assert.throws(() => verifyOcspEvidence(farDer, alice.der, issuer(), { at: now }), invalid);
    assert.equal(revocationFromDss(alice.der, issuer(), dss(farDer), now).status, 'none');
    // The same response is evidence for a validation 10 minutes later.
    assert.equal(revocationFromDss(alice.der, issuer(), dss(farDer), new Date(now.getTime() + 10 * minute)).status, 'good');
  });

  it('nextUpdate passed: a fresh answer is refused by the client; archived evidence keeps speaking about its time', async () => {
    // thisUpdate = now - 2 h, nextUpdate = now - 1 h (60-minute validity).
    const stale = responder(-120 * minute);
    await assert.rejects(client((req) => stale.respond(req)).check(alice), invalid);
    const der = await responseFor(stale, alice);
    // EN 319 102-1 §5.2.5: the freshness of archived revocation data is judged against the
    // signing time, not now, so the DSS path still reads it.
    assert.equal(verifyOcspEvidence(der, alice.der, issuer(), { at: now })?.status, 'good');
  });
});
