/**
 * OcspClient keeps the decoding and signature check of an answer without a nonce (RFC 5019: a
 * lightweight responder serves the same pre-signed bytes until it refreshes them) and checks
 * everything else again on every call (issue 19): the delegated responder's validity at the
 * client's "now" (RFC 6960 §4.2.2.2), nextUpdate (RFC 5019 §2.2.4), the issuer the answer is for.
 * Altered bytes are never an earlier answer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { systemClock, fixedClock } from '../../../src/core/clock.js';
import { OcspClient } from '../../../src/pki/ocsp/ocsp-client.js';
import { PkiError } from '../../../src/pki/errors.js';
import type { FetchLike } from '../../../src/pki/http/fetch-transport.js';
import type { PkiFixture } from '../support/pki-fixture.js';
import { issueSigningCertificate, servedPki, type PkiServer } from '../support/pki-server.js';

const replaying =
  (bytes: Uint8Array): FetchLike =>
  async () =>
    new Response(bytes, { status: 200, headers: { 'content-type': 'application/ocsp-response' } });

const invalid =
  (message: RegExp) =>
  (e: unknown): boolean =>
    e instanceof PkiError && e.code === 'ERR_PKI_OCSP_RESPONSE_INVALID' && message.test(e.message);

describe('OcspClient: a repeated answer without a nonce is checked again on every call', () => {
  let pki: PkiFixture;
  let server: PkiServer;
  servedPki({ before, after }, (p, s) => ((pki = p), (server = s)));

  it('the responder validity, nextUpdate, the issuer and the bytes are judged each time', async () => {
    const rec = await issueSigningCertificate(pki, server, 'Repeated Rita');
    const issuer = pki.hierarchy.issuing.certificate;
    const first = await new OcspClient({ clock: systemClock, nonce: false }).check(rec.der, issuer);
    const response = first.response;
    // The same bytes again: accepted (and remembered) with the same status.
    const again = await new OcspClient({
      clock: systemClock,
      nonce: false,
      fetch: replaying(response),
    }).check(rec.der, issuer);
    assert.equal(again.status, 'good');
    // After the delegated responder's certificate expired: refused for that, although the bytes were accepted before.
    const responderNotAfter = new Date(new X509Certificate(pki.hierarchy.ocsp.certificate).validTo);
    const afterResponder = fixedClock(new Date(responderNotAfter.getTime() + 60_000));
    await assert.rejects(
      new OcspClient({ clock: afterResponder, nonce: false, fetch: replaying(response) }).check(
        rec.der,
        issuer,
      ),
      invalid(/responder certificate is outside its validity/),
    );
    // Past nextUpdate (plus the skew): stale.
    const late = fixedClock(new Date((first.nextUpdate as Date).getTime() + 6 * 60_000));
    await assert.rejects(
      new OcspClient({ clock: late, nonce: false, fetch: replaying(response) }).check(
        rec.der,
        issuer,
      ),
      invalid(/stale/),
    );
    // Asked about the same certificate under another issuer: not signed by it or a responder it authorised.
    await assert.rejects(
      new OcspClient({ clock: systemClock, nonce: false, fetch: replaying(response) }).check(
        rec.der,
        pki.hierarchy.root.certificate,
      ),
      (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_OCSP_RESPONSE_INVALID',
    );
    // The last octet altered (the responder certificate's signature): other bytes, checked afresh, refused.
    const altered = response.slice();
    altered[altered.length - 1] = (altered[altered.length - 1] as number) ^ 0x01;
    await assert.rejects(
      new OcspClient({ clock: systemClock, nonce: false, fetch: replaying(altered) }).check(
        rec.der,
        issuer,
      ),
      (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_OCSP_RESPONSE_INVALID',
    );
  });
});
