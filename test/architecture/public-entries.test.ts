/**
 * The library's public entries (issue 20 §2): a program outside src/, in its own folder whose
 * node_modules/signet links to this package, imports only `signet/pdf`, `signet/pades` and
 * `signet/validation` (package.json `exports`, dist/ with its .d.ts), type-checks against them,
 * signs a generated PDF with its own node:crypto signer and validates the result. pdfsig judges
 * the signed file. The staged-signing program of docs/library.md (its ```ts blocks, as written
 * there) is compiled and run the same way, and each file it writes validates. Needs dist/
 * (npm run build / tsc -p tsconfig.build.json).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { writePkiFiles } from '../support/pki.js';
import { makeNssDb, pdfsig } from '../support/judges.js';
import { tempDir } from '../support/tmp.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';

/** The ```ts blocks of docs/library.md's "Staged signing" section, joined: one program. */
function stagedProgram(): string {
  const doc = readFileSync('docs/library.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Staged signing'));
  assert.ok(section.startsWith('## Staged signing'), 'docs/library.md has its staged-signing section');
  const blocks = [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  assert.ok(blocks.length >= 4, 'one block per stage');
  return blocks.join('\n');
}

// The example of docs/library.md, as another program writes it.
const program = `import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate, createPrivateKey, sign } from 'node:crypto';
import { PdfDocument } from 'signet/pdf';
import { signPdf, type PadesLevel } from 'signet/pades';
import { verifyPdfSignatures } from 'signet/validation';

const [input, output, keyPem, certPem, chainPem, rootPem] = process.argv.slice(2) as [string, string, string, string, string, string];
const der = (path: string): Uint8Array => new Uint8Array(new X509Certificate(readFileSync(path)).raw);
const key = createPrivateKey(readFileSync(keyPem));
const level: PadesLevel = 'B-B';

const signed = await signPdf(
  new Uint8Array(readFileSync(input)),
  {
    certificateChain: [der(certPem), der(chainPem)],
    signatureAlgorithm: { scheme: 'ECDSA', digest: 'SHA-256' },
    // RFC 5753 §2.1.1: the DER ECDSA-Sig-Value.
    sign: async (data) => new Uint8Array(sign('sha256', data, { key, dsaEncoding: 'der' })),
    maxSignatureSize: () => 72,
  },
  { signingTime: new Date(), reason: 'outside program', level },
);
writeFileSync(output, signed);

const revisions = PdfDocument.open(signed).revisions.length;
const report = verifyPdfSignatures(signed, { trustAnchors: [der(rootPem)] });
console.log(JSON.stringify({ revisions, indications: report.signatures.map((s) => s.indication) }));
`;

function run(command: string, args: readonly string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe('issue 20 §2: a program outside src/ signs and validates through signet/pades, signet/validation, signet/pdf', () => {
  it('type-checks against the published .d.ts, runs from dist/, TOTAL-PASSED, pdfsig valid', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(resolve('.'), join(dir, 'node_modules', 'signet'), 'dir');
    symlinkSync(resolve('node_modules', '@types'), join(dir, 'node_modules', '@types'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'outside', type: 'module', private: true }));
    writeFileSync(join(dir, 'main.mts'), program);
    const files = await writePkiFiles(dir, 'ec-p256');
    writeFileSync(join(dir, 'in.pdf'), makeBasePdf());
    writeFileSync(join(dir, 'staged.mts'), stagedProgram());
    copyFileSync(files.chain, join(dir, 'intermediate.pem'));

    // tsc resolves 'signet/…' through package.json exports (types conditions) and emits main.mjs, staged.mjs.
    const tsc = resolve('node_modules', 'typescript', 'bin', 'tsc');
    run(process.execPath, [tsc, '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', 'main.mts', 'staged.mts'], dir);

    // The staged program writes out.pdf (file sink), spooled.pdf (spool sink) and later.pdf (through JSON).
    run(process.execPath, ['staged.mjs'], dir);
    const root = new Uint8Array(new X509Certificate(readFileSync(files.root)).raw);
    for (const name of ['out.pdf', 'spooled.pdf', 'later.pdf']) {
      const report = verifyPdfSignatures(new Uint8Array(readFileSync(join(dir, name))), { trustAnchors: [root] });
      assert.deepEqual(report.signatures.map((sig) => sig.indication), ['TOTAL-PASSED'], name);
    }

    const out = run(process.execPath, ['main.mjs', 'in.pdf', 'out.pdf', files.key, files.cert, files.chain, files.root], dir);
    const result = JSON.parse(out.trim().split('\n').at(-1) ?? '') as { revisions: number; indications: string[] };
    assert.deepEqual(result, { revisions: 2, indications: ['TOTAL-PASSED'] });

    // An import that is not a public entry is refused by the exports map.
    writeFileSync(join(dir, 'inner.mjs'), "await import('signet/dist/pki/index.js');\n");
    const inner = spawnSync(process.execPath, ['inner.mjs'], { cwd: dir, encoding: 'utf8' });
    assert.match(inner.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);

    const verdicts = pdfsig(join(dir, 'out.pdf'), makeNssDb(dir, readFileSync(files.root, 'utf8')));
    assert.equal(verdicts.length, 1);
    assert.ok(verdicts[0]?.isValid, verdicts[0]?.text);
    assert.ok(verdicts[0]?.isTrusted, verdicts[0]?.text);
  });
});
