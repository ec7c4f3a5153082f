/**
 * `signet serve --demo` (issue 6): demo.json is written once (0600) with the exact fields; its
 * user logs in at /csc/v2/auth/login, authorizes with PIN + TOTP and signs hashes with signHash;
 * the signatures verify under the credential's certificate, which OCSP at /pki/ocsp reports good.
 * The README's "sign a PDF in a minute" command (sign-csc --demo) yields a PDF that pdfsig and
 * Signet's validator accept. A restart creates nothing new.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { makeNssDb, pdfsig } from '../support/judges.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { serverEnv } from '../server/support/server-fixture.js';
import { startServe } from '../server/support/serve-process.js';
import { signetCommand } from '../support/signet-command.js';

interface Demo {
  username: string;
  password: string;
  totpSecret: string;
  credentialID: string;
  pin: string;
}

async function call(url: string, body: object, authorization: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}

function signetCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...signetCommand(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('signet serve --demo (issue 6)', () => {
  it('demo.json → auth/login → authorize (PIN + TOTP) → signHash; OCSP good; sign-csc --demo signs a PDF pdfsig accepts; restart reuses the demo', async (t) => {
    if (!requireTools(t, 'openssl', 'pdfsig', 'certutil')) return;
    const env = await serverEnv(t, 'sqlite');
    if (!env) return;
    const server = await startServe(['--data', env.dataDir, '--demo'], env.env);
    t.after(() => server.stop());
    const demoPath = join(env.dataDir, 'demo.json');
    assert.equal(statSync(demoPath).mode & 0o777, 0o600);
    const demo = JSON.parse(readFileSync(demoPath, 'utf8')) as Demo;
    for (const k of ['username', 'password', 'totpSecret', 'credentialID', 'pin'] as const) assert.equal(typeof demo[k], 'string', k);
    assert.match(demo.totpSecret, /^[A-Z2-7]+$/);
    assert.match(server.stdout(), new RegExp(`sign-csc in\\.pdf out\\.pdf --service ${server.url} --demo `));

    // "Sign a PDF in a minute": the command the server prints.
    const dir = tempDir(t);
    const ca = join(env.dataDir, 'ca');
    const input = join(dir, 'in.pdf');
    const output = join(dir, 'out.pdf');
    writeFileSync(input, makeBasePdf());
    const sign = await signetCli(['sign-csc', input, output, '--service', server.url, '--demo', demoPath]);
    assert.equal(sign.code, 0, sign.stderr + sign.stdout);
    const nss = makeNssDb(dir, readFileSync(join(ca, 'root.pem'), 'utf8'));
    const sigs = pdfsig(output, nss);
    assert.equal(sigs.length, 1);
    assert.ok(sigs[0]?.isValid, sigs[0]?.text);
    assert.ok(sigs[0]?.isTrusted, sigs[0]?.text);
    const root = new X509Certificate(readFileSync(join(ca, 'root.pem')));
    const report = verifyPdfSignatures(new Uint8Array(readFileSync(output)), { trustAnchors: [new Uint8Array(root.raw)] });
    assert.equal(report.signatures.length, 1);
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]));

    const csc = `${server.url}/csc/v2`;
    const basic = `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`;
    const login = await call(`${csc}/auth/login`, {}, basic);
    assert.equal(login.status, 200, JSON.stringify(login.json));
    const bearer = `Bearer ${String(login.json['access_token'])}`;
    const info = await call(`${csc}/credentials/info`, { credentialID: demo.credentialID, certificates: 'chain' }, bearer);
    assert.equal(info.status, 200, JSON.stringify(info.json));
    const certs = (info.json['cert'] as { certificates: string[] }).certificates;
    const leaf = new X509Certificate(Buffer.from(certs[0] ?? '', 'base64'));
    assert.match(leaf.infoAccess ?? '', new RegExp(`OCSP - URI:${server.url}/pki/ocsp`));

    const messages = ['first document', 'second document'].map((m) => Buffer.from(m));
    const hashes = messages.map((m) => createHash('sha256').update(m).digest('base64'));
    // sign-csc used this step's code; RFC 6238 §5.2 accepts each step once, so take the next one
    // (inside the ±1-step window).
    const otp = generateTotp(decodeBase32(demo.totpSecret), new Date(Date.now() + 30_000));
    const authorize = await call(
      `${csc}/credentials/authorize`,
      {
        credentialID: demo.credentialID,
        numSignatures: 2,
        hashes,
        hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
        authData: [
          { id: 'PIN', value: demo.pin },
          { id: 'OTP', value: otp },
        ],
      },
      bearer,
    );
    assert.equal(authorize.status, 200, JSON.stringify(authorize.json));
    const signed = await call(
      `${csc}/signatures/signHash`,
      { credentialID: demo.credentialID, SAD: authorize.json['SAD'], hashes, hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2' },
      bearer,
    );
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    const signatures = signed.json['signatures'] as string[];
    assert.equal(signatures.length, 2);
    const key = createPublicKey(leaf.publicKey.export({ format: 'pem', type: 'spki' }));
    messages.forEach((m, i) => assert.ok(verify('sha256', m, key, Buffer.from(signatures[i] ?? '', 'base64')), `signature ${i}`));

    // The credential's certificate is good for the server's own OCSP responder.
    const leafPem = join(dir, 'leaf.pem');
    writeFileSync(leafPem, leaf.toString());
    const ocsp = runTool('openssl', ['ocsp', '-issuer', join(ca, 'issuing.pem'), '-cert', leafPem, '-url', `${server.url}/pki/ocsp`, '-CAfile', join(ca, 'root.pem'), '-verify_other', join(ca, 'issuing.pem')]);
    assert.equal(ocsp.status, 0, ocsp.stderr);
    assert.match(ocsp.stdout, /leaf\.pem: good/);

    // A restart reads demo.json back: same account, nothing created.
    assert.equal(await server.stop(), 0);
    const again = await startServe(['--data', env.dataDir, '--demo'], env.env);
    t.after(() => again.stop());
    assert.deepEqual(JSON.parse(readFileSync(demoPath, 'utf8')), demo);
    const relogin = await call(`${again.url}/csc/v2/auth/login`, {}, basic);
    assert.equal(relogin.status, 200);
  });
});

describe('signet serve --demo on PostgreSQL (issue 6, DATABASE_URL)', () => {
  it('the demo user logs in, authorizes with PIN + TOTP and signs a hash; the rows live in PostgreSQL', async (t) => {
    const env = await serverEnv(t, 'postgres');
    if (!env) return;
    const server = await startServe(['--data', env.dataDir, '--demo'], env.env);
    t.after(() => server.stop());
    const demo = JSON.parse(readFileSync(join(env.dataDir, 'demo.json'), 'utf8')) as Demo;
    const csc = `${server.url}/csc/v2`;
    const login = await call(`${csc}/auth/login`, {}, `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`);
    assert.equal(login.status, 200, JSON.stringify(login.json));
    const bearer = `Bearer ${String(login.json['access_token'])}`;
    const hash = createHash('sha256').update('pg document').digest('base64');
    const authorize = await call(
      `${csc}/credentials/authorize`,
      {
        credentialID: demo.credentialID,
        numSignatures: 1,
        hashes: [hash],
        hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
        authData: [
          { id: 'PIN', value: demo.pin },
          { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) },
        ],
      },
      bearer,
    );
    assert.equal(authorize.status, 200, JSON.stringify(authorize.json));
    const signed = await call(
      `${csc}/signatures/signHash`,
      { credentialID: demo.credentialID, SAD: authorize.json['SAD'], hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', signAlgo: '1.2.840.10045.4.3.2' },
      bearer,
    );
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal(existsSync(join(env.dataDir, 'signet.db')), false, 'no SQLite file with DATABASE_URL');
    const pgClient = new pg.Client({ connectionString: env.databaseUrl });
    await pgClient.connect();
    try {
      const r = await pgClient.query<{ n: string }>('select count(*) as n from credentials where id = $1', [demo.credentialID]);
      assert.equal(Number(r.rows[0]?.n), 1);
    } finally {
      await pgClient.end();
    }
  });
});
