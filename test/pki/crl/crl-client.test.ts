/** CRL retrieval from the CDP URL, with issuer signature and freshness checks. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, fixedClock } from '../../../src/core/clock.js';
import type { PkiFixture } from '../support/pki-fixture.js';
import { issueSigningCertificate, servedPki, type PkiServer } from '../support/pki-server.js';
import { CrlClient, verifyCrl } from '../../../src/pki/crl/crl-client.js';
import { PkiError } from '../../../src/pki/errors.js';

function code(c: string) {
  return (e: unknown) => e instanceof PkiError && e.code === c;
}

describe('CrlClient (RFC 5280 §4.2.1.13, §6.3.3)', () => {
  let pki: PkiFixture;
  let server: PkiServer;
  servedPki({ before, after }, (p, s) => ((pki = p), (server = s)));

  it('fetches the CRL named in the certificate, and sees a revocation at once', async () => {
    const rec = await issueSigningCertificate(pki, server, 'Crl Chris');
    const client = new CrlClient({ clock: systemClock });
    const before = await client.fetchFor(rec.der, pki.hierarchy.issuing.certificate);
    assert.equal(before.revocationOf(rec.serialHex), undefined);
    await pki.ca.revoke(rec.serialHex, 'superseded');
    const after = await client.fetchFor(rec.der, pki.hierarchy.issuing.certificate);
    assert.equal(after.revocationOf(rec.serialHex)?.reason, 'superseded');
    assert.ok((after.crlNumber ?? 0) > (before.crlNumber ?? 0));
  });

  it('rejects a CRL of another issuer, a tampered CRL and a stale CRL', async () => {
    const crl = await pki.ca.generateCrl();
    assert.throws(() => verifyCrl(crl, pki.hierarchy.root.certificate, systemClock), code('ERR_PKI_CRL_INVALID'));
    const bad = new Uint8Array(crl);
    bad[bad.length - 4] = (bad[bad.length - 4] ?? 0) ^ 0x55;
    assert.throws(() => verifyCrl(bad, pki.hierarchy.issuing.certificate, systemClock), code('ERR_PKI_CRL_INVALID'));
    assert.throws(() => verifyCrl(crl, pki.hierarchy.issuing.certificate, fixedClock(new Date(Date.now() + 10 * 86_400_000))), code('ERR_PKI_CRL_INVALID'));
    assert.throws(() => verifyCrl(new Uint8Array([0x30, 0x01]), pki.hierarchy.issuing.certificate, systemClock), code('ERR_PKI_CRL_INVALID'));
  });
});
