/** `signet sign --level … --tsa URL` and `signet extend` as a user runs them (issue 4), against in-process CA/OCSP/TSA. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derToPem } from '../../src/pki/index.js';
import { verifyPdfLongTerm } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { makeNssDb } from '../support/judges.js';
import { requireTools } from '../support/tools.js';
import { runToolAsync } from '../pki/support/pki-server.js';
import { startLtvPki, type LtvPki } from '../pades/support/ltv-pki.js';
import { pdfsigAsync, readBack } from '../pades/support/ltv-judges.js';

// Asynchronous: the child talks to the TSA/OCSP served by this process.
const signet = (args: readonly string[]) =>
  runToolAsync(process.execPath, ['bin/signet.js', ...args]);

describe('signet sign --level / signet extend (CLI)', () => {
  let pki: LtvPki;
  let key: string;
  let cert: string;
  let input: string;
  let nss: string;
  const cleanups: (() => unknown)[] = [];

  before(async () => {
    pki = await startLtvPki({ after: (fn) => cleanups.push(fn) }, { rootCrl: true });
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const record = await pki.ca.issue({
      subject: { commonName: 'Carol CLI', organization: 'Signet LTV Test', country: 'BE' },
      subjectPublicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      profile: 'signing',
    });
    key = join(pki.dir, 'carol.key');
    cert = join(pki.dir, 'carol.pem');
    writeFileSync(key, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    writeFileSync(cert, derToPem(record.der, 'CERTIFICATE'));
    input = join(pki.dir, 'in.pdf');
    writeFileSync(input, makeBasePdf());
    nss = makeNssDb(pki.dir, readFileSync(pki.files.root, 'utf8'));
  });
  after(async () => {
    await pki.close();
    for (const fn of cleanups.reverse()) await fn();
  });

  const tsa = (): string => `${pki.host.url}/tsa`;

  /** `signet sign` of `files` (input and -o output, or --out-dir) at `level`, timestamped by the TSA. */
  const signAt = (files: readonly string[], level: string): string[] => [
    'sign',
    ...files,
    '--key',
    key,
    '--cert',
    cert,
    '--chain',
    pki.files.chain,
    '--level',
    level,
    '--tsa',
    tsa(),
  ];

  it('sign --level B-LTA --tsa URL produces a signature timestamp, a DSS and a document timestamp', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil')) return;
    const out = join(pki.dir, 'lta.pdf');
    const r = await signet(signAt([input, '-o', out], 'B-LTA'));
    assert.equal(r.status, 0, r.stderr);
    const sigs = await pdfsigAsync(out, nss);
    assert.equal(sigs.length, 2);
    assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
    const { signatures, dss } = readBack(new Uint8Array(readFileSync(out)));
    assert.equal(signatures.filter((s) => s.isDocumentTimestamp).length, 1);
    assert.ok(dss.ocspResponses.length >= 2 && dss.vriKeys.length === 1);
  });

  it('sign --level B-T, then extend to B-LT and B-LTA; verify passes', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil')) return;
    const bt = join(pki.dir, 'bt.pdf');
    let r = await signet(signAt([input, '-o', bt], 'b-t'));
    assert.equal(r.status, 0, r.stderr);
    const lt = join(pki.dir, 'bt-lt.pdf');
    r = await signet(['extend', bt, '-o', lt, '--level', 'B-LT', '--tsa', tsa()]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /extended to B-LT/);
    assert.equal(readBack(new Uint8Array(readFileSync(lt))).dss.vriKeys.length, 1);
    const lta = join(pki.dir, 'bt-lta.pdf');
    r = await signet(['extend', lt, '-o', lta, '--level', 'LTA', '--tsa', tsa()]);
    assert.equal(r.status, 0, r.stderr);
    const sigs = await pdfsigAsync(lta, nss);
    assert.equal(sigs.length, 2);
    assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
    const v = await signet(['verify', lta, '--trust', pki.files.root]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /PAdES level: +B-LTA/);
    assert.match(v.stdout, /timestamp: +signature valid/);
    assert.match(v.stdout, /timestamp: +document valid/);
  });

  it('a batch (--out-dir) at B-T timestamps every file', async () => {
    const inDir = join(pki.dir, 'batch-in');
    const outDir = join(pki.dir, 'batch-out');
    mkdirSync(inDir);
    mkdirSync(outDir);
    for (const n of ['a', 'b', 'c']) writeFileSync(join(inDir, `${n}.pdf`), makeBasePdf());
    const r = await signet(signAt([inDir, '--out-dir', outDir], 'B-T'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /signed 3 of 3 files/);
    for (const n of ['a', 'b', 'c']) {
      const report = verifyPdfLongTerm(new Uint8Array(readFileSync(join(outDir, `${n}.pdf`))), {
        trustAnchors: [pki.hierarchy.root.certificate],
      });
      assert.equal(report.signatures[0]?.level, 'B-T', n);
    }
  });

  it('usage errors: a level without --tsa, an unknown level, extend without --level; no output is left', async () => {
    const out = join(pki.dir, 'never.pdf');
    for (const args of [
      ['sign', input, '-o', out, '--key', key, '--cert', cert, '--level', 'B-T'],
      ['sign', input, '-o', out, '--key', key, '--cert', cert, '--level', 'B-X', '--tsa', tsa()],
      ['extend', input, '-o', out, '--tsa', tsa()],
      ['extend', input, '-o', out, '--level', 'B-LT', '--tsa', tsa()],
    ]) {
      const r = await signet(args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, /ERR_(CLI_USAGE|PADES_NOT_SIGNED)/, r.stderr);
    }
    assert.equal(existsSync(out), false);
  });
});
