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
import { extendPdf, signPdf, type RevocationSource } from '../../src/pades/index.js';
import { bytesEqual } from '../../src/core/bytes.js';
import { CrlClient, OcspClient, revocationSourceFromClients } from '../../src/pki/index.js';
import {
  cachedRevocationSource,
  fetchRevocationEvidence,
  verifyPdfLongTerm,
  type SignatureReport,
} from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { freePort } from '../support/pg-cluster.js';
import { tempDir } from '../support/tmp.js';
import { runToolAsync } from '../pki/support/pki-server.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';

const signet = (args: readonly string[]) =>
  runToolAsync(process.execPath, ['bin/signet.js', ...args]);

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
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) }, { rootCrl: true });
    anchors = [pki.hierarchy.root.certificate];
    const mallory = await pki.newSigner('Mallory');
    await pki.ca.revoke(mallory.serialHex, 'keyCompromise');
    // /M has whole seconds: claim a time safely after the revocation.
    revokedFile = await signPdf(makeBasePdf(), mallory.signer, {
      signingTime: new Date(Date.now() + 5_000),
    });
    const alice: { signer: Signer } = await pki.newSigner('Alice');
    goodFile = await signPdf(makeBasePdf(), alice.signer, { signingTime: new Date() });
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('offline: INDETERMINATE / TRY_LATER with ERR_VALIDATION_NO_REVOCATION, for a revoked and a good certificate alike', () => {
    for (const file of [revokedFile, goodFile]) {
      const s = only(
        verifyPdfLongTerm(file, { trustAnchors: anchors, revocation: { mode: 'offline' } }),
      );
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
    assert.equal(
      unchecked.findings?.find((x) => x.code === 'ERR_VALIDATION_NO_REVOCATION')?.severity,
      'info',
    );
  });

  it('online (OCSP from the AIA over loopback): TOTAL-FAILED / REVOKED; the good certificate TOTAL-PASSED; sources recorded; cached', async () => {
    const source = cachedRevocationSource(pki.revocation, systemClock);
    const options = { source, trustAnchors: anchors, clock: systemClock, timeoutMs: 5_000 };
    const fetched = await fetchRevocationEvidence(revokedFile, options);
    // The signer and its issuing CA (the root's CRL, from the issuing CA certificate's CDP); never the anchor.
    assert.deepEqual(
      fetched.lookups.map((l) => [l.subject, l.outcome, l.ocspResponses, l.crls]),
      [
        ['Mallory', 'evidence', 1, 0],
        ['Signet LTV Test Issuing CA', 'evidence', 0, 1],
      ],
    );
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
    assert.equal(again.lookups[1]?.cached, true);
    assert.equal(
      pki.hits.get('POST /ocsp') ?? 0,
      before,
      'the second lookup is served from the cache',
    );
  });

  it('OCSP, then the CRL: with the OCSP responder unreachable the CRL from the CDP decides — TOTAL-FAILED / REVOKED, source crl', async () => {
    // A loopback port nothing listens on: the OCSP request is refused at once.
    const closed = await freePort();
    const source = revocationSourceFromClients({
      ocsp: new OcspClient({ clock: systemClock, url: `http://127.0.0.1:${closed}/ocsp` }),
      crl: new CrlClient({ clock: systemClock }),
    });
    const fetched = await fetchRevocationEvidence(revokedFile, {
      source,
      trustAnchors: anchors,
      clock: systemClock,
      timeoutMs: 5_000,
    });
    assert.deepEqual(
      fetched.lookups.map((l) => [l.subject, l.outcome, l.ocspResponses, l.crls]),
      [
        ['Mallory', 'evidence', 0, 1],
        ['Signet LTV Test Issuing CA', 'evidence', 0, 1],
      ],
    );
    const s = only(verifyPdfLongTerm(revokedFile, { trustAnchors: anchors, revocation: fetched }));
    assert.equal(s.indication, 'TOTAL-FAILED', JSON.stringify(s.findings));
    assert.equal(s.subIndication, 'REVOKED');
    assert.deepEqual([s.revocation?.status, s.revocation?.source, s.revocation?.origin], ['revoked', 'crl', 'online']);
  });

  it('a lookup that does not answer is bounded in time and leaves the signature INDETERMINATE', async () => {
    const silent: RevocationSource = { fetch: () => new Promise(() => undefined) };
    const started = Date.now();
    const fetched = await fetchRevocationEvidence(goodFile, {
      source: silent,
      trustAnchors: anchors,
      clock: systemClock,
      timeoutMs: 200,
    });
    assert.ok(Date.now() - started < 3_000);
    assert.equal(fetched.lookups[0]?.outcome, 'timeout');
    assert.equal(
      only(verifyPdfLongTerm(goodFile, { trustAnchors: anchors, revocation: fetched }))
        .subIndication,
      'TRY_LATER',
    );
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

describe('issue 14: revocation of the whole path — CA certificates and time-stamping authorities', () => {
  let pki: LtvPki;
  let anchors: Uint8Array[];
  let alice: Signer;
  let btFile: Uint8Array;
  const cleanups: (() => unknown)[] = [];

  /** The test PKI's revocation source, answering nothing for the certificates `skip` names. */
  const without = (skip: (certificate: Uint8Array) => boolean): RevocationSource => ({
    fetch: (certificate, issuer) =>
      skip(certificate)
        ? Promise.resolve({ ocspResponses: [], crls: [], certificates: [] })
        : pki.revocation.fetch(certificate, issuer),
  });
  const findingsOf = (s: SignatureReport, code: string): string[] =>
    (s.findings ?? [])
      .filter((f) => f.code === code)
      .map((f) => `${f.check}/${f.severity}: ${f.message}`);

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) }, { rootCrl: true });
    anchors = [pki.hierarchy.root.certificate];
    alice = (await pki.newSigner('Alice')).signer;
    btFile = await signPdf(makeBasePdf(), alice, {
      signingTime: new Date(),
      level: 'B-T',
      timestamper: pki.timestamper,
    });
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('online: the signer, the issuing CA and the TSA of a B-T file are looked up; TOTAL-PASSED', async () => {
    const fetched = await fetchRevocationEvidence(btFile, {
      source: pki.revocation,
      trustAnchors: anchors,
      clock: systemClock,
      timeoutMs: 5_000,
    });
    assert.deepEqual(fetched.lookups.map((l) => l.subject).sort(), [
      'Alice',
      'Signet LTV Test Issuing CA',
      'Signet LTV Test Timestamp Authority',
    ]);
    assert.ok(
      fetched.lookups.every((l) => l.outcome === 'evidence'),
      JSON.stringify(fetched.lookups),
    );
    const s = only(verifyPdfLongTerm(btFile, { trustAnchors: anchors, revocation: fetched }));
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.findings));
  });

  it('DSS data first: a B-LT/B-LTA file with evidence for the whole path passes offline, its document timestamp too', async () => {
    const lta = await extendPdf(btFile, {
      level: 'B-LTA',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    });
    const report = verifyPdfLongTerm(lta, {
      trustAnchors: anchors,
      revocation: { mode: 'offline' },
    });
    assert.equal(report.signatures.length, 2);
    for (const s of report.signatures)
      assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.findings));
    assert.equal(report.signatures[0]?.level, 'B-LTA');
    // Online, nothing is asked: the DSS answers for every certificate of every path.
    const fetched = await fetchRevocationEvidence(lta, {
      source: pki.revocation,
      trustAnchors: anchors,
      clock: systemClock,
      timeoutMs: 5_000,
    });
    assert.deepEqual(fetched.lookups, []);
  });

  it('offline, a DSS without evidence for the issuing CA: INDETERMINATE / TRY_LATER naming that CA; online it is fetched', async () => {
    const issuing = pki.hierarchy.issuing.certificate;
    const lt = await extendPdf(btFile, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: without((c) => bytesEqual(c, issuing)),
    });
    const s = only(
      verifyPdfLongTerm(lt, { trustAnchors: anchors, revocation: { mode: 'offline' } }),
    );
    assert.equal(s.indication, 'INDETERMINATE', JSON.stringify(s.findings));
    assert.equal(s.subIndication, 'TRY_LATER');
    const missing = findingsOf(s, 'ERR_VALIDATION_NO_REVOCATION');
    assert.ok(
      missing.some((m) =>
        /^revocation\/error: no revocation evidence for the CA certificate Signet LTV Test Issuing CA/.test(
          m,
        ),
      ),
      missing.join('\n'),
    );
    assert.ok(!missing.some((m) => /signer certificate/.test(m)), 'the signer has DSS evidence');
    const fetched = await fetchRevocationEvidence(lt, {
      source: pki.revocation,
      trustAnchors: anchors,
      clock: systemClock,
      timeoutMs: 5_000,
    });
    assert.deepEqual(
      fetched.lookups.map((l) => l.subject),
      ['Signet LTV Test Issuing CA'],
    );
    const online = only(verifyPdfLongTerm(lt, { trustAnchors: anchors, revocation: fetched }));
    assert.equal(online.indication, 'TOTAL-PASSED');
    // EN 319 142-1 §6.3: B-LT needs the validation data of the whole path in the DSS, and the
    // issuing CA's came from the lookup, not from the document.
    assert.equal(online.level, 'B-T', 'the DSS lacks the issuing CA: not B-LT');
  });

  it('B-LTA only when a document timestamp covers a DSS with the whole path: evidence for the CA added after it gives B-LT', async () => {
    const issuing = pki.hierarchy.issuing.certificate;
    const ltaWithoutCa = await extendPdf(btFile, {
      level: 'B-LTA',
      timestamper: pki.timestamper,
      revocation: without((c) => bytesEqual(c, issuing)),
    });
    const completed = await extendPdf(ltaWithoutCa, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    });
    const report = verifyPdfLongTerm(completed, { trustAnchors: anchors, revocation: { mode: 'offline' } });
    const s = report.signatures.find((r) => r.isDocumentTimestamp !== true);
    assert.equal(s?.indication, 'TOTAL-PASSED', JSON.stringify(s?.findings));
    assert.equal(s?.level, 'B-LT', 'the timestamped DSS lacked the issuing CA');
  });

  it("offline, a DSS without evidence for the signature-time-stamp's TSA: INDETERMINATE / TRY_LATER with a time-stamp finding", async () => {
    const tsaCert = pki.hierarchy.tsa.certificate;
    const lt = await extendPdf(btFile, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: without((c) => bytesEqual(c, tsaCert)),
    });
    const s = only(
      verifyPdfLongTerm(lt, { trustAnchors: anchors, revocation: { mode: 'offline' } }),
    );
    assert.equal(s.indication, 'INDETERMINATE', JSON.stringify(s.findings));
    assert.equal(s.subIndication, 'TRY_LATER');
    const missing = findingsOf(s, 'ERR_VALIDATION_NO_REVOCATION');
    assert.deepEqual(
      missing.map((m) => m.split(':')[0]),
      ['time-stamp/error'],
      missing.join('\n'),
    );
    assert.match(
      missing[0] ?? '',
      /Signet LTV Test Timestamp Authority in the time-stamping authority's path/,
    );
  });

  it('a revoked issuing CA (root CRL): REVOKED_CA_NO_POE before the proof of existence, a warning after it', async () => {
    // Revoked after the B-T file's signature-time-stamp (made in before()), before the B-B file.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await pki.revokeIssuing(new Date());
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const bbFile = await signPdf(makeBasePdf(), alice, { signingTime: new Date() });
    // A fresh source: the PKI's own reuses a fetched CRL for 60 s.
    const source = revocationSourceFromClients({
      ocsp: new OcspClient({ clock: systemClock }),
      crl: new CrlClient({ clock: systemClock }),
    });
    const options = { source, trustAnchors: anchors, clock: systemClock, timeoutMs: 5_000 };
    const bb = only(
      verifyPdfLongTerm(bbFile, {
        trustAnchors: anchors,
        revocation: await fetchRevocationEvidence(bbFile, options),
      }),
    );
    assert.equal(bb.indication, 'INDETERMINATE', JSON.stringify(bb.findings));
    assert.equal(bb.subIndication, 'REVOKED_CA_NO_POE');
    assert.ok(
      findingsOf(bb, 'ERR_VALIDATION_REVOKED').some((m) =>
        /^revocation\/error: an online lookup says Signet LTV Test Issuing CA was revoked/.test(m),
      ),
    );
    const bt = only(
      verifyPdfLongTerm(btFile, {
        trustAnchors: anchors,
        revocation: await fetchRevocationEvidence(btFile, options),
      }),
    );
    assert.equal(bt.indication, 'TOTAL-PASSED', JSON.stringify(bt.findings));
    const warned = findingsOf(bt, 'ERR_VALIDATION_REVOKED');
    assert.ok(
      warned.length >= 1 &&
        warned.every(
          (m) => m.startsWith('revocation/warning') || m.startsWith('time-stamp/warning'),
        ),
      warned.join('\n'),
    );
  });
});
