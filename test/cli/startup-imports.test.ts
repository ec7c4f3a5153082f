/**
 * Issue 18 §4, a CLI that starts at once: the real binary imports a command's code only when that
 * command runs. `signet --help` loads nothing but the command table, and `signet sign` /
 * `signet verify` never reach the server, the database drivers or PKCS#11 — a static import that
 * brings them back fails here (the modules are recorded by a resolve hook in the child process).
 * sign, verify and extend run from dist/cli-bundle/ (scripts/bundle-cli.mjs) while it is fresh;
 * the recorded bundle files stand for the modules they hold, so the same assertions hold either way.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadedFrom, modulesLoadedBy } from '../support/module-loads.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { writePkiFiles } from '../support/pki.js';
import { tempDir } from '../support/tmp.js';

const serverSide = {
  packages: ['fastify', '@fastify', 'pg', 'better-sqlite3', 'kysely', 'pino', 'jose', '@simplewebauthn'],
  folders: ['server', 'store', 'csc', 'gateway', 'auth', 'audit'],
};

describe('signet starts at once (issue 18 §4)', () => {
  it('the compiled CLI exists', () => {
    assert.ok(existsSync(join(process.cwd(), 'dist', 'cli', 'main.js')), 'run npm run build before the CLI tests');
  });

  it('`signet --help` loads the command table and nothing of any command', () => {
    const r = modulesLoadedBy(['--help']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: signet <command>/);
    const ours = r.urls.filter((u) => u.includes('/dist/'));
    assert.ok(ours.some((u) => u.endsWith('/dist/cli/main.js')), 'the hook saw the CLI load');
    assert.deepEqual(
      ours.filter((u) => !/\/dist\/(cli\/main|cli\/commands\/index|core\/errors)\.js$/.test(u)),
      [],
    );
    assert.deepEqual(r.urls.filter((u) => u.includes('/node_modules/')), []);
    assert.deepEqual(loadedFrom(r.urls, serverSide), []);
  });

  it('`signet sign` and `signet verify` of a real file never load the server, the store or the database drivers', async () => {
    const dir = tempDir({ after });
    const files = await writePkiFiles(dir, 'rsa');
    const input = join(dir, 'in.pdf');
    const output = join(dir, 'out.pdf');
    writeFileSync(input, makeBasePdf());
    const sign = modulesLoadedBy(['sign', input, '-o', output, '--key', files.key, '--cert', files.cert]);
    assert.equal(sign.status, 0, sign.stderr);
    assert.ok(sign.urls.some((u) => u.endsWith('/dist/pades/index.js')), 'the hook saw the signing code load');
    assert.deepEqual(loadedFrom(sign.urls, serverSide), []);
    // A B-B signature needs no TSA/OCSP/CRL client: the PKI domain loads only for B-T and above.
    assert.deepEqual(loadedFrom(sign.urls, { packages: ['@peculiar/asn1-ocsp', '@peculiar/asn1-tsp'], folders: ['pki'] }), []);
    // A key file needs no key backend: pkcs11js loads only for a --key-uri pkcs11: key.
    assert.deepEqual(loadedFrom(sign.urls, { packages: ['pkcs11js'], folders: ['keys/pkcs11', 'keys/remote', 'keys/software'] }), []);
    // Nor does it need an ASN.1 schema package (they were ~360 ms of CPU of a 600 ms start, issue
    // 18 §4): certificates are read with cms/der, PKCS#12 (--p12) is imported only when asked for.
    assert.deepEqual(loadedFrom(sign.urls, { packages: ['@peculiar', 'asn1js'], folders: [] }), []);
    assert.deepEqual(sign.urls.filter((u) => /\/dist\/(keys\/local\/pkcs12|cms\/verify-signer-info)\.js$/.test(u)), []);

    const verify = modulesLoadedBy(['verify', output, '--offline']);
    assert.match(verify.stdout, /signature/i, verify.stderr);
    if (bundleIsFresh()) {
      // Run from dist/cli-bundle/ (scripts/bundle-cli.mjs), with nothing of dist/ beside it.
      for (const r of [sign, verify]) assert.deepEqual(r.recorded.filter((u) => u.includes('/dist/') && !u.includes('/dist/cli-bundle/')), []);
      assert.ok(sign.bundleFiles.includes('main.js') && verify.bundleFiles.includes('main.js'));
    }
    assert.ok(verify.urls.some((u) => u.endsWith('/dist/validation/index.js')), 'the hook saw the validation code load');
    assert.deepEqual(loadedFrom(verify.urls, serverSide), []);
  });
});

/** Whether bin/signet.js will run `signet sign` from dist/cli-bundle/ (built by `npm run build`). */
function bundleIsFresh(): boolean {
  const manifest = join(process.cwd(), 'dist', 'cli-bundle', 'manifest.json');
  if (!existsSync(manifest)) return false;
  const built = statSync(manifest).mtimeMs;
  const { inputs } = JSON.parse(readFileSync(manifest, 'utf8')) as { inputs: string[] };
  return inputs.every((i) => statSync(join(process.cwd(), i)).mtimeMs <= built);
}

