/**
 * Issue 15 and 20: in `signet serve`, the B-LT/B-LTA extension of signDoc (and of the web
 * gateway's jobs) parses and writes the signed document on the document workers, and only the
 * fetches (time-stamps, OCSP, CRLs) run on the server's thread. A signed file whose DSS inflates
 * 128 MiB each time it is opened (twice for B-LT) is extended by signDoc while /health/ready,
 * probed over HTTP from a thread of its own, keeps answering; the result is B-LT and pdfsig
 * calls its signature valid. The extension steps on a
 * worker take a B-B file to B-LTA, and a DSS over the document's budget (set lower through
 * SIGNET_PDF_DOCUMENT_MAX_BYTES, as an operator would) is refused there with the reader's code.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { oids } from '../../src/cms/index.js';
import { isSignetError } from '../../src/core/errors.js';
import { appendedSource, extendPdf, listPdfSignatures, signPdf } from '../../src/pades/index.js';
import { FileSource, PdfDocument, bytesSource } from '../../src/pdf/index.js';
import { derToPem } from '../../src/pki/index.js';
import { createPdfPreparer, workerParts } from '../../src/server/pdf-preparation-pool.js';
import { makeNssDb } from '../support/judges.js';
import { dssStreamBombs } from '../support/pdf-bombs.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { probeLoop } from '../support/readiness-probes.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { pdfsigAsync, readBack } from '../pades/support/ltv-judges.js';
import { startLtvPki } from '../pades/support/ltv-pki.js';
import { apiServer } from './support/api-fixture.js';

/** A CSC v2 signatures/signDoc request for one PDF, signed at PAdES B-LT with ECDSA SHA-256. */
function signDocAtBLT(credentialID: string, SAD: string, pdf: Uint8Array) {
  return {
    credentialID,
    SAD,
    documents: [
      {
        document: Buffer.from(pdf).toString('base64'),
        signature_format: 'P',
        conformance_level: 'AdES-B-LT',
        signAlgo: oids.ecdsa_with_SHA256,
      },
    ],
  };
}

