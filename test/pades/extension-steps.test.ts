/**
 * The document steps of raising a PAdES level (ETSI EN 319 142-1 §6.3–§6.5), apart from the
 * fetches: planExtension names what a signed document needs (a document timestamp first, the
 * signers' certification paths) from the document alone; writeExtension writes the DSS and
 * prepares the document timestamp over it; extendSource runs them on the work it is given and
 * fetches between them — against Signet's own CA, OCSP responder and TSA on loopback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Signer } from '../../src/cms/index.js';
import { isSignetError } from '../../src/core/errors.js';
import {
  ValidationDataCollector,
  appendedSource,
  buildDssUpdate,
  extendPdf,
  inlineExtensionWork,
  listPdfSignatures,
  planExtension,
  prepareDocumentTimestamp,
  signPdf,
  stampDocumentTimestamp,
  vriKeyOf,
  writeExtension,
  type DssIndex,
  type ExtensionWork,
  type ExtensionWriteRequest,
  type RevocationSource,
  type Timestamper,
} from '../../src/pades/index.js';
import {
  IncrementalWriter,
  PdfDict,
  PdfDocument,
  PdfName,
  type PdfRef,
  PdfStream,
  bytesSource,
  type ByteSource,
} from '../../src/pdf/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { startLtvPki, type LtvPki } from './support/ltv-pki.js';

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

describe('PAdES extension steps: plan and write apart from the fetches', () => {
  let pki: LtvPki;
  let alice: Signer;
  let aliceCert: Uint8Array;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) });
    ({ signer: alice, certificate: aliceCert } = await pki.newSigner('Alice'));
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  it('planExtension: ERR_PADES_NOT_SIGNED for an unsigned file; a B-B signature needs a document timestamp first (§6.3)', async () => {
    assert.throws(
      () => planExtension(bytesSource(makeBasePdf()), { evidence: true }),
      (e) => isSignetError(e, 'ERR_PADES_NOT_SIGNED'),
    );
    const bb = await signPdf(makeBasePdf(), alice, { signingTime: new Date() });
    assert.deepEqual(planExtension(bytesSource(bb), { evidence: true }), { needsTimestamp: true });
  });

  it('planExtension of a B-T file: the paths of the signer and of the TSA, linked leaf → issuing CA → root, keyed by the VRI key', async () => {
    const bt = await signPdf(makeBasePdf(), alice, {
      signingTime: new Date(),
      level: 'B-T',
      timestamper: pki.timestamper,
    });
    const plan = planExtension(bytesSource(bt), { evidence: true });
    assert.equal(plan.needsTimestamp, false);
    const evidence = plan.evidence!;
    const [signature] = listPdfSignatures(PdfDocument.open(bt));
    assert.equal(evidence.signatures.length, 1);
    assert.equal(evidence.signatures[0]?.vriKey, vriKeyOf(signature!.contents));
    const { root, issuing, tsa } = pki.hierarchy;
    const path = (i: number | undefined): string[] => {
      const out: string[] = [];
      for (let at = i ?? -1; at >= 0 && out.length < 8; at = evidence.issuers[at] ?? -1)
        out.push(hex(evidence.certificates[at]));
      return out;
    };
    const [signer, stamp] = evidence.signatures[0]!.signers;
    assert.deepEqual(path(signer), [aliceCert, issuing.certificate, root.certificate].map(hex));
    assert.deepEqual(
      path(stamp),
      [tsa.certificate, issuing.certificate, root.certificate].map(hex),
    );
    assert.equal(
      new Set(evidence.certificates.map(hex)).size,
      evidence.certificates.length,
      'each certificate once',
    );
  });

  it('extendSource runs plan and write on the work given and fetches between them: B-B → B-LTA', async () => {
    const log: string[] = [];
    const work: ExtensionWork = {
      planExtension: (document, request) => {
        log.push('plan');
        return inlineExtensionWork.planExtension(document, request);
      },
      writeExtension: (document, request) => {
        log.push(`write${request.materials ? ' dss' : ''}${request.timestamp ? ' timestamp' : ''}`);
        return inlineExtensionWork.writeExtension(document, request);
      },
    };
    const timestamper: Timestamper = {
      timestamp: (digest, algorithm) => {
        log.push('tsa');
        return pki.timestamper.timestamp(digest, algorithm);
      },
    };
    const revocation: RevocationSource = {
      fetch: (cert, issuer) => {
        log.push('revocation');
        return pki.revocation.fetch(cert, issuer);
      },
    };
    const bb = await signPdf(makeBasePdf(), alice, { signingTime: new Date() });
    const lta = await extendPdf(bb, { level: 'B-LTA', timestamper, revocation }, work);
    const steps = log.filter((s, i) => s !== log[i - 1]);
    // The room of a document timestamp is measured once (a token from the TSA), then: the
    // timestamp giving B-T, the plan of the document with it, the evidence, the DSS with the
    // B-LTA timestamp prepared over it, its token.
    assert.deepEqual(steps, [
      'plan',
      'tsa',
      'write timestamp',
      'tsa',
      'plan',
      'revocation',
      'write dss timestamp',
      'tsa',
    ]);
    const report = verifyPdfLongTerm(lta, { trustAnchors: [pki.hierarchy.root.certificate] });
    assert.equal(
      report.signatures[0]?.indication,
      'TOTAL-PASSED',
      JSON.stringify(report.signatures[0]?.problems),
    );
    assert.equal(report.signatures[0]?.level, 'B-LTA');
  });

  it('the DSS is decoded once per extension: the write takes the index of the DSS the plan read (issue 15)', async () => {
    const bt = await signPdf(makeBasePdf(), alice, {
      signingTime: new Date(),
      level: 'B-T',
      timestamper: pki.timestamper,
    });
    const sources = {
      level: 'B-LT',
      timestamper: pki.timestamper,
      revocation: pki.revocation,
    } as const;
    const lt = await extendPdf(bt, sources);
    const plans: (DssIndex | undefined)[] = [];
    const writes: ExtensionWriteRequest[] = [];
    const work: ExtensionWork = {
      planExtension: async (document, request) => {
        const plan = await inlineExtensionWork.planExtension(document, request);
        plans.push(plan.dss);
        return plan;
      },
      writeExtension: (document, request) => {
        writes.push(request);
        return inlineExtensionWork.writeExtension(document, request);
      },
    };
    // Extended again (the revocation data renewed): the write is told what the DSS holds.
    const again = await extendPdf(lt, sources, work);
    assert.equal(plans.length, 1);
    assert.ok((plans[0]?.length ?? 0) >= 3, 'the index names the DSS streams');
    assert.deepEqual(writes[0]?.dss, plans[0]);
    const certs = (pdf: Uint8Array): number => {
      const doc = PdfDocument.open(pdf);
      return doc.resolveArray(doc.resolveDict(doc.catalog.get('DSS'))?.get('Certs'))?.length ?? 0;
    };
    assert.equal(
      certs(again),
      certs(lt),
      'the certificates already stored are referenced, not added again',
    );
  });

  it('writeExtension reads the signed document once: the DSS update and the document timestamp prepared over it are the bytes of the two steps on fresh opens', async () => {
    const bt = await signPdf(makeBasePdf(), alice, {
      signingTime: new Date(),
      level: 'B-T',
      timestamper: pki.timestamper,
    });
    const plan = planExtension(bytesSource(bt), { evidence: true });
    const materials = await new ValidationDataCollector(pki.revocation).collectPlanned(plan.evidence!);
    const timestamp = { capacity: 8000, digestAlgorithm: 'SHA-256' } as const;
    // Each open of the document reads its newest cross-reference section, at its startxref.
    const startxref = PdfDocument.open(bt).startxref;
    const reads: number[] = [];
    const inner = bytesSource(bt);
    const counting: ByteSource = { length: inner.length, read: (at, n) => (reads.push(at), inner.read(at, n)) };
    const atStartxref = (): number => reads.splice(0).filter((at) => at === startxref).length;
    PdfDocument.open(counting);
    const oneOpen = atStartxref();
    assert.ok(oneOpen > 0);
    const written = writeExtension(counting, { materials, ...(plan.dss === undefined ? {} : { dss: plan.dss }), timestamp });
    assert.equal(atStartxref(), oneOpen, 'one open of the signed document');
    // The same updates as the public steps give, each on its own open.
    const dss = buildDssUpdate(bytesSource(bt), materials, undefined, plan.dss);
    const prepared = prepareDocumentTimestamp(appendedSource(bytesSource(bt), dss), timestamp);
    assert.equal(hex(written.dss), hex(dss));
    assert.deepEqual(written.timestamp, prepared);
    // And the result finishes into a B-LTA file that validates.
    const lta = new Uint8Array(Buffer.concat([bt, dss, await stampDocumentTimestamp(prepared, pki.timestamper)]));
    const report = verifyPdfLongTerm(lta, { trustAnchors: [pki.hierarchy.root.certificate] });
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
    assert.equal(report.signatures[0]?.level, 'B-LTA');
  });

  it('buildDssUpdate with the DSS index reuses the streams it names without decoding them', () => {
    // A DSS whose one /Certs stream cannot be decoded: only the index can tell what it holds.
    const base = PdfDocument.open(makeBasePdf());
    const writer = new IncrementalWriter(base);
    const stream = writer.allocate();
    writer.set(
      stream,
      new PdfStream(
        PdfDict.of({ Filter: PdfName.of('FlateDecode') }),
        new TextEncoder().encode('not deflated'),
      ),
    );
    const dss = writer.allocate();
    writer.set(dss, PdfDict.of({ Type: PdfName.of('DSS'), Certs: [stream] }));
    const catalog = base.catalog.clone();
    catalog.set('DSS', dss);
    writer.set(base.trailer.get('Root') as PdfRef, catalog);
    const pdf = new Uint8Array(Buffer.concat([makeBasePdf(), writer.build().bytes]));
    const material = {
      vriKey: 'AB'.repeat(20),
      certificates: [aliceCert],
      ocspResponses: [],
      crls: [],
    };
    assert.throws(
      () => buildDssUpdate(bytesSource(pdf), [material]),
      (e) => isSignetError(e),
    );
    const sha256 = createHash('sha256').update(aliceCert).digest('hex');
    const update = buildDssUpdate(bytesSource(pdf), [material], undefined, [
      { kind: 'certificates', num: stream.num, gen: stream.gen, sha256 },
    ]);
    const doc = PdfDocument.open(new Uint8Array(Buffer.concat([pdf, update])));
    const written = doc.resolveDict(doc.catalog.get('DSS'));
    assert.deepEqual(
      doc.resolveArray(written?.get('Certs'))?.map((r) => (r as PdfRef).num),
      [stream.num],
      'the named stream is referenced, no copy written',
    );
  });
});
