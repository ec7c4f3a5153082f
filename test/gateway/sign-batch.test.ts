/**
 * Batch signing through a CSC provider over HTTP (port 0) with real keys: one authorization per
 * `multisign` group, signHash in chunks, per-document failures that do not stop the batch, no
 * temporary files left behind; outputs judged by pdfsig, qpdf and Signet's validator.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oids } from '../../src/cms/index.js';
import { fixedClock, systemClock } from '../../src/core/clock.js';
import { CscClient, loadRemoteCredential, type RemoteCredential } from '../../src/csc/client/index.js';
import { explicitAuthorizer, signBatch, type BatchDocument, type BatchProgress } from '../../src/gateway/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsig, qpdfCheck } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { buildTestPki, type TestPki } from '../support/pki.js';
import { requireTools } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { startMiniRssp, type MiniRssp } from '../csc/client/support/mini-rssp.js';

describe('gateway: batch signing over signatures/signHash', () => {
  let pki: TestPki<'rsa' | 'ec-p256'>;
  let rssp: MiniRssp;
  let client: CscClient;
  let otpCounter = 0;
  const otp = (): string => String(200000 + otpCounter);
  const secrets = (pin = '1234') => () => {
    otpCounter++;
    return { pin, otp: otp() };
  };

  before(async () => {
    pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
    rssp = await startMiniRssp({
      username: 'alice',
      password: 'pw',
      otp,
      maxHashesPerCall: 3,
      credentials: [
        { id: 'rsa', privateKey: pki.leaves.rsa.privateKey, chain: pki.chain('rsa'), algos: [oids.sha256WithRSAEncryption], multisign: 5, pin: '1234' },
        { id: 'ec', privateKey: pki.leaves['ec-p256'].privateKey, chain: pki.chain('ec-p256'), algos: [oids.ecdsa_with_SHA256], multisign: 100, pin: '1234' },
        { id: 'corrupt', privateKey: pki.leaves.rsa.privateKey, chain: pki.chain('rsa'), algos: [oids.sha256WithRSAEncryption], multisign: 100, pin: '1234', corrupt: true },
      ],
    });
    client = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: 'alice', password: 'pw' } });
  });
  after(() => rssp.close());

  const fileDocs = (dir: string, n: number, prefix = 'doc'): BatchDocument[] => {
    mkdirSync(join(dir, 'in'), { recursive: true });
    mkdirSync(join(dir, 'out'), { recursive: true });
    return Array.from({ length: n }, (_, i) => {
      const name = `${prefix}-${i}.pdf`;
      writeFileSync(join(dir, 'in', name), makeBasePdf({ text: `${prefix} ${i}` }));
      return { id: name, source: { kind: 'file', path: join(dir, 'in', name) }, sink: { kind: 'file', path: join(dir, 'out', name) } };
    });
  };
  const noTmpLeft = (dir: string): void => assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp')), []);
  const valid = (bytes: Uint8Array): void => {
    const report = verifyPdfSignatures(bytes, { trustAnchors: [pki.root.der] });
    assert.equal(report.signatures.length, 1);
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
  };

  it('signs 12 files with one authorization per multisign group and ≤ 3 hashes per call; pdfsig and qpdf accept them', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil', 'qpdf')) return;
    const dir = tempDir(t);
    const nss = makeNssDb(dir, pki.root.pem);
    const credential = await loadRemoteCredential(client, 'rsa');
    const docs = fileDocs(dir, 12);
    const events: BatchProgress[] = [];
    const authorizeBefore = rssp.calls['credentials/authorize'] ?? 0;
    const result = await signBatch(docs, {
      client,
      credential,
      clock: systemClock,
      authorize: explicitAuthorizer(client, credential, secrets()),
      hashesPerCall: 3,
      // Nothing in memory: every prepared document waits in a temporary file.
      memoryBudgetBytes: 0,
      options: { reason: 'Batch approval' },
      onProgress: (p) => events.push(p),
    });
    assert.equal(result.signed, 12, JSON.stringify(result.results.filter((r) => !r.ok)));
    // multisign 5 → groups of 5, 5, 2; each group signHash'ed in calls of ≤ 3.
    assert.equal(result.authorizations, 3);
    assert.equal((rssp.calls['credentials/authorize'] ?? 0) - authorizeBefore, 3);
    assert.equal(result.signHashCalls, 2 + 2 + 1);
    assert.ok(rssp.maxHashesSeen() <= 3);
    assert.equal(events.filter((e) => e.event === 'prepared').length, 12);
    assert.equal(events.filter((e) => e.event === 'signed').length, 12);
    assert.equal(events.at(-1)?.finished, 12);
    for (const doc of docs) {
      const out = join(dir, 'out', doc.id);
      valid(new Uint8Array(readFileSync(out)));
      const input = readFileSync(join(dir, 'in', doc.id));
      assert.ok(readFileSync(out).subarray(0, input.length).equals(input), 'the original bytes are kept (incremental update)');
    }
    const sigs = pdfsig(join(dir, 'out', 'doc-0.pdf'), nss);
    assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
    const [ok, out] = qpdfCheck(join(dir, 'out', 'doc-11.pdf'));
    assert.ok(ok, out);
    noTmpLeft(join(dir, 'out'));
  });

  it('reports a broken, a missing and an unwritable document and signs the rest', async (t) => {
    const dir = tempDir(t);
    const credential = await loadRemoteCredential(client, 'ec');
    const docs = fileDocs(dir, 4);
    writeFileSync(join(dir, 'in', 'broken.pdf'), 'this is not a PDF');
    const broken: BatchDocument = { id: 'broken.pdf', source: { kind: 'file', path: join(dir, 'in', 'broken.pdf') }, sink: { kind: 'file', path: join(dir, 'out', 'broken.pdf') } };
    const missing: BatchDocument = { id: 'missing.pdf', source: { kind: 'file', path: join(dir, 'in', 'missing.pdf') }, sink: { kind: 'file', path: join(dir, 'out', 'missing.pdf') } };
    const unwritable: BatchDocument = { id: 'nowhere.pdf', source: docs[0]!.source, sink: { kind: 'file', path: join(dir, 'no-such-dir', 'x.pdf') } };
    const all = [docs[0]!, broken, docs[1]!, missing, unwritable, docs[2]!, docs[3]!];
    const result = await signBatch(all, { client, credential, clock: systemClock, authorize: explicitAuthorizer(client, credential, secrets()), hashesPerCall: 3 });
    assert.equal(result.signed, 4, JSON.stringify(result.results.map((r) => (r.ok ? r.id : [r.id, r.stage, r.message]))));
    assert.equal(result.failed, 3);
    assert.deepEqual(result.results.map((r) => r.id), all.map((d) => d.id), 'results keep input order');
    const failedById = Object.fromEntries(result.results.filter((r) => !r.ok).map((r) => [r.id, r]));
    for (const id of ['broken.pdf', 'missing.pdf', 'nowhere.pdf']) {
      const r = failedById[id];
      assert.ok(r && !r.ok && r.stage === 'prepare' && r.code.startsWith('ERR_'), `${id}: ${JSON.stringify(r)}`);
    }
    assert.equal(result.authorizations, 1);
    assert.ok(!existsSync(join(dir, 'out', 'broken.pdf')));
    for (const d of docs) valid(new Uint8Array(readFileSync(join(dir, 'out', d.id))));
    noTmpLeft(join(dir, 'out'));
  });

  it('stops after a refused authorization (no retry that could lock the credential) and leaves nothing behind', async (t) => {
    const dir = tempDir(t);
    const credential = await loadRemoteCredential(client, 'rsa');
    const docs = fileDocs(dir, 8);
    const before = rssp.calls['credentials/authorize'] ?? 0;
    const result = await signBatch(docs, { client, credential, clock: systemClock, authorize: explicitAuthorizer(client, credential, secrets('0000')) });
    assert.equal(result.signed, 0);
    assert.equal((rssp.calls['credentials/authorize'] ?? 0) - before, 1, 'one attempt, then stop');
    for (const r of result.results) {
      assert.ok(!r.ok && r.stage === 'authorize' && r.code === 'ERR_CSC_CLIENT_REMOTE', JSON.stringify(r));
    }
    assert.deepEqual(readdirSync(join(dir, 'out')), []);
  });

  it('signs in memory (bytes in, bytes out); identical documents share one authorized hash', async () => {
    const credential = await loadRemoteCredential(client, 'ec');
    const pdf = makeBasePdf({ text: 'same' });
    const outputs = new Map<string, Uint8Array>();
    const docs: BatchDocument[] = ['a', 'b', 'c'].map((id) => ({
      id,
      source: { kind: 'bytes', bytes: id === 'c' ? makeBasePdf({ text: 'other' }) : pdf },
      sink: { kind: 'bytes', accept: (signed) => void outputs.set(id, signed) },
    }));
    let hashesAuthorized = 0;
    const inner = explicitAuthorizer(client, credential, secrets());
    const result = await signBatch(docs, {
      client,
      credential,
      clock: fixedClock(new Date('2026-11-23T10:00:00Z')),
      authorize: (request) => {
        hashesAuthorized += request.hashes.length;
        return inner(request);
      },
    });
    assert.equal(result.signed, 3);
    assert.equal(hashesAuthorized, 2);
    for (const id of ['a', 'b', 'c']) valid(outputs.get(id) as Uint8Array);
  });

  it('signs the next chunk while the documents of the previous one are still being finished (issue 19)', async () => {
    const credential = await loadRemoteCredential(client, 'ec');
    const outputs = new Map<string, Uint8Array>();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let callsWhileHeld = -1;
    const before = rssp.calls['signatures/signHash'] ?? 0;
    const docs: BatchDocument[] = Array.from({ length: 6 }, (_, i) => ({
      id: `p${i}`,
      source: { kind: 'bytes', bytes: makeBasePdf({ text: `pipelined ${i}` }) },
      sink: {
        kind: 'bytes',
        accept: async (signed) => {
          outputs.set(`p${i}`, signed);
          if (i !== 0) return;
          // The first document of the first chunk waits until the last chunk has been signed.
          const deadline = Date.now() + 10_000;
          while ((rssp.calls['signatures/signHash'] ?? 0) - before < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
          callsWhileHeld = (rssp.calls['signatures/signHash'] ?? 0) - before;
          release();
          await held;
        },
      },
    }));
    const result = await signBatch(docs, {
      client,
      credential,
      clock: systemClock,
      authorize: explicitAuthorizer(client, credential, secrets()),
      hashesPerCall: 2,
      concurrency: 1,
    });
    assert.equal(result.signed, 6, JSON.stringify(result.results.filter((r) => !r.ok)));
    assert.equal(callsWhileHeld, 3, 'all three chunks were signed while the first document was being finished');
    for (const [, signed] of outputs) valid(signed);
  });

  it('fails the documents whose returned signature does not verify, writing no output', async (t) => {
    const dir = tempDir(t);
    const credential: RemoteCredential = await loadRemoteCredential(client, 'corrupt');
    const docs = fileDocs(dir, 3);
    const result = await signBatch(docs, { client, credential, clock: systemClock, authorize: explicitAuthorizer(client, credential, secrets()) });
    assert.equal(result.signed, 0);
    for (const r of result.results) assert.ok(!r.ok && r.stage === 'embed' && r.code === 'ERR_CSC_CLIENT_SIGNATURE_INVALID', JSON.stringify(r));
    assert.deepEqual(readdirSync(join(dir, 'out')), []);
  });

  it('a failed signHash call fails its chunk only', async (t) => {
    const dir = tempDir(t);
    const credential = await loadRemoteCredential(client, 'ec');
    const docs = fileDocs(dir, 6);
    // Four hashes per call where the provider accepts three: every call is refused.
    const result = await signBatch(docs, { client, credential, clock: systemClock, authorize: explicitAuthorizer(client, credential, secrets()), hashesPerCall: 4 });
    assert.equal(result.signed, 2, 'the last chunk (2 hashes) passes');
    const failed = result.results.filter((r) => !r.ok);
    assert.equal(failed.length, 4);
    for (const r of failed) assert.ok(!r.ok && r.stage === 'sign' && r.message.includes('Too many hashes'));
    noTmpLeft(join(dir, 'out'));
  });
});
