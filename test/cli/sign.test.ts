/** The `signet sign` / `signet verify` commands as a user runs them (issue 3, "How a user will run it"). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTestPki, writePkiFiles, type PkiFiles } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { makeNssDb, pdfsig } from '../support/judges.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';

const signet = (args: readonly string[]) => runTool(process.execPath, ['bin/signet.js', ...args]);

describe('signet sign (CLI)', () => {
  let files: PkiFiles;
  const dir = tempDir({ after });
  let input: string;

  before(async () => {
    files = await writePkiFiles(dir, 'rsa');
    input = join(dir, 'in.pdf');
    writeFileSync(input, makeBasePdf({ pages: 2 }));
  });

  it('signs one file with --key/--cert/--chain and all options; pdfsig trusts it; verify finds it intact and trusted, revocation unknown', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil')) return;
    const out = join(dir, 'out.pdf');
    const r = signet([
      'sign', input, '-o', out, '--key', files.key, '--cert', files.cert, '--chain', files.chain,
      '--reason', 'Approved', '--location', 'Ghent', '--field', 'Approval', '--visible', '2,50,50,300,120',
      '--algorithm', 'rsa-pss',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const pki = await buildTestPki({ leaves: ['rsa'] });
    const nss = makeNssDb(tempDir(t), pki.root.pem);
    const sigs = pdfsig(out, nss);
    assert.equal(sigs.length, 1);
    assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
    // Issue 14: the test PKI's certificates name no OCSP/CRL and the B-B file carries no
    // revocation data, so the verdict is INDETERMINATE / TRY_LATER (exit 1), not TOTAL-PASSED.
    const v = signet(['verify', out, '--trust', files.root]);
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stdout, /INDETERMINATE \/ TRY_LATER/);
    assert.match(v.stdout, /integrity: +signed bytes unchanged/);
    assert.match(v.stdout, /certificate: +trusted/);
    assert.match(v.stdout, /ERR_VALIDATION_NO_REVOCATION, revocation/);
  });

  it('issue 18 §2: an encrypted file signs with the empty user password, or with --password-file; ERR_PDF_PASSWORD without it; verify reads it', (t) => {
    if (!requireTools(t, 'qpdf', 'pdfsig')) return;
    const open = join(dir, 'enc-open.pdf');
    const locked = join(dir, 'enc-locked.pdf');
    for (const [path, user] of [[open, ''], [locked, 'user pw']] as const) {
      const e = runTool('qpdf', ['--encrypt', user, 'owner pw', '256', '--', input, path]);
      assert.equal(e.status, 0, e.stderr);
    }
    const outOpen = join(dir, 'enc-open-signed.pdf');
    const r = signet(['sign', open, '-o', outOpen, '--key', files.key, '--cert', files.cert, '--chain', files.chain]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(pdfsig(outOpen)[0]?.isValid, true);
    const v = signet(['verify', outOpen, '--trust', files.root]);
    assert.match(v.stdout, /integrity: +signed bytes unchanged/, v.stdout + v.stderr);

    const outLocked = join(dir, 'enc-locked-signed.pdf');
    const refused = signet(['sign', locked, '-o', outLocked, '--key', files.key, '--cert', files.cert]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^error: ERR_PDF_PASSWORD: /);
    assert.ok(!existsSync(outLocked));
    const pw = join(dir, 'pdf-password.txt');
    writeFileSync(pw, 'user pw\n');
    const ok = signet(['sign', locked, '-o', outLocked, '--key', files.key, '--cert', files.cert, '--password-file', pw]);
    assert.equal(ok.status, 0, ok.stderr);
    const check = runTool('qpdf', ['--password=user pw', '--check', outLocked]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const unread = signet(['verify', outLocked, '--trust', files.root, '--offline']);
    assert.match(unread.stdout, /ERR_PDF_PASSWORD/, unread.stdout + unread.stderr);
    const read = signet(['verify', outLocked, '--trust', files.root, '--offline', '--password-file', pw]);
    assert.match(read.stdout, /integrity: +signed bytes unchanged/, read.stdout + read.stderr);
  });

  it('issue 18 §2: an R6 password in --password-file is prepared with SASLprep (RFC 4013), not only NFKC; qpdf checks the output with the prepared one', (t) => {
    if (!requireTools(t, 'qpdf', 'pdfsig')) return;
    const locked = join(dir, 'enc-saslprep.pdf');
    // qpdf stores the password as given (it does no SASLprep): the prepared form of the typed one.
    const e = runTool('qpdf', ['--encrypt', 'secret x', 'owner pw', '256', '--', input, locked]);
    assert.equal(e.status, 0, e.stderr);
    const pw = join(dir, 'pdf-password-saslprep.txt');
    // SOFT HYPHEN is mapped to nothing (RFC 3454 B.1), OGHAM SPACE MARK to SPACE; NFKC keeps the hyphen.
    writeFileSync(pw, 'se\u00ADcret\u1680x\n');
    const out = join(dir, 'enc-saslprep-signed.pdf');
    const r = signet(['sign', locked, '-o', out, '--key', files.key, '--cert', files.cert, '--chain', files.chain, '--password-file', pw]);
    assert.equal(r.status, 0, r.stderr);
    const check = runTool('qpdf', ['--password=secret x', '--check', out]);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout + check.stderr, /WARNING/i);
    const decrypted = join(dir, 'enc-saslprep-decrypted.pdf');
    assert.equal(runTool('qpdf', ['--password=secret x', '--decrypt', out, decrypted]).status, 0);
    assert.match(runTool('pdfsig', ['-upw', 'secret x', out]).stdout, /Signature Validation: Signature is Valid/);
  });

  it('issue 18 §4: a batch with --workers 2 signs on worker threads — every file valid per pdfsig, a bad file reported once with its code', (t) => {
    if (!requireTools(t, 'pdfsig')) return;
    const inDir = join(dir, 'workers-in');
    const outDir = join(dir, 'workers-out');
    mkdirSync(inDir);
    for (let i = 0; i < 12; i++) writeFileSync(join(inDir, `w-${String(i).padStart(2, '0')}.pdf`), makeBasePdf({ text: `Worker file ${i}` }));
    writeFileSync(join(inDir, 'w-bad.pdf'), 'this is not a PDF');
    const r = signet(['sign', inDir, '--out-dir', outDir, '--key', files.key, '--cert', files.cert, '--workers', '2']);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /signed 12 of 13 files/);
    assert.match(r.stderr, /^\S*w-bad\.pdf: error: ERR_PDF_[A-Z_]+: .+\n$/);
    const signed = readdirSync(outDir).sort();
    assert.equal(signed.length, 12);
    for (const f of signed) assert.ok(pdfsig(join(outDir, f))[0]?.isValid, `${f} is valid`);
    assert.deepEqual(readdirSync(outDir, { withFileTypes: true }).filter((e) => e.name.endsWith('.tmp')), []);
    const refused = signet(['sign', inDir, '--out-dir', outDir, '--key', files.key, '--cert', files.cert, '--workers', 'many']);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /^error: ERR_CLI_USAGE: --workers/);
  });

  it('signs with --p12 and --pass-file', async (t) => {
    if (!requireTools(t, 'openssl', 'pdfsig')) return;
    const p12 = join(dir, 'id.p12');
    const pass = join(dir, 'pass.txt');
    writeFileSync(pass, 'correct horse\n');
    const e = runTool('openssl', ['pkcs12', '-export', '-inkey', files.key, '-in', files.cert, '-certfile', files.chain, '-out', p12, '-passout', 'pass:correct horse']);
    assert.equal(e.status, 0, e.stderr);
    const out = join(dir, 'p12.pdf');
    const r = signet(['sign', input, '-o', out, '--p12', p12, '--pass-file', pass]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(pdfsig(out)[0]?.isValid, true);
  });

  it('a failure prints one error line with a code, exits non-zero and leaves no output file', () => {
    const out = join(dir, 'never.pdf');
    const bad = join(dir, 'bad.pdf');
    writeFileSync(bad, 'this is not a PDF');
    const r = signet(['sign', bad, '-o', out, '--key', files.key, '--cert', files.cert]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^error: ERR_[A-Z0-9_]+: .+\n$/);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
    assert.ok(!existsSync(out));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
    const u = signet(['sign', input, '--key', files.key]);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /^error: ERR_CLI_USAGE: /);
  });

  it('batch: signs a directory into --out-dir, reports the bad file, exits 1, signs the rest', () => {
    const inDir = join(dir, 'batch-in');
    const outDir = join(dir, 'batch-out');
    mkdirSync(inDir);
    mkdirSync(outDir);
    for (let i = 0; i < 5; i++) writeFileSync(join(inDir, `doc-${i}.pdf`), makeBasePdf({ text: `Document ${i}` }));
    writeFileSync(join(inDir, 'broken.pdf'), '%PDF-1.7\ngarbage');
    const r = signet(['sign', inDir, '--out-dir', outDir, '--key', files.key, '--cert', files.cert, '--chain', files.chain]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /broken\.pdf: error: ERR_/);
    assert.match(r.stdout, /signed 5 of 6 files/);
    assert.deepEqual(readdirSync(outDir).sort(), ['doc-0.pdf', 'doc-1.pdf', 'doc-2.pdf', 'doc-3.pdf', 'doc-4.pdf']);
    const ok = signet(['sign', join(inDir, 'doc-0.pdf'), join(inDir, 'doc-1.pdf'), '--out-dir', outDir, '--key', files.key, '--cert', files.cert]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /signed 2 of 2 files/);
  });

  it('batch: an --out-dir that does not exist is created (with its parents); one that cannot be is refused once', () => {
    const inputs = [0, 1].map((i) => {
      const p = join(dir, `new-out-${i}.pdf`);
      writeFileSync(p, makeBasePdf({ text: `New out ${i}` }));
      return p;
    });
    const outDir = join(dir, 'not-yet', 'out');
    const r = signet(['sign', ...inputs, '--out-dir', outDir, '--key', files.key, '--cert', files.cert]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /signed 2 of 2 files/);
    assert.deepEqual(readdirSync(outDir).sort(), ['new-out-0.pdf', 'new-out-1.pdf']);

    // A file where the directory should be: one coded error before any file, not one per file.
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, 'not a directory');
    const refused = signet(['sign', ...inputs, '--out-dir', join(blocked, 'out'), '--key', files.key, '--cert', files.cert]);
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error: ERR_CLI_INPUT: --out-dir .*a-file\/out cannot be created as a directory \(ENOTDIR\)\n$/);
  });
});
