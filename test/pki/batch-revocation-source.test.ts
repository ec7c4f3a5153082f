/**
 * Validation data fetched once per batch (issue 19): revocationSourceForBatch over the real OCSP
 * responder answers 20 concurrent requests for one certificate with one OCSP request, the
 * pre-signed answer (no nonce), and asks again for another certificate; a failure is not kept,
 * an answer older than maxAgeMs is fetched again, and no more than maxConcurrent fetches run at
 * once.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  revocationSourceForBatch,
  type RevocationEvidence,
  type RevocationFetcher,
} from '../../src/pki/index.js';
import { verifyOcspEvidence } from '../../src/cms/ocsp/ocsp-evidence.js';
import { startLtvPki } from '../pades/support/ltv-pki.js';

const none: RevocationEvidence = { ocspResponses: [], crls: [], certificates: [] };

describe('revocationSourceForBatch', () => {
  it('asks the OCSP responder once per certificate for a whole batch', async (t) => {
    const pki = await startLtvPki(t, { ocspNonce: false });
    t.after(() => pki.close());
    const { certificate } = await pki.newSigner('Batch Signer');
    const issuer = pki.hierarchy.issuing.certificate;
    const batch = revocationSourceForBatch(pki.revocation);
    const before = pki.hits.get('POST /ocsp') ?? 0;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => batch.fetch(certificate, issuer)),
    );
    assert.equal(
      (pki.hits.get('POST /ocsp') ?? 0) - before,
      1,
      'one OCSP request for 20 documents',
    );
    assert.equal(batch.fetched(), 1);
    assert.ok(answers.every((a) => a === answers[0]));
    const [response] = answers[0]?.ocspResponses ?? [];
    assert.ok(response !== undefined);
    assert.equal(verifyOcspEvidence(response, certificate, issuer)?.status, 'good');
    await batch.fetch(pki.hierarchy.tsa.certificate, issuer);
    assert.equal(
      (pki.hits.get('POST /ocsp') ?? 0) - before,
      2,
      'the TSA certificate is another request',
    );
    await batch.fetch(certificate, issuer);
    assert.equal((pki.hits.get('POST /ocsp') ?? 0) - before, 2);
  });

  it('forgets failures and old answers, and bounds the fetches running at once', async () => {
    let now = 0;
    let calls = 0;
    let running = 0;
    let most = 0;
    let fail = true;
    const source: RevocationFetcher = {
      async fetch() {
        calls++;
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
        if (fail) throw new Error('responder down');
        return none;
      },
    };
    const batch = revocationSourceForBatch(source, {
      maxAgeMs: 1000,
      maxConcurrent: 3,
      monotonic: () => now,
    });
    const a = Uint8Array.of(1);
    await assert.rejects(batch.fetch(a, a), /responder down/);
    fail = false;
    assert.equal(await batch.fetch(a, a), none, 'asked again after the failure');
    assert.equal(calls, 2);
    now = 999;
    await batch.fetch(a, a);
    assert.equal(calls, 2);
    now = 1000;
    await batch.fetch(a, a);
    assert.equal(calls, 3, 'older than maxAgeMs: asked again');
    await Promise.all(Array.from({ length: 12 }, (_, i) => batch.fetch(Uint8Array.of(i + 10), a)));
    assert.equal(calls, 15);
    assert.equal(most, 3, 'never more than maxConcurrent at once');
  });
});
