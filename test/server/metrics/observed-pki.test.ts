/**
 * The metrics' reading of TSA and OCSP answers (server/metrics/observed-pki.ts) with the DER
 * reader: the label of each real answer — granted and rejection (RFC 3161 §2.4.2), good, revoked,
 * unknown and malformedRequest (RFC 6960 §4.2.1) — and the count of pre-signed answers (RFC 5019).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../../src/core/clock.js';
import { createOcspResponder, createTimestampAuthority, derToPem } from '../../../src/pki/index.js';
import {
  SignetMetrics,
  observeOcspResponder,
  ocspStatusOf,
  timestampStatusOf,
} from '../../../src/server/metrics/index.js';
import { requireTools, runTool } from '../../support/tools.js';
import { makePki } from '../../pki/support/pki-fixture.js';

describe('metrics labels of PKI answers (DER reader)', () => {
  it('labels TSA answers granted / rejection and OCSP answers good / unknown / revoked / malformedRequest; counts pre-signed answers', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const pki = await makePki(t);
    const alg = pki.hierarchy.algorithm;
    const tsa = createTimestampAuthority({
      key: { backend: pki.keystore, ref: pki.hierarchy.tsa.keyRef, algorithm: alg },
      certificate: pki.hierarchy.tsa.certificate,
      policyOid: '2.25.1',
      store: pki.store,
      clock: systemClock,
    });
    const data = join(pki.dir, 'data');
    writeFileSync(data, 'x');
    const query = (digest: string): Uint8Array => {
      const out = join(pki.dir, `${digest}.tsq`);
      assert.equal(
        runTool('openssl', ['ts', '-query', '-data', data, `-${digest}`, '-cert', '-out', out])
          .status,
        0,
      );
      return new Uint8Array(readFileSync(out));
    };
    assert.equal(timestampStatusOf(await tsa.respond(query('sha256'))), 'granted');
    assert.equal(timestampStatusOf(await tsa.respond(query('sha1'))), 'rejection');
    assert.equal(timestampStatusOf(Uint8Array.of(1, 2, 3)), 'unparsable');

    const ocsp = createOcspResponder({
      issuers: [
        {
          caId: 'issuing',
          certificate: pki.hierarchy.issuing.certificate,
          signer: {
            key: { backend: pki.keystore, ref: pki.hierarchy.ocsp.keyRef, algorithm: alg },
            certificate: pki.hierarchy.ocsp.certificate,
          },
        },
      ],
      store: pki.store,
      clock: systemClock,
    });
    const metrics = new SignetMetrics();
    const observed = observeOcspResponder(ocsp, metrics, undefined);
    const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
    const leaf = await pki.ca.issue({
      subject: { commonName: 'Mia Metrics' },
      subjectPublicKey: key.publicKey,
      profile: 'signing',
    });
    const leafFile = join(pki.dir, 'leaf.pem');
    writeFileSync(leafFile, derToPem(leaf.der, 'CERTIFICATE'));
    const request = (...args: string[]): Uint8Array => {
      const out = join(pki.dir, 'req.der');
      assert.equal(
        runTool('openssl', ['ocsp', '-issuer', pki.files.issuing, ...args, '-reqout', out]).status,
        0,
      );
      return new Uint8Array(readFileSync(out));
    };
    const good = request('-cert', leafFile, '-no_nonce');
    assert.equal(ocspStatusOf(await observed.respond(good)), 'good');
    assert.equal(ocspStatusOf(await observed.respond(good)), 'good');
    assert.equal(
      ocspStatusOf(await observed.respond(request('-serial', '0x0123456789abcdef'))),
      'unknown',
    );
    assert.equal(
      ocspStatusOf(await observed.respond(Uint8Array.of(0x30, 0x03, 1, 2, 3))),
      'malformedRequest',
    );
    await pki.ca.revoke(leaf.serialHex, 'keyCompromise');
    ocsp.forget(leaf.serialHex);
    assert.equal(ocspStatusOf(await observed.respond(request('-cert', leafFile))), 'revoked');
    const text = await metrics.registry.metrics();
    assert.match(text, /signet_ocsp_presigned_answers_total 1\n/);
    assert.match(text, /signet_ocsp_responses_total\{status="good"\} 2\n/);
  });
});
