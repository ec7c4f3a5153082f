/**
 * Issue 14, revocation: a signature whose certificate was revoked (keyCompromise) before the
 * claimed signing time, in a file that carries no revocation data. Offline it is INDETERMINATE /
 * TRY_LATER with a typed finding — never TOTAL-PASSED; online (OCSP then CRL from the
 * certificate's AIA/CDP, served by the test PKI over loopback) it is TOTAL-FAILED / REVOKED.
 * `signet verify` says the same, with and without --offline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import type { Signer } from '../../src/cms/index.js';
import { signPdf, type RevocationSource } from '../../src/pades/index.js';
import { cachedRevocationSource, fetchRevocationEvidence, verifyPdfLongTerm, type SignatureReport } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { runToolAsync } from '../pki/support/pki-server.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';

const signet = (args: readonly string[]) => runToolAsync(process.execPath, ['bin/signet.js', ...args]);

function only(report: { signatures: readonly SignatureReport[] }): SignatureReport {
  assert.equal(report.signatures.length, 1, JSON.stringify(report));
  return report.signatures[0] as SignatureReport;
}

describe('issue 14: revocation is looked at, or the answer says it was not', () => {
  let pki: LtvPki;
  let revokedFile: Uint8Array;
  let goodFile: Uint8Array;
  let anchors: Uint8Array[];
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    anchors = [pki.hierarchy.root.certificate];
    const mallory = await pki.newSigner('Mallory');
    await pki.ca.revoke(mallory.serialHex, 'keyCompromise');
    // /M has whole seconds: claim a time safely after the revocation.
    revokedFile = await signPdf(makeBasePdf(), mallory.signer, { signingTime: new Date(Date.now() + 5_000) });
    const alice: { signer: Signer } = await pki.newSigner('Alice');
    goodFile = await signPdf(makeBasePdf(), alice.signer, { signingTime: new Date() });
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('offline: INDETERMINATE / TRY_LATER with ERR_VALIDATION_NO_REVOCATION, for a revoked and a good certificate alike', () => {
    for (const file of [revokedFile, goodFile]) {
      const s = only(verifyPdfLongTerm(file, { trustAnchors: anchors, revocation: { mode: 'offline' } }));
      assert.equal(s.indication, 'INDETERMINATE', JSON.stringify(s));
      assert.equal(s.subIndication, 'TRY_LATER');
      assert.equal(s.isIntact, true);
      const f = s.findings?.find((x) => x.code === 'ERR_VALIDATION_NO_REVOCATION');
      assert.equal(f?.check, 'revocation');
      assert.equal(f?.severity, 'error');
    }
    // A caller that asks for nothing gets today's answer and an info finding that says so.
    const unchecked = only(verifyPdfLongTerm(goodFile, { trustAnchors: anchors }));
    assert.equal(unchecked.indication, 'TOTAL-PASSED');
    assert.equal(unchecked.findings?.find((x) => x.code === 'ERR_VALIDATION_NO_REVOCATION')?.severity, 'info');
  });

  it('online (OCSP from the AIA over loopback): TOTAL-FAILED / REVOKED; the good certificate TOTAL-PASSED; sources recorded; cached', async () => {
    const source = cachedRevocationSource(pki.revocation, systemClock);
    const options = { source, trustAnchors: anchors, clock: systemClock, timeoutMs: 5_000 };
    const fetched = await fetchRevocationEvidence(revokedFile, options);
    assert.equal(fetched.lookups.length, 1);
    assert.equal(fetched.lookups[0]?.outcome, 'evidence', JSON.stringify(fetched.lookups));
    const report = verifyPdfLongTerm(revokedFile, { trustAnchors: anchors, revocation: fetched });
    const s = only(report);
    assert.equal(s.indication, 'TOTAL-FAILED', JSON.stringify(s));
    assert.equal(s.subIndication, 'REVOKED');
    assert.equal(s.revocation?.status, 'revoked');
    assert.equal(s.revocation?.origin, 'online');
    assert.equal(report.revocationLookups?.[0]?.subject, 'Mallory');

    const good = await fetchRevocationEvidence(goodFile, options);
    const g = only(verifyPdfLongTerm(goodFile, { trustAnchors: anchors, revocation: good }));
    assert.equal(g.indication, 'TOTAL-PASSED', JSON.stringify(g));
    assert.equal(g.revocation?.origin, 'online');

    const before = pki.hits.get('POST /ocsp') ?? 0;
    const again = await fetchRevocationEvidence(goodFile, options);
    assert.equal(again.lookups[0]?.cached, true);
    assert.equal(pki.hits.get('POST /ocsp') ?? 0, before, 'the second lookup is served from the cache');
  });

  it('a lookup that does not answer is bounded in time and leaves the signature INDETERMINATE', async () => {
    const silent: RevocationSource = { fetch: () => new Promise(() => undefined) };
    const started = Date.now();
    const fetched = await fetchRevocationEvidence(goodFile, { source: silent, trustAnchors: anchors, clock: systemClock, timeoutMs: 200 });
    assert.ok(Date.now() - started < 3_000);
    assert.equal(fetched.lookups[0]?.outcome, 'timeout');
    assert.equal(only(verifyPdfLongTerm(goodFile, { trustAnchors: anchors, revocation: fetched })).subIndication, 'TRY_LATER');
  });

  it('signet verify: REVOKED online (exit 1), TRY_LATER with --offline (exit 1), TOTAL-PASSED for the good one (exit 0)', async (t) => {
    const dir = tempDir(t);
    const revoked = join(dir, 'revoked.pdf');
    const good = join(dir, 'good.pdf');
    writeFileSync(revoked, revokedFile);
    writeFileSync(good, goodFile);
    const online = await signet(['verify', revoked, '--trust', pki.files.root]);
    assert.equal(online.status, 1, online.stdout + online.stderr);
    assert.match(online.stdout, /TOTAL-FAILED \/ REVOKED/);
    assert.match(online.stdout, /revocation lookup: Mallory: 1 OCSP response/);
    const offline = await signet(['verify', revoked, '--trust', pki.files.root, '--offline']);
    assert.equal(offline.status, 1);
    assert.match(offline.stdout, /INDETERMINATE \/ TRY_LATER/);
    assert.match(offline.stdout, /ERR_VALIDATION_NO_REVOCATION, revocation/);
    const ok = await signet(['verify', good, '--trust', pki.files.root]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /TOTAL-PASSED/);
  });
});
