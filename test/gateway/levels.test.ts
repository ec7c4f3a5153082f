/**
 * Batch signing at PAdES B-T and B-LTA (ETSI EN 319 142-1 §6.3, §6.5) through a CSC provider:
 * each document gets a signature-time-stamp (and for B-LTA a DSS and a document timestamp),
 * with keys, CA, OCSP and TSA from Signet's own PKI on loopback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oids } from '../../src/cms/index.js';
import { systemClock } from '../../src/core/clock.js';
import { CscClient, loadRemoteCredential } from '../../src/csc/client/index.js';
import { explicitAuthorizer, signBatch, type BatchDocument } from '../../src/gateway/index.js';
import type { PadesLevel } from '../../src/pades/index.js';
import { makeNssDb, qpdfCheck } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { startMiniRssp, type MiniRssp } from '../csc/client/support/mini-rssp.js';
import { pdfsigAsync, readBack, signatureTimestampTokens } from '../pades/support/ltv-judges.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';

describe('gateway: batch signing at PAdES levels', () => {
  let pki: LtvPki;
  let rssp: MiniRssp;
  let client: CscClient;
  let otpCounter = 0;
  const otp = (): string => String(300000 + otpCounter);
  /** The credential's PIN and a one-time code not sent before, for each authorization. */
  const pinAndFreshOtp = (): { pin: string; otp: string } => {
    otpCounter++;
    return { pin: '1234', otp: otp() };
  };
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    const record = await pki.ca.issueWithNewKey(pki.keystore, { type: 'EC', curve: 'P-256' }, {
      subject: { commonName: 'Gateway Signer', organization: 'Signet LTV Test', country: 'BE' },
      profile: 'signing',
    });
    const keyRef = record.keyRef as string;
    rssp = await startMiniRssp({
      username: 'alice',
      password: 'pw',
      otp,
      credentials: [
        {
          id: 'ec',
          signWith: (request) => pki.keystore.sign(keyRef, request),
          chain: [record.der, pki.hierarchy.issuing.certificate, pki.hierarchy.root.certificate],
          algos: [oids.ecdsa_with_SHA256],
          multisign: 50,
          pin: '1234',
        },
      ],
    });
    client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: 'alice', password: 'pw' } });
  });
  after(async () => {
    await rssp.close();
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('issue 19: a batch of 5 at B-LT asks the OCSP responder once per certificate (the signer\'s and the TSA\'s), not once per document', async (t) => {
    const dir = tempDir(t);
    const credential = await loadRemoteCredential(client, 'ec');
    const docs: BatchDocument[] = [0, 1, 2, 3, 4].map((i) => ({
      id: `doc-${i}`,
      source: { kind: 'bytes', bytes: makeBasePdf({ text: `evidence once ${i}` }) },
      sink: { kind: 'file', path: join(dir, `${i}.pdf`) },
    }));
    const asked = (): number => ['POST /ocsp', 'GET /ocsp', 'GET /crl'].reduce((n, k) => n + (pki.hits.get(k) ?? 0), 0);
    const before = asked();
    const result = await signBatch(docs, {
      client,
      credential,
      clock: systemClock,
      authorize: explicitAuthorizer(client, credential, pinAndFreshOtp),
      options: { level: 'B-LT', timestamper: pki.timestamper, revocation: pki.revocation },
    });
    assert.equal(result.signed, 5, JSON.stringify(result.results));
    assert.equal(asked() - before, 2, 'one OCSP request for the signer, one for the TSA, for the whole batch');
    for (const i of [0, 1, 2, 3, 4]) {
      const { dss } = readBack(new Uint8Array(readFileSync(join(dir, `${i}.pdf`))));
      assert.equal(dss.ocspResponses.length, 2, `document ${i} holds both responses`);
    }
  });

  for (const level of ['B-T', 'B-LTA'] as const satisfies readonly PadesLevel[]) {
    it(`signs 3 files at ${level}; pdfsig, qpdf and the token checks accept them`, async (t) => {
      if (!requireTools(t, 'pdfsig', 'qpdf', 'certutil')) return;
      const dir = tempDir(t);
      const nss = makeNssDb(dir, readFileSync(pki.files.root, 'utf8'));
      mkdirSync(join(dir, 'out'));
      const docs: BatchDocument[] = [0, 1, 2].map((i) => {
        const path = join(dir, `in-${i}.pdf`);
        writeFileSync(path, makeBasePdf({ text: `level ${level} ${i}` }));
        return { id: path, source: { kind: 'file', path }, sink: { kind: 'file', path: join(dir, 'out', `${i}.pdf`) } };
      });
      const credential = await loadRemoteCredential(client, 'ec');
      const result = await signBatch(docs, {
        client,
        credential,
        clock: systemClock,
        authorize: explicitAuthorizer(client, credential, pinAndFreshOtp),
        options: { level, timestamper: pki.timestamper, revocation: pki.revocation },
      });
      assert.equal(result.signed, 3, JSON.stringify(result.results));
      for (const i of [0, 1, 2]) {
        const path = join(dir, 'out', `${i}.pdf`);
        const file = new Uint8Array(readFileSync(path));
        const { signatures, dss } = readBack(file);
        const signature = signatures.find((s) => !s.isDocumentTimestamp);
        assert.equal(signatureTimestampTokens(signature?.container as Uint8Array).length, 1, 'one signature-time-stamp');
        assert.equal(signatures.filter((s) => s.isDocumentTimestamp).length, level === 'B-LTA' ? 1 : 0);
        if (level === 'B-LTA') assert.ok(dss.ocspResponses.length >= 1, 'the DSS holds OCSP responses');
        const sigs = await pdfsigAsync(path, nss);
        for (const s of sigs.filter((x) => /ETSI\.CAdES\.detached/.test(x.text))) assert.ok(s.isValid && s.isTrusted, s.text);
        const [ok, out] = qpdfCheck(path);
        assert.ok(ok, out);
      }
    });
  }
});
