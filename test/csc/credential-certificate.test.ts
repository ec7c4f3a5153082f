/**
 * The memo of credentialCertificate (src/csc/credential-certificate.ts): a chain is parsed once
 * per row, a row read again (a new string of the same text) gets the same facts, and a re-issued
 * certificate under the same row id is parsed again.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialCertificate } from '../../src/csc/credential-certificate.js';
import { buildTestPki } from '../support/pki.js';

/** certificate_chain as the store holds it: a JSON array of base64 DER, leaf first. */
const chainText = (chain: readonly Uint8Array[]): string => JSON.stringify(chain.map((der) => Buffer.from(der).toString('base64')));

describe('credentialCertificate memo (issue 19)', () => {
  it('answers a row read again from the memo and parses a changed chain under the same id', async () => {
    const pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
    const id = `memo-${process.pid}-${Date.now()}`;
    const rsaText = chainText(pki.chain('rsa'));
    const first = credentialCertificate({ id, certificate_chain: rsaText });
    assert.equal(first.keyType, 'RSA');
    // A new string with the same text, as every read of the row gives.
    const again = credentialCertificate({ id, certificate_chain: (' ' + rsaText).slice(1) });
    assert.equal(again, first, 'the same facts object');
    // Renewal (or a re-keyed credential): same row id, another chain.
    const renewed = credentialCertificate({ id, certificate_chain: chainText(pki.chain('ec-p256')) });
    assert.notEqual(renewed, first);
    assert.equal(renewed.keyType, 'EC');
    assert.equal(renewed.curve, 'P-256');
    assert.notEqual(renewed.serialHex, first.serialHex);
    // Another row with the first chain is answered with its facts (the facts depend on the chain only).
    assert.equal(credentialCertificate({ id: `${id}-other`, certificate_chain: rsaText }).serialHex, first.serialHex);
  });
});
