/**
 * The CSC API v2 client against an independent provider over real HTTP (port 0): the methods of
 * CSC v2 §11 with their specified errors, algorithm choice from `key.algo`, and the `Signer`
 * adapter judged by pdfsig and Signet's validator.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oids } from '../../../src/cms/index.js';
import { isSignetError } from '../../../src/core/errors.js';
import { CscClient, CscClientError, explicitAuthData, loadRemoteCredential } from '../../../src/csc/client/index.js';
import { cscSigner, explicitAuthorizer } from '../../../src/gateway/index.js';
import { signPdf } from '../../../src/pades/index.js';
import { verifyPdfSignatures } from '../../../src/validation/index.js';
import { makeNssDb, pdfsig } from '../../support/judges.js';
import { makeBasePdf } from '../../support/pdf-fixtures.js';
import { buildTestPki, type LeafKind, type TestPki } from '../../support/pki.js';
import { requireTools } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';
import { startMiniRssp, type MiniCredential, type MiniRssp } from './support/mini-rssp.js';

const signingTime = new Date('2026-11-23T10:00:00Z');
const kinds = ['rsa', 'rsa-pss', 'ec-p256', 'ec-p384'] as const satisfies readonly LeafKind[];

function isRemote(error: string, description?: string) {
  return (e: unknown): boolean =>
    e instanceof CscClientError &&
    e.code === 'ERR_CSC_CLIENT_REMOTE' &&
    e.remote?.error === error &&
    (description === undefined || e.remote.errorDescription === description);
}

describe('CSC API v2 client', () => {
  let pki: TestPki<(typeof kinds)[number]>;
  let rssp: MiniRssp;
  let otpCounter = 0;
  const otp = (): string => String(100000 + otpCounter);
  const nextOtp = (): string => {
    otpCounter++;
    return otp();
  };
  const credentialsOf = (p: typeof pki): MiniCredential[] => [
    { id: 'rsa', privateKey: p.leaves.rsa.privateKey, chain: p.chain('rsa'), algos: [oids.sha256WithRSAEncryption, oids.id_RSASSA_PSS], multisign: 10, pin: '1234' },
    // The CSC v1 habit: key.algo names the key algorithm; signAlgo rsaEncryption + hashAlgorithmOID.
    { id: 'rsa-v1', privateKey: p.leaves.rsa.privateKey, chain: p.chain('rsa'), algos: [oids.rsaEncryption], multisign: 10, pin: '1234' },
    { id: 'rsa-pss', privateKey: p.leaves['rsa-pss'].privateKey, chain: p.chain('rsa-pss'), algos: [oids.id_RSASSA_PSS], multisign: 10, pin: '1234' },
    { id: 'ec-p256', privateKey: p.leaves['ec-p256'].privateKey, chain: p.chain('ec-p256'), algos: [oids.ecdsa_with_SHA256], multisign: 10, pin: '1234', rawEcdsa: true },
    { id: 'ec-p384', privateKey: p.leaves['ec-p384'].privateKey, chain: p.chain('ec-p384'), algos: [oids.id_ecPublicKey], multisign: 10, pin: '1234' },
    { id: 'corrupt', privateKey: p.leaves.rsa.privateKey, chain: p.chain('rsa'), algos: [oids.sha256WithRSAEncryption], multisign: 10, pin: '1234', corrupt: true },
  ];

  before(async () => {
    pki = await buildTestPki({ leaves: [...kinds] });
    rssp = await startMiniRssp({ username: 'alice', password: 'pw', credentials: credentialsOf(pki), otp });
  });
  after(() => rssp.close());

  const client = (): CscClient => new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: 'alice', password: 'pw' } });

  it('info needs no authorization; auth/login happens on first use and the token is reused', async () => {
    const c = client();
    const logins = rssp.calls['auth/login'] ?? 0;
    const info = await c.info();
    assert.equal(info.specs, '2.0.0.2');
    assert.equal(rssp.calls['auth/login'] ?? 0, logins);
    const list = await c.listCredentials();
    assert.ok(list.credentialIDs.includes('rsa'));
    await c.listCredentials();
    assert.equal(rssp.calls['auth/login'], logins + 1);
  });

  it('logs in again once when the provider says invalid_token (CSC v2 §10.2)', async () => {
    const c = client();
    await c.listCredentials();
    const token = c.accessToken;
    // Another session revokes c's token behind its back (CSC v2 §11.3).
    await client().revoke(token);
    const logins = rssp.calls['auth/login'] ?? 0;
    await c.listCredentials();
    assert.equal(rssp.calls['auth/login'], logins + 1);
    assert.notEqual(c.accessToken, token);
    await c.revoke();
    assert.equal(c.accessToken, undefined);
    const bearer = new CscClient({ baseUrl: rssp.url, auth: { kind: 'bearer', accessToken: 'not-a-token' } });
    await assert.rejects(() => bearer.listCredentials(), isRemote('invalid_token'));
  });

  it('maps refusals to CscClientError with the provider error and description', async () => {
    const bad = new CscClient({ baseUrl: rssp.url, auth: { kind: 'basic', username: 'alice', password: 'wrong' } });
    await assert.rejects(() => bad.listCredentials(), (e: unknown) => {
      assert.ok(isRemote('authentication_error')(e));
      assert.equal((e as CscClientError).remote?.status, 400);
      assert.equal((e as CscClientError).remote?.method, 'auth/login');
      return true;
    });
    const c = client();
    await assert.rejects(() => c.credentialInfo({ credentialID: 'nope' }), isRemote('invalid_request', 'Invalid parameter credentialID'));
    const hash = createHash('sha256').update('a').digest('base64');
    await assert.rejects(
      () => c.authorize({ credentialID: 'rsa', numSignatures: 1, hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', authData: [{ id: 'PIN', value: '0000' }, { id: 'OTP', value: nextOtp() }] }),
      isRemote('invalid_authentication_data'),
    );
    const { SAD } = await c.authorize({ credentialID: 'rsa', numSignatures: 1, hashes: [hash], hashAlgorithmOID: '2.16.840.1.101.3.4.2.1', authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: nextOtp() }] });
    const other = createHash('sha256').update('b').digest('base64');
    await assert.rejects(
      () => c.signHash({ credentialID: 'rsa', SAD: SAD as string, hashes: [other], signAlgo: oids.sha256WithRSAEncryption }),
      isRemote('invalid_request', 'Hash is not authorized by the SAD'),
    );
    const { signatures } = await c.signHash({ credentialID: 'rsa', SAD: SAD as string, hashes: [hash], signAlgo: oids.sha256WithRSAEncryption });
    assert.equal(signatures.length, 1);
    // numSignatures = 1: the SAD is spent.
    await assert.rejects(() => c.signHash({ credentialID: 'rsa', SAD: SAD as string, hashes: [hash], signAlgo: oids.sha256WithRSAEncryption }), isRemote('invalid_request'));
  });

  it('reports timeouts, unreachable providers, oversized and malformed replies as typed errors', async () => {
    const slow = await startMiniRssp({ username: 'a', password: 'b', credentials: [], otp, delayMs: 300 });
    try {
      const c = new CscClient({ baseUrl: slow.url, auth: { kind: 'none' }, timeoutMs: 50 });
      await assert.rejects(() => c.info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_TIMEOUT'));
    } finally {
      await slow.close();
    }
    const gone = new CscClient({ baseUrl: slow.url, auth: { kind: 'none' }, timeoutMs: 2000 });
    await assert.rejects(() => gone.info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_NETWORK'));

    const replying = (body: string, status = 200): CscClient =>
      new CscClient({ baseUrl: 'http://provider.invalid/csc/v2', auth: { kind: 'none' }, maxResponseBytes: 1000, fetch: () => Promise.resolve(new Response(body, { status })) });
    await assert.rejects(() => replying(`{"specs":"${'x'.repeat(2000)}"}`).info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE'));
    await assert.rejects(() => replying('<html>').info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE'));
    await assert.rejects(() => replying('{"specs":"2.0.0.2"}').info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE'));
    await assert.rejects(
      () => replying('{"signatures":["AA==","AA=="]}').signHash({ credentialID: 'x', hashes: ['AA=='], signAlgo: '1.2' }),
      (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE'),
    );
    // An error reply that is not JSON still yields its status.
    await assert.rejects(() => replying('Bad Gateway', 502).info(), (e: unknown) => isRemote('http_502')(e) && (e as CscClientError).remote?.status === 502);
    assert.throws(() => new CscClient({ baseUrl: 'ftp://x', auth: { kind: 'none' } }), (e) => isSignetError(e, 'ERR_CSC_CLIENT_CONFIG'));
  });

  it('the node:http transport bounds declared and endless bodies, refuses a 2xx that is not JSON, and fails at once on a cut body', async (t) => {
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/declared/')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' });
        res.write('{"specs":"');
        return;
      }
      if (req.url?.startsWith('/endless/')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        const pump = setInterval(() => res.write('x'.repeat(512)), 1);
        res.on('close', () => clearInterval(pump));
        return;
      }
      if (req.url?.startsWith('/cut/')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"specs":');
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = (path: string): CscClient => new CscClient({ baseUrl: `${base}${path}`, auth: { kind: 'none' }, maxResponseBytes: 1000, timeoutMs: 5000 });
    await assert.rejects(() => c('/declared').info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE') && /exceeds 1000 bytes/.test((e as Error).message));
    await assert.rejects(() => c('/endless').info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE') && /exceeds 1000 bytes/.test((e as Error).message));
    await assert.rejects(() => c('/html').info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_RESPONSE') && /not JSON/.test((e as Error).message));
    // A body cut short by the provider fails at once as a network error, not after the 5 s timeout.
    const started = performance.now();
    await assert.rejects(() => c('/cut').info(), (e) => isSignetError(e, 'ERR_CSC_CLIENT_NETWORK'));
    assert.ok(performance.now() - started < 2000);
  });

  it('chooses signAlgo from key.algo (signature OIDs, the v1 key-algorithm OIDs, PSS params)', async () => {
    const c = client();
    const rsa = await loadRemoteCredential(c, 'rsa');
    assert.equal(rsa.algorithm.signAlgo, oids.sha256WithRSAEncryption);
    assert.equal(rsa.algorithm.hashAlgorithmOID, undefined);
    assert.equal(rsa.certificateChain.length, 3);
    assert.equal(rsa.scal, '2');
    const v1 = await loadRemoteCredential(c, 'rsa-v1');
    assert.equal(v1.algorithm.signAlgo, oids.rsaEncryption);
    assert.equal(v1.algorithm.hashAlgorithmOID, '2.16.840.1.101.3.4.2.1');
    const pss = await loadRemoteCredential(c, 'rsa', { scheme: 'RSASSA-PSS' });
    assert.equal(pss.algorithm.signAlgo, oids.id_RSASSA_PSS);
    assert.ok(pss.algorithm.signAlgoParams);
    const p384 = await loadRemoteCredential(c, 'ec-p384');
    assert.deepEqual(p384.algorithm.signatureAlgorithm, { scheme: 'ECDSA', digest: 'SHA-384' });
    await assert.rejects(() => loadRemoteCredential(c, 'rsa-v1', { scheme: 'ECDSA' }), (e) => isSignetError(e, 'ERR_CSC_CLIENT_ALGORITHM'));
    assert.deepEqual(
      explicitAuthData(rsa.authObjects, { pin: '1', otp: '2' }),
      [{ id: 'PIN', value: '1' }, { id: 'OTP', value: '2' }],
    );
    assert.throws(() => explicitAuthData(rsa.authObjects, { pin: '1' }), (e) => isSignetError(e, 'ERR_CSC_CLIENT_CONFIG'));
  });

  it('signs PDFs through cscSigner for every key type; pdfsig and the validator accept them', async (t) => {
    if (!requireTools(t, 'pdfsig', 'certutil')) return;
    const dir = tempDir(t);
    const nss = makeNssDb(dir, pki.root.pem);
    const c = client();
    for (const [id, preference] of [['rsa', {}], ['rsa-v1', {}], ['rsa-pss', { scheme: 'RSASSA-PSS' }], ['ec-p256', {}], ['ec-p384', {}]] as const) {
      const credential = await loadRemoteCredential(c, id, preference);
      const signer = cscSigner(c, credential, explicitAuthorizer(c, credential, () => ({ pin: '1234', otp: nextOtp() })));
      const signed = await signPdf(makeBasePdf(), signer, { signingTime, reason: `CSC ${id}` });
      const path = join(dir, `${id}.pdf`);
      writeFileSync(path, signed);
      const report = verifyPdfSignatures(signed, { trustAnchors: [pki.root.der] });
      assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', `${id}: ${JSON.stringify(report.signatures[0]?.problems)}`);
      const sigs = pdfsig(path, nss);
      assert.equal(sigs.length, 1);
      assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, `${id}: ${sigs[0]?.text}`);
    }
  });

  it('never returns a signature that does not verify with the certificate', async () => {
    const c = client();
    const credential = await loadRemoteCredential(c, 'corrupt');
    const signer = cscSigner(c, credential, explicitAuthorizer(c, credential, () => ({ pin: '1234', otp: nextOtp() })));
    await assert.rejects(() => signPdf(makeBasePdf(), signer, { signingTime }), (e) => isSignetError(e, 'ERR_CSC_CLIENT_SIGNATURE_INVALID'));
  });
});
