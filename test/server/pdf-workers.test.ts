/**
 * Issue 15: in `signet serve`, signDoc parses and prepares documents on worker threads with a heap
 * limit and a deadline. A decompression bomb through signDoc is refused with a coded error while
 * /health/ready keeps answering within 100 ms (90th percentile on a shared machine) and the event
 * loop stays mostly idle; a worker that dies fails its request with a coded
 * error; an ordinary document signs the same as inline.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { oids } from '../../src/cms/index.js';
import { isSignetError } from '../../src/core/errors.js';
import { createPdfPreparer, loadPdfPreparerOptions } from '../../src/server/pdf-preparation-pool.js';
import { signPdf } from '../../src/pades/index.js';
import { verifyPdfLongTerm, verifyPdfSignatures } from '../../src/validation/index.js';
import { buildTestPki } from '../support/pki.js';
import { pagesInObjectStreamBombs } from '../support/pdf-bombs.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { leafSigner } from '../support/leaf-signer.js';
import { apiServer } from './support/api-fixture.js';

/** 9 pages, each (through its own xref entry) in an object stream that inflates to 200 MiB. */
const objectStreamBombs = (): Uint8Array => pagesInObjectStreamBombs(makeBasePdf({ pages: 9 }));

describe('issue 15: PDF preparation off the event loop in signet serve', () => {
  it('the bomb through signDoc is refused (400, ERR_PDF_LIMIT_DECOMPRESSED) while /health/ready answers within 100 ms throughout; an ordinary PDF signs', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const signer = await s.addSigner('hugo');
    const token = await s.login(signer);
    const bomb = objectStreamBombs();
    const plain = makeBasePdf({ text: 'signDoc through the worker' });
    const hash = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64');
    const sad = await s.authorize(signer, token, [hash(bomb), hash(plain)]);
    const signDoc = (pdf: Uint8Array): Promise<LightMyRequestResponse> =>
      s.app.inject({
        method: 'POST',
        url: '/csc/v2/signatures/signDoc',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        payload: JSON.stringify({ credentialID: signer.credentialId, SAD: sad, documents: [{ document: Buffer.from(pdf).toString('base64'), signature_format: 'P', conformance_level: 'AdES-B-B', signAlgo: oids.ecdsa_with_SHA256 }] }),
      });
    // Warm the readiness path (first-call costs), then probe it while the bomb is refused.
    assert.equal((await s.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200);
    let finished = false;
    const elu = performance.eventLoopUtilization();
    const pending = signDoc(bomb).finally(() => (finished = true));
    const latencies: number[] = [];
    while (!finished) {
      const t0 = performance.now();
      const ready: LightMyRequestResponse = await s.app.inject({ method: 'GET', url: '/health/ready' });
      latencies.push(performance.now() - t0);
      assert.equal(ready.statusCode, 200, ready.body);
      await new Promise((r) => setTimeout(r, 20));
    }
    const busy = performance.eventLoopUtilization(elu);
    const refused = await pending;
    assert.equal(refused.statusCode, 400, refused.body);
    assert.equal(refused.json<{ error: string }>().error, 'invalid_request');
    assert.match(refused.json<{ error_description: string }>().error_description, /ERR_PDF_LIMIT_DECOMPRESSED/);
    assert.ok(latencies.length >= 5, `probed ${latencies.length} times`);
    // Inline, the event loop was blocked for the whole inflation (9.5 s in issue 15). Here the
    // main thread's loop stays mostly idle, and readiness answers within 100 ms. On this shared
    // 2-core machine (load average 12–15 while five helpers test) a thread is sometimes not
    // scheduled for 50–170 ms whatever it does, so the bound is on the 90th percentile, with the
    // worst probe under half a second; the first probe waits behind the JSON body parse, the Base64
    // check and the hash of the 2.4 MB request (~30–40 ms on an idle machine).
    const sorted = [...latencies].sort((x, y) => x - y);
    const p90 = sorted[Math.floor(sorted.length * 0.9)]!;
    const seen = latencies.map((l) => l.toFixed(1)).join(' ');
    assert.ok(p90 < 100, `/health/ready p90 ${p90.toFixed(1)} ms while the bomb was read (${seen})`);
    assert.ok(sorted[sorted.length - 1]! < 500, `/health/ready took up to ${sorted[sorted.length - 1]!.toFixed(1)} ms (${seen})`);
    assert.ok(busy.utilization < 0.5, `the event loop was busy ${(busy.utilization * 100).toFixed(0)} % of the time`);

    const ok = await signDoc(plain);
    assert.equal(ok.statusCode, 200, ok.body);
    const signed = new Uint8Array(Buffer.from(ok.json<{ DocumentWithSignature: string[] }>().DocumentWithSignature[0]!, 'base64'));
    const report = verifyPdfSignatures(signed, { trustAnchors: [s.services.rootCertificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
  });

  it('a worker that dies (heap limit) or overruns its deadline fails the request with a coded error, and the next one works', async () => {
    const pdf = makeBasePdf();
    const options = { certificateChain: [], signatureAlgorithm: { scheme: 'ECDSA', digest: 'SHA-256' }, maxSignatureSize: 72, signingTime: new Date() } as const;
    const tiny = createPdfPreparer({ workers: 1, maxHeapMb: 2 });
    try {
      await assert.rejects(tiny.prepare(pdf, options), (e) => isSignetError(e, 'ERR_PDF_LIMIT_MEMORY'));
    } finally {
      await tiny.close();
    }
    // The deadline case needs a job that cannot finish within 1 ms on any machine: the plain PDF
    // with an empty chain is refused (ERR_PADES_*) in well under 1 ms on an idle one, whereas the
    // bomb inflates tens of MiB before its budget stops it.
    const hasty = createPdfPreparer({ workers: 1, timeoutMs: 1 });
    try {
      await assert.rejects(hasty.prepare(objectStreamBombs(), options), (e) => isSignetError(e, 'ERR_PDF_LIMIT_TIME'));
    } finally {
      await hasty.close();
    }
  });

  it('the validate endpoint worker gives the inline report; a hostile document ends in a report or a coded error, the pool stays usable', async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    const signer = await leafSigner(pki, 'ec-p256');
    const signed = await signPdf(makeBasePdf({ text: 'validated in a worker' }), signer, { signingTime: new Date('2026-12-01T10:00:00Z') });
    const at = new Date('2026-12-02T10:00:00Z');
    const workers = createPdfPreparer({ workers: 1 });
    try {
      const inWorker = await workers.validate(signed, [pki.root.der], at);
      const inline = verifyPdfLongTerm(signed, { trustAnchors: [pki.root.der], clock: { now: () => at }, unreadable: 'throw' });
      assert.equal(inWorker.signatures[0]?.indication, 'TOTAL-PASSED');
      assert.deepEqual(JSON.parse(JSON.stringify(inWorker)), JSON.parse(JSON.stringify(inline)));
      await assert.rejects(workers.validate(new Uint8Array(Buffer.from('not a PDF')), [], at), (e) => isSignetError(e, 'ERR_PDF_NOT_PDF'));
      // Unsigned, so nothing needs the bombed pages: a correct report of no signatures, or a limit code.
      const bomb = await workers.validate(objectStreamBombs(), [], at).then(
        (r) => `signatures: ${r.signatures.length}`,
        (e: unknown) => (isSignetError(e) ? e.code : String(e)),
      );
      assert.match(bomb, /^signatures: 0$|^ERR_PDF_LIMIT_/);
      assert.equal((await workers.validate(signed, [pki.root.der], at)).signatures[0]?.indication, 'TOTAL-PASSED');
    } finally {
      await workers.close();
    }
  });

  it('the validation is one worker job: it asks this thread for the revocation lookups mid-job, keeps the document open, and its deadline stops meanwhile', async () => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    const signer = await leafSigner(pki, 'ec-p256');
    const signed = await signPdf(makeBasePdf({ text: 'one job' }), signer, { signingTime: new Date('2026-12-01T10:00:00Z') });
    const at = new Date('2026-12-02T10:00:00Z');
    const workers = createPdfPreparer({ workers: 1, timeoutMs: 1_500 });
    try {
      await workers.validate(signed, [pki.root.der], at); // the worker started and warm
      const asked: { subjects: string[]; busy: number }[] = [];
      const report = await workers.validate(signed, [pki.root.der], at, async (wanted) => {
        asked.push({ subjects: wanted.map((w) => createHash('sha256').update(w.certificate).digest('hex')), busy: workers.stats().busy });
        // Longer than the deadline: the lookups are this thread's time, not the document's.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        return { mode: 'offline' };
      });
      const sha = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');
      assert.deepEqual(asked, [{ subjects: [sha(pki.leaves['ec-p256'].der), sha(pki.intermediate.der)], busy: 1 }], 'asked once, from the job in progress');
      const inline = verifyPdfLongTerm(signed, { trustAnchors: [pki.root.der], clock: { now: () => at }, unreadable: 'throw', revocation: { mode: 'offline' } });
      assert.deepEqual(JSON.parse(JSON.stringify(report)), JSON.parse(JSON.stringify(inline)));
      // A question that cannot be answered fails the request with that error; the pool goes on.
      const refusal = new Error('no answer');
      await assert.rejects(workers.validate(signed, [pki.root.der], at, () => Promise.reject(refusal)), (e) => e === refusal);
      assert.equal((await workers.validate(signed, [pki.root.der], at)).signatures.length, 1);
    } finally {
      await workers.close();
    }
  });

  it('SIGNET_PDF_WORKERS, SIGNET_PDF_WORKER_HEAP_MB, SIGNET_PDF_WORKER_TIMEOUT_MS configure the workers; malformed values are ERR_SERVER_CONFIG', () => {
    assert.deepEqual(loadPdfPreparerOptions({}), {});
    assert.deepEqual(loadPdfPreparerOptions({ SIGNET_PDF_WORKERS: '4', SIGNET_PDF_WORKER_HEAP_MB: '256', SIGNET_PDF_WORKER_TIMEOUT_MS: '5000' }), {
      workers: 4,
      maxHeapMb: 256,
      timeoutMs: 5000,
    });
    for (const env of [{ SIGNET_PDF_WORKERS: '0' }, { SIGNET_PDF_WORKERS: 'two' }, { SIGNET_PDF_WORKER_HEAP_MB: '8' }, { SIGNET_PDF_WORKER_TIMEOUT_MS: '1.5' }]) {
      assert.throws(() => loadPdfPreparerOptions(env), { code: 'ERR_SERVER_CONFIG' }, JSON.stringify(env));
    }
  });
});