describe('signet sign and verify run from one bundle (issue 18 §4)', () => {
  it('a fresh dist/cli-bundle serves a batch, on both threads, with no module of dist/ beside it', { skip: !bundleIsFresh() && 'dist/cli-bundle is missing or older than dist/ (npm run build makes it)' }, async () => {
    const dir = tempDir({ after });
    const files = await writePkiFiles(dir, 'rsa');
    const batch = join(dir, 'batch');
    mkdirSync(batch);
    writeFileSync(join(batch, 'a.pdf'), makeBasePdf());
    const r = modulesLoadedBy(['sign', batch, '--out-dir', join(dir, 'signed'), '--workers', '1', '--key', files.key, '--cert', files.cert]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'signed', 'a.pdf')));
    // The main thread and the worker thread (its bundled entry) load only bundle files: two copies
    // of a class (SignetError, PdfRef) in one process would break instanceof.
    assert.ok(r.bundleFiles.includes('main.js') && r.bundleFiles.includes('sign-batch-worker.js'), r.bundleFiles.join(' '));
    assert.deepEqual(r.recorded.filter((u) => u.includes('/dist/') && !u.includes('/dist/cli-bundle/')), []);
  });

  it('bin/signet.js uses the bundle for its commands only while no module it holds is newer', () => {
    // A copy of the real bin/signet.js over a dist/ whose two mains say which one ran.
    const root = tempDir({ after });
    mkdirSync(join(root, 'bin'));
    copyFileSync(join(process.cwd(), 'bin', 'signet.js'), join(root, 'bin', 'signet.js'));
    const mainSaying = (word: string) => `export async function main(argv, io) { io.stdout.write('${word} ' + argv.join(' ')); return 0; }\n`;
    mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
    mkdirSync(join(root, 'dist', 'cli-bundle'));
    writeFileSync(join(root, 'dist', 'cli', 'main.js'), mainSaying('dist'));
    writeFileSync(join(root, 'dist', 'cli-bundle', 'main.js'), mainSaying('bundle'));
    const manifest = join(root, 'dist', 'cli-bundle', 'manifest.json');
    const held = join(root, 'dist', 'cli', 'main.js');
    const past = new Date(Date.now() - 60_000);
    utimesSync(held, past, past);
    writeFileSync(manifest, JSON.stringify({ commands: ['sign', 'verify'], inputs: ['dist/cli/main.js'] }));
    const run = (...args: string[]): string => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'signet.js'), ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(run('sign', 'x'), 'bundle sign x');
    // --help loads three modules either way: it skips the bundle's freshness check (~220 stats).
    assert.equal(run('--help'), 'dist --help');
    assert.equal(run('serve'), 'dist serve', 'a command outside the bundle');
    assert.equal(run('extend'), 'dist extend', 'a command this bundle does not hold');
    // `tsc` rebuilt a module the bundle holds: the bundle is stale until bundled again.
    const future = new Date(Date.now() + 60_000);
    utimesSync(held, future, future);
    assert.equal(run('sign', 'x'), 'dist sign x');
    utimesSync(manifest, future, new Date(Date.now() + 120_000));
    assert.equal(run('sign', 'x'), 'bundle sign x');
    rmSync(manifest);
    assert.equal(run('sign', 'x'), 'dist sign x', 'no bundle');
  });
});
