/**
 * Issue 14, revocation freshness (EN 319 102-1 §5.2.5): revocation evidence in a DSS counts only
 * when it was issued late enough for the best-signature-time (the signature-time-stamp's genTime).
 * The test PKI answers OCSP at T0; its clock then moves two hours on, a signature-time-stamp is
 * made, and the DSS gets either the T0 answer (valid one hour: stale) or a live one (fresh).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bytesEqual } from '../../src/core/bytes.js';
import {
  extendPdf,
  signPdf,
  type RevocationData,
  type RevocationSource,
} from '../../src/pades/index.js';
import {
  defaultValidationPolicy,
  fetchRevocationEvidence,
  readValidationPolicy,
  verifyPdfLongTerm,
  type SignatureReport,
  type ValidationPolicy,
} from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';

const hours = 3_600_000;

function only(report: { signatures: readonly SignatureReport[] }): SignatureReport {
  const s = report.signatures.filter((r) => r.isDocumentTimestamp !== true);
  assert.equal(s.length, 1, JSON.stringify(report));
  return s[0] as SignatureReport;
}

const findingsOf = (s: SignatureReport, code: string): string[] =>
  (s.findings ?? [])
    .filter((f) => f.code === code)
    .map((f) => `${f.check}/${f.severity}: ${f.message}`);

function withMaxAge(maxAgeSeconds: number | 'nextUpdate'): ValidationPolicy {
  const read = readValidationPolicy({
    ...defaultValidationPolicy,
    name: `max-age-${maxAgeSeconds}`,
    revocation: { ...defaultValidationPolicy.revocation, maxAgeSeconds },
  });
  assert.ok('policy' in read, JSON.stringify(read));
  return read.policy;
}

describe('issue 14: revocation evidence older than the best-signature-time does not count (EN 319 102-1 §5.2.5)', () => {
  let pki: LtvPki;
  let staleFile: Uint8Array;
  let freshFile: Uint8Array;
  let staleTsaFile: Uint8Array;
  let anchors: Uint8Array[];
  // The PKI's clock runs two hours ahead after the first answer; validation follows it.
  const clock = { now: () => new Date(Date.now() + 2 * hours + 60_000) };
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) }, { rootCrl: true });
    anchors = [pki.hierarchy.root.certificate];
    const alice = await pki.newSigner('Alice');
    const issuing = pki.hierarchy.issuing.certificate;
    const early: RevocationData = await pki.revocation.fetch(alice.certificate, issuing);
    assert.ok(early.ocspResponses.length > 0, 'the T0 answer is an OCSP response');
    const tsa = pki.hierarchy.tsa.certificate;
    const earlyTsa: RevocationData = await pki.revocation.fetch(tsa, issuing);
    pki.advanceClock(2 * hours);
    const bt = await signPdf(makeBasePdf(), alice.signer, {
      signingTime: new Date(),
      level: 'B-T',
      timestamper: pki.timestamper,
    });
    // The signer's T0 answer in the DSS, live answers for the rest of the paths.
    const replaying: RevocationSource = {
      fetch: (c, i) =>
        bytesEqual(c, alice.certificate) ? Promise.resolve(early) : pki.revocation.fetch(c, i),
    };
    staleFile = await extendPdf(bt, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: replaying,
    });
    staleTsaFile = await extendPdf(bt, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: {
        fetch: (c, i) => (bytesEqual(c, tsa) ? Promise.resolve(earlyTsa) : pki.revocation.fetch(c, i)),
      },
    });
    freshFile = await extendPdf(bt, {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    });
  });
  /** What the online lookup brings for `file`, from the test PKI's responders. */
  const fetchOnline = (file: Uint8Array) =>
    fetchRevocationEvidence(file, { source: pki.revocation, trustAnchors: anchors, clock, timeoutMs: 5_000 });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('an OCSP response whose nextUpdate is before the time-stamp: INDETERMINATE / REVOCATION_OUT_OF_BOUNDS_NO_POE naming the signer', () => {
    const s = only(
      verifyPdfLongTerm(staleFile, {
        trustAnchors: anchors,
        clock,
        revocation: { mode: 'offline' },
      }),
    );
    assert.equal(s.indication, 'INDETERMINATE', JSON.stringify(s.findings));
    assert.equal(s.subIndication, 'REVOCATION_OUT_OF_BOUNDS_NO_POE');
    assert.equal(s.level, 'B-T', 'stale evidence does not make B-LT (EN 319 142-1 §6.3 with EN 319 102-1 §5.2.5)');
    const stale = findingsOf(s, 'ERR_VALIDATION_REVOCATION_NOT_FRESH');
    assert.equal(stale.length, 1, stale.join('\n'));
    assert.match(
      stale[0] ?? '',
      /^revocation\/error: the revocation evidence for the signer certificate is not fresh .*nextUpdate is before the signature's best-signature-time/,
    );
    assert.deepEqual(findingsOf(s, 'ERR_VALIDATION_NO_REVOCATION'), []);
    assert.equal(s.revocation?.fresh, false);
    assert.equal(s.revocation?.status, 'none');
    assert.equal(
      s.revocation?.evidence?.[0]?.status,
      'good',
      'the evidence itself is kept in the report',
    );
  });

  it('evidence fetched after the time-stamp: TOTAL-PASSED, also validated days later', () => {
    for (const at of [clock, { now: () => new Date(clock.now().getTime() + 72 * hours) }]) {
      const s = only(
        verifyPdfLongTerm(freshFile, {
          trustAnchors: anchors,
          clock: at,
          revocation: { mode: 'offline' },
        }),
      );
      assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.findings));
      assert.equal(s.revocation?.fresh, true);
      assert.equal(s.revocation?.status, 'good');
    }
  });

  it('the policy decides the maximum age: 3 hours accepts the T0 answer; 0 refuses the CA CRL issued before the time-stamp', () => {
    const lenient = only(
      verifyPdfLongTerm(staleFile, {
        trustAnchors: anchors,
        clock,
        revocation: { mode: 'offline' },
        policy: withMaxAge(3 * 3600),
      }),
    );
    assert.equal(lenient.indication, 'TOTAL-PASSED', JSON.stringify(lenient.findings));
    const strict = only(
      verifyPdfLongTerm(freshFile, {
        trustAnchors: anchors,
        clock,
        revocation: { mode: 'offline' },
        policy: withMaxAge(0),
      }),
    );
    assert.equal(strict.indication, 'INDETERMINATE', JSON.stringify(strict.findings));
    // The issuing CA's CRL predates the time-stamp, and the time-stamping authority sits under the
    // same CA: its path is not fresh for the token's genTime either, so the time-stamp proves
    // nothing, and everything is judged at the validation time, after every piece was issued.
    assert.equal(strict.subIndication, 'TRY_LATER');
    const stale = findingsOf(strict, 'ERR_VALIDATION_REVOCATION_NOT_FRESH');
    assert.deepEqual(
      stale.map((m) => /^(\S+): (?:signature timestamp: )?the revocation evidence for (.*?) is not fresh/.exec(m)?.slice(1, 3).join(' ')),
      [
        'revocation/error the signer certificate',
        'revocation/error the CA certificate Signet LTV Test Issuing CA',
        "time-stamp/error Signet LTV Test Issuing CA in the time-stamping authority's path",
      ],
      stale.join('\n'),
    );
    assert.match(stale[1] ?? '', /it was issued before the validation time \(no time-stamp\)/);
    assert.match(stale[2] ?? '', /it was issued before the time-stamp's genTime/);
  });

  it("a time-stamping authority's evidence that expired before its token's genTime: the time-stamp proves nothing (level B-B); online, fresh evidence is fetched", async () => {
    const s = only(verifyPdfLongTerm(staleTsaFile, { trustAnchors: anchors, clock, revocation: { mode: 'offline' } }));
    assert.equal(s.indication, 'INDETERMINATE', JSON.stringify(s.findings));
    assert.equal(s.subIndication, 'TRY_LATER');
    assert.equal(s.level, 'B-B', 'a time-stamp that cannot be validated gives no proof of existence');
    const stale = findingsOf(s, 'ERR_VALIDATION_REVOCATION_NOT_FRESH');
    assert.equal(stale.length, 1, stale.join('\n'));
    assert.match(
      stale[0] ?? '',
      /^time-stamp\/error: signature timestamp: the revocation evidence for Signet LTV Test Timestamp Authority in the time-stamping authority's path is not fresh .*its nextUpdate is before the time-stamp's genTime/,
    );
    assert.deepEqual(findingsOf(s, 'ERR_VALIDATION_NO_REVOCATION'), []);
    const fetched = await fetchOnline(staleTsaFile);
    assert.deepEqual(
      fetched.lookups.map((l) => [l.subject, l.outcome]),
      [['Signet LTV Test Timestamp Authority', 'evidence']],
    );
    const online = only(verifyPdfLongTerm(staleTsaFile, { trustAnchors: anchors, clock, revocation: fetched }));
    assert.equal(online.indication, 'TOTAL-PASSED', JSON.stringify(online.findings));
    assert.equal(only(verifyPdfLongTerm(freshFile, { trustAnchors: anchors, clock, revocation: { mode: 'offline' } })).level, 'B-LT');
  });

  it('online, the stale signer evidence is asked about again and the fresh answer decides; fresh DSS evidence asks nothing', async () => {
    const fetched = await fetchOnline(staleFile);
    assert.deepEqual(
      fetched.lookups.map((l) => [l.subject, l.outcome]),
      [['Alice', 'evidence']],
    );
    const s = only(
      verifyPdfLongTerm(staleFile, { trustAnchors: anchors, clock, revocation: fetched }),
    );
    assert.equal(s.indication, 'TOTAL-PASSED', JSON.stringify(s.findings));
    assert.deepEqual(
      [s.revocation?.status, s.revocation?.origin, s.revocation?.fresh],
      ['good', 'online', true],
    );
    const none = await fetchOnline(freshFile);
    assert.deepEqual(none.lookups, []);
  });

  it('an OCSP answer issued after the validation time is no evidence (ASN-11), and the verdicts remembered across reports keep the times apart', () => {
    const rejected = (at: { now: () => Date }): number =>
      only(verifyPdfLongTerm(freshFile, { trustAnchors: anchors, clock: at, revocation: { mode: 'offline' } })).revocation
        ?.rejectedOcspResponses ?? 0;
    // The signer's answer was issued two hours after the real clock's now.
    const realNow = { now: () => new Date() };
    assert.deepEqual([rejected(clock), rejected(realNow), rejected(clock)], [0, 1, 0]);
  });

  it('readValidationPolicy takes "nextUpdate" or whole seconds from 0, nothing else', () => {
    assert.equal(withMaxAge('nextUpdate').revocation.maxAgeSeconds, 'nextUpdate');
    for (const bad of [-1, 1.5, 'always', null]) {
      const read = readValidationPolicy({
        ...defaultValidationPolicy,
        revocation: { ...defaultValidationPolicy.revocation, maxAgeSeconds: bad },
      });
      assert.ok('problems' in read, String(bad));
      assert.match(
        read.problems.join('\n'),
        /"maxAgeSeconds" must be "nextUpdate" or an integer from 0/,
      );
    }
  });
});
