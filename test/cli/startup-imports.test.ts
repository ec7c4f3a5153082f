/**
 * Issue 18 §4, a CLI that starts at once: the real binary imports a command's code only when that
 * command runs. `signet --help` loads nothing but the command table, and `signet sign` /
 * `signet verify` never reach the server, the database drivers or PKCS#11 — a static import that
 * brings them back fails here (the modules are recorded by a resolve hook in the child process).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
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
    assert.ok(verify.urls.some((u) => u.endsWith('/dist/validation/index.js')), 'the hook saw the validation code load');
    assert.deepEqual(loadedFrom(verify.urls, serverSide), []);
  });
});
