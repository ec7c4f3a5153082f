/** RFC 6960 client against our responder: URL from AIA, nonce, delegated responder checks. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, fixedClock } from '../../../src/core/clock.js';
import type { PkiFixture } from '../support/pki-fixture.js';
import { issueSigningCertificate, servedPki, type PkiServer } from '../support/pki-server.js';
import { OcspClient } from '../../../src/pki/ocsp/ocsp-client.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { FetchLike } from '../../../src/pki/http/fetch-transport.js';

function code(c: string) {
  return (e: unknown) => e instanceof PkiError && e.code === c;
}

describe('OcspClient (RFC 6960 §3.2, §4.2.2.2)', () => {
  let pki: PkiFixture;
  let server: PkiServer;
  servedPki({ before, after }, (p, s) => ((pki = p), (server = s)));

  it('follows the AIA URL and reports good, then revoked with time and reason', async () => {
    const rec = await issueSigningCertificate(pki, server, 'Client Carla');
    const client = new OcspClient({ clock: systemClock });
    const good = await client.check(rec.der, pki.hierarchy.issuing.certificate);
    assert.equal(good.status, 'good');
    assert.ok(good.nextUpdate && good.nextUpdate > good.thisUpdate);
    await pki.ca.revoke(rec.serialHex, 'affiliationChanged');
    const revoked = await client.check(rec.der, pki.hierarchy.issuing.certificate);
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.revocationReason, 'affiliationChanged');
    assert.ok(revoked.revocationTime instanceof Date);
  });

  it('rejects a response whose nonce does not match (replay) and a stale response', async () => {
    const rec = await issueSigningCertificate(pki, server, 'Replay Ray');
    let captured: Uint8Array | undefined;
    const recording: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      captured = new Uint8Array(await res.arrayBuffer());
      return new Response(captured, { status: 200, headers: { 'content-type': 'application/ocsp-response' } });
    };
    await new OcspClient({ clock: systemClock, fetch: recording }).check(rec.der, pki.hierarchy.issuing.certificate);
    const replay: FetchLike = async () => new Response(captured ?? new Uint8Array(), { status: 200, headers: { 'content-type': 'application/ocsp-response' } });
    await assert.rejects(new OcspClient({ clock: systemClock, fetch: replay }).check(rec.der, pki.hierarchy.issuing.certificate), code('ERR_PKI_OCSP_RESPONSE_INVALID'));
    const future = fixedClock(new Date(Date.now() + 3 * 86_400_000));
    await assert.rejects(new OcspClient({ clock: future }).check(rec.der, pki.hierarchy.issuing.certificate), code('ERR_PKI_OCSP_RESPONSE_INVALID'));
  });

  it('rejects a response for another issuer (unauthorized status) and missing URLs', async () => {
    await assert.rejects(
      new OcspClient({ clock: systemClock, url: `${server.host.url}/ocsp` }).check(pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate),
      code('ERR_PKI_OCSP_STATUS'),
    );
    await assert.rejects(new OcspClient({ clock: systemClock }).check(pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate), code('ERR_PKI_NO_URL'));
  });

  it('rejects a response signed by a responder the issuer did not authorise', async () => {
    // The issuing CA's certificate checked against the root: our responder signs with a key the root did not certify.
    const rec = await issueSigningCertificate(pki, server, 'Wrong Issuer');
    const swap: FetchLike = (url, init) => fetch(url, init);
    await assert.rejects(
      new OcspClient({ clock: systemClock, fetch: swap }).check(rec.der, pki.hierarchy.root.certificate),
      (e: unknown) => e instanceof PkiError && (e.code === 'ERR_PKI_OCSP_STATUS' || e.code === 'ERR_PKI_OCSP_RESPONSE_INVALID'),
    );
  });
});