describe('issues 15 and 20: B-LT/B-LTA extension on the document workers', () => {
  it('signDoc at AdES-B-LT of a file whose DSS inflates 128 MiB per open: /health/ready answers throughout, pdfsig: valid', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil')) return;
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    // Listening first, so that the certificate names a reachable OCSP responder for pdfsig to ask.
    const url = await s.app.listen({ port: 0, host: '127.0.0.1' });
    s.services.baseUrl.set(url);
    const signer = await s.addSigner('lena');
    const token = await s.login(signer);
    const pdf = dssStreamBombs(makeBasePdf({ text: 'a DSS that inflates' }), 8, 16);
    const plain = makeBasePdf({ text: 'signed first' });
    const [sad, plainSad] = [
      await s.authorize(signer, token, [createHash('sha256').update(pdf).digest('base64')]),
      await s.authorize(signer, token, [createHash('sha256').update(plain).digest('base64')]),
    ];
    // B-LT holds a signature-time-stamp: the in-process TSA stamps only at the database's time.
    s.clock.followRealTime();
    // A server that has signed at B-LT once: its first signature's one-time costs on this thread
    // (modules, ASN.1 schemas, code not yet compiled: up to 660 ms at load 17) are not the bomb's.
    const first = await s.csc(
      'signatures/signDoc',
      signDocAtBLT(signer.credentialId, plainSad, plain),
      { bearer: token },
    );
    assert.equal(first.statusCode, 200, first.body);
    const probes = await probeLoop(`${url}/health/ready`);
    const elu = performance.eventLoopUtilization();
    // The server's own loop, so that a slow probe says whether this thread was held or the
    // machine did not schedule the probing thread.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const answer = await fetch(`${url}/csc/v2/signatures/signDoc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(signDocAtBLT(signer.credentialId, sad, pdf)),
    }).then(async (r) => [r.status, await r.text()] as const);
    const elapsed = performance.now() - started;
    const { latencies, failures } = await probes.stop();
    const busy = performance.eventLoopUtilization(elu);
    delay.disable();

    const [status, body] = answer;
    assert.equal(status, 200, body);
    const signed = new Uint8Array(
      Buffer.from(
        (JSON.parse(body) as { DocumentWithSignature: string[] }).DocumentWithSignature[0]!,
        'base64',
      ),
    );
    // Read without decoding the DSS streams (the test's own thread would pay the inflation).
    const doc = PdfDocument.open(signed);
    assert.deepEqual(
      listPdfSignatures(doc).map((x) => x.isDocumentTimestamp),
      [false],
    );
    const written = doc.resolveDict(doc.catalog.get('DSS'));
    assert.ok(
      (doc.resolveArray(written?.get('OCSPs'))?.length ?? 0) >= 1,
      'the DSS holds OCSP responses',
    );
    assert.ok(
      (doc.resolveArray(written?.get('Certs'))?.length ?? 0) > 8,
      'the old /Certs entries are kept, the path added',
    );
    const dir = tempDir(t);
    const path = join(dir, 'signed.pdf');
    writeFileSync(path, signed);
    const [sig] = await pdfsigAsync(
      path,
      makeNssDb(dir, derToPem(s.services.rootCertificate, 'CERTIFICATE')),
    );
    assert.ok(sig?.isValid && sig.isTrusted, sig?.text);

    // Inline (signDoc without the workers' extension) the same run held the loop for 5 s: worst
    // probe 5049 ms, loop busy 72 % of the time (load average 11). On the workers, after one
    // ordinary B-LT signDoc (SHOW_COSTS=1 prints the figures): p90 23–28 ms, worst 90–221 ms at
    // load 12–16 on 2 cores. The worst probe is the server's loop itself (the loop delay's maximum
    // matches it), held by the OCSP responses' checks of the evidence fetch (certificate parses,
    // signature verifications: CPU profile) stretched by the other processes; GC pauses (≤ 80 ms)
    // explain smaller ones, the document's copying none (shared memory; this file is 300 KB).
    // Without the warm-up signDoc the first signature's one-time costs add up to 660 ms at load
    // 17. So the bound is on the 90th percentile, the worst probe under half a second.
    assert.deepEqual(failures, []);
    const sorted = [...latencies].sort((x, y) => x - y);
    const seen = `${latencies.map((l) => l.toFixed(1)).join(' ')}; server loop delay max ${(delay.max / 1e6).toFixed(1)} ms`;
    if (process.env['SHOW_COSTS'] === '1')
      console.log(
        `probes ${latencies.length}, p90 ${sorted[Math.floor(sorted.length * 0.9)]!.toFixed(1)} ms, worst ${sorted[sorted.length - 1]!.toFixed(1)} ms, loop delay max ${(delay.max / 1e6).toFixed(1)} ms, busy ${(busy.utilization * 100).toFixed(0)} %`,
      );
    assert.ok(
      latencies.length >= 10,
      `probed ${latencies.length} times in ${elapsed.toFixed(0)} ms`,
    );
    assert.ok(
      sorted[Math.floor(sorted.length * 0.9)]! < 100,
      `/health/ready p90 while extending (${seen})`,
    );
    assert.ok(sorted[sorted.length - 1]! < 500, `/health/ready worst while extending (${seen})`);
    assert.ok(
      busy.utilization < 0.5,
      `the event loop was busy ${(busy.utilization * 100).toFixed(0)} % of the time`,
    );
  });

  it('signDoc at AdES-B-LT of a file whose DSS streams are decompression bombs: refused in phase one (400), the SAD not consumed, no signature audited', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const signer = await s.addSigner('otto');
    const token = await s.login(signer);
    // Eight /DSS /Certs streams inflating 40 MiB each (over the 32 MiB a stream may decode to):
    // phase two would merge the new evidence into this DSS and cannot read it.
    const pdf = dssStreamBombs(makeBasePdf({ text: 'a DSS that cannot be read' }), 8, 40);
    const sad = await s.authorize(signer, token, [
      createHash('sha256').update(pdf).digest('base64'),
    ]);
    s.clock.followRealTime();
    const signDoc = (): ReturnType<typeof s.csc> =>
      s.csc('signatures/signDoc', signDocAtBLT(signer.credentialId, sad, pdf), { bearer: token });
    const first = await signDoc();
    assert.equal(first.statusCode, 400, first.body);
    const refusal = first.json<{ error: string; error_description: string }>();
    assert.equal(refusal.error, 'invalid_request');
    assert.match(
      refusal.error_description,
      /document 1 cannot be signed \(ERR_PDF_LIMIT_DECOMPRESSED\)/,
    );
    // The SAD was not consumed: the same request with it is refused for the same reason (a
    // consumed SAD would be refused as such), and neither made a signature.
    const again = await signDoc();
    assert.equal(again.statusCode, 400, again.body);
    assert.deepEqual(again.json(), refusal);
    const rows = await s.services.store.db
      .selectFrom('audit_log')
      .select(['outcome', 'details'])
      .where('event_type', '=', 'csc.signatures.signDoc')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.outcome),
      ['failure', 'failure'],
      'two audited refusals, no signature',
    );
  });

  it('the document crosses to the workers once: phase one keeps it in shared memory, the extension steps get it in place and only the updates copied', async (t) => {
    const pki = await startLtvPki(t);
    t.after(() => pki.close());
    const { signer } = await pki.newSigner('Sofia');
    const workers = createPdfPreparer({ workers: 1 });
    t.after(() => workers.close());
    const pdf = makeBasePdf({ text: 'shared with the workers' });
    const prepared = await workers.prepare(pdf, {
      certificateChain: signer.certificateChain,
      signatureAlgorithm: signer.signatureAlgorithm,
      maxSignatureSize: signer.maxSignatureSize(),
      signingTime: new Date(),
    });
    const original = prepared.source!.read(0, prepared.documentLength);
    assert.ok(
      original.buffer instanceof SharedArrayBuffer,
      'the prepared original is in shared memory',
    );
    assert.deepEqual(Buffer.from(original), Buffer.from(pdf));
    // The signed document of phase two and a document timestamp after it: the original as it is.
    const updates = [prepared.update, new Uint8Array([10, 37, 37, 69, 79, 70, 10])];
    const parts = workerParts(
      appendedSource(appendedSource(prepared.source!, updates[0]!), updates[1]!),
    );
    assert.equal(parts.length, 3);
    assert.equal(
      parts[0]!.buffer,
      original.buffer,
      'the original part is the shared memory itself',
    );
    assert.deepEqual(parts.slice(1), updates);
    // An original phase one did not share (a web job's, opened at Sign) is copied into shared
    // memory at the first step and sent as it is at the next.
    const opened = bytesSource(makeBasePdf({ text: 'opened at Sign', extraStreamBytes: 100_000 }));
    const [first] = workerParts(appendedSource(opened, updates[0]!));
    const [next] = workerParts(appendedSource(appendedSource(opened, updates[0]!), updates[1]!));
    assert.ok(first!.buffer instanceof SharedArrayBuffer);
    assert.equal(next, first, 'the same shared copy');
    assert.deepEqual(Buffer.from(first!), Buffer.from(opened.read(0, opened.length)));
    // A spooled file is read once, into shared memory.
    const path = join(tempDir(t), 'spooled.pdf');
    writeFileSync(path, pdf);
    const file = FileSource.open(path);
    t.after(() => file.close());
    const [fromFile] = workerParts(file);
    assert.ok(fromFile!.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(Buffer.from(fromFile!), Buffer.from(pdf));
  });

  it('the extension steps on a worker: B-B → B-LTA is judged valid; a DSS over the document budget is ERR_PDF_LIMIT_DECOMPRESSED', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil')) return;
    const pki = await startLtvPki(t);
    t.after(() => pki.close());
    const { signer } = await pki.newSigner('Walter');
    const workers = createPdfPreparer({ workers: 1 });
    t.after(() => workers.close());
    const sources = {
      level: 'B-LTA',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    } as const;

    const signed = await signPdf(makeBasePdf({ text: 'extended on a worker' }), signer, {
      signingTime: new Date(),
    });
    const lta = await extendPdf(signed, sources, workers.extension);
    const { signatures, dss } = readBack(lta);
    assert.deepEqual(
      signatures.map((x) => x.isDocumentTimestamp),
      [false, true, true],
      'B-T by a document timestamp, then B-LTA',
    );
    assert.ok(dss.ocspResponses.length >= 2, 'OCSP for the signer and the TSA');
    const dir = tempDir(t);
    const path = join(dir, 'lta.pdf');
    writeFileSync(path, lta);
    const judged = await pdfsigAsync(
      path,
      makeNssDb(dir, derToPem(pki.hierarchy.root.certificate, 'CERTIFICATE')),
    );
    assert.equal(judged.length, 3);
    assert.ok(judged[0]?.isValid && judged[0].isTrusted, judged[0]?.text);

    // 8 × 16 MiB is over a budget of 64 MiB a document may inflate (SIGNET_PDF_DOCUMENT_MAX_BYTES,
    // read by a worker from the environment it starts with): refused on the worker, nothing fetched.
    const hostile = await signPdf(
      dssStreamBombs(makeBasePdf({ text: 'too much DSS' }), 8, 16),
      signer,
      { signingTime: new Date(), level: 'B-T', timestamper: pki.timestamper },
    );
    const before = [...pki.hits.values()].reduce((a, b) => a + b, 0);
    const strict = createPdfPreparer({ workers: 1 });
    t.after(() => strict.close());
    const previous = process.env['SIGNET_PDF_DOCUMENT_MAX_BYTES'];
    process.env['SIGNET_PDF_DOCUMENT_MAX_BYTES'] = String(64 * 1024 * 1024);
    let refused: Promise<Uint8Array>;
    try {
      refused = extendPdf(hostile, { ...sources, level: 'B-LT' }, strict.extension); // its worker starts now
    } finally {
      if (previous === undefined) delete process.env['SIGNET_PDF_DOCUMENT_MAX_BYTES'];
      else process.env['SIGNET_PDF_DOCUMENT_MAX_BYTES'] = previous;
    }
    await assert.rejects(refused, (e) => isSignetError(e, 'ERR_PDF_LIMIT_DECOMPRESSED'));
    assert.equal(
      [...pki.hits.values()].reduce((a, b) => a + b, 0),
      before,
      'no time-stamp or OCSP request for a refused file',
    );
  });
});
