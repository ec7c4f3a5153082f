/**
 * End-to-end CSC flow over HTTP (issue 6 "Done means"; docs/security.md SAD-01): auth/login →
 * credentials/list → info → authorize with PIN + OTP → signHash of several PAdES DTBS/R hashes →
 * embedSignature → pdfsig and verifyPdfSignatures accept every file. On v2 and v1 paths, on SQLite
 * and PostgreSQL, with EC P-256, RSA PKCS#1 v1.5 and RSA-PSS. Every body is checked against the
 * CSC specification.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditLog } from '../../src/audit/index.js';
import { oids, type SignatureAlgorithm } from '../../src/cms/index.js';
import { embedSignature, preparePdf, type PreparedSignature } from '../../src/pades/index.js';
import { derToPem } from '../../src/pki/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsig } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { requireTools } from '../support/tools.js';
import { cscHarness, type CscHarness, type TestUser } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
// RSASSA-PSS-params for SHA-256, MGF1-SHA-256, salt 32 (RFC 4055 §3.1), DER, Base64.
const pssSha256Params = Buffer.from(
  '3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  'hex',
).toString('base64');

interface Variant {
  readonly name: string;
  readonly algorithm: 'EC-P256' | 'RSA-2048';
  readonly signAlgo: string;
  readonly signAlgoParams?: string;
  readonly hashAlgorithmOID?: string;
  readonly pades: SignatureAlgorithm;
}

const variants: readonly Variant[] = [
  { name: 'ECDSA P-256', algorithm: 'EC-P256', signAlgo: oids.ecdsa_with_SHA256, pades: { scheme: 'ECDSA', digest: 'SHA-256' } },
  {
    name: 'RSA PKCS#1 v1.5 (rsaEncryption + hashAlgorithmOID)',
    algorithm: 'RSA-2048',
    signAlgo: oids.rsaEncryption,
    hashAlgorithmOID: SHA256,
    pades: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
  },
  {
    name: 'RSASSA-PSS with signAlgoParams',
    algorithm: 'RSA-2048',
    signAlgo: oids.id_RSASSA_PSS,
    signAlgoParams: pssSha256Params,
    pades: { scheme: 'RSASSA-PSS', digest: 'SHA-256' },
  },
];

/** Prepares `count` different PDFs for the credential's chain; returns the prepared signatures. */
async function prepareDocuments(h: CscHarness, token: string, credentialID: string, version: 'v1' | 'v2', pades: SignatureAlgorithm, count: number): Promise<{ pdfs: Uint8Array[]; prepared: PreparedSignature[] }> {
  const info = await h.call(version, 'credentials/info', { credentialID, certificates: 'chain', certInfo: true }, { bearer: token });
  assert.equal(info.status, 200, JSON.stringify(info.body));
  const chain = (info.body.cert.certificates as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64')));
  assert.equal(chain.length, 3, 'leaf, issuing CA, root');
  const pdfs = Array.from({ length: count }, (_, i) => makeBasePdf({ text: `Contract ${i + 1}` }));
  const prepared = pdfs.map((pdf) =>
    preparePdf(pdf, { certificateChain: chain, signatureAlgorithm: pades, maxSignatureSize: 512, signingTime: h.clock.now() }),
  );
  return { pdfs, prepared };
}

async function judge(t: Parameters<typeof requireTools>[0], h: CscHarness, signed: readonly Uint8Array[]): Promise<void> {
  for (const bytes of signed) {
    const report = verifyPdfSignatures(bytes, { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(report.signatures.length, 1);
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
  }
  if (!requireTools(t, 'pdfsig', 'certutil')) return;
  const dir = tempDir(t);
  const nss = makeNssDb(dir, derToPem(h.pki.hierarchy.root.certificate, 'CERTIFICATE'));
  signed.forEach((bytes, i) => {
    const path = join(dir, `signed-${i}.pdf`);
    writeFileSync(path, bytes);
    const sigs = pdfsig(path, nss);
    assert.equal(sigs.length, 1);
    assert.ok(sigs[0]?.isValid, sigs[0]?.text);
    assert.ok(sigs[0]?.isTrusted, sigs[0]?.text);
  });
}

async function flowV2(t: Parameters<typeof requireTools>[0], h: CscHarness, user: TestUser, v: Variant): Promise<void> {
  const credentialID = await h.createCredential(user, { algorithm: v.algorithm, pin: '246810' });
  const token = await h.login('v2', user);
  const list = await h.call('v2', 'credentials/list', { credentialInfo: true, certificates: 'single', certInfo: true, authInfo: true }, { bearer: token });
  assert.equal(list.status, 200);
  assert.ok((list.body.credentialIDs as string[]).includes(credentialID));
  const listed = (list.body.credentialInfos as { credentialID: string; auth: { expression: string }; SCAL: string; key: { algo: string[] } }[]).find((c) => c.credentialID === credentialID);
  assert.equal(listed?.auth.expression, 'PIN AND OTP');
  assert.equal(listed?.SCAL, '2');
  assert.ok(listed?.key.algo.includes(v.signAlgo));
  const { pdfs, prepared } = await prepareDocuments(h, token, credentialID, 'v2', v.pades, 3);
  const hashes = prepared.map((p) => p.dataToBeSignedDigest);
  const authorize = await h.call('v2', 'credentials/authorize', {
    credentialID,
    numSignatures: 3,
    hashes,
    hashAlgorithmOID: SHA256,
    authData: [
      { id: 'PIN', value: '246810' },
      { id: 'OTP', value: h.nextOtp(user) },
    ],
  }, { bearer: token });
  assert.equal(authorize.status, 200, JSON.stringify(authorize.body));
  assert.ok(authorize.body.expiresIn > 0 && authorize.body.expiresIn <= 300);
  const sign = await h.call('v2', 'signatures/signHash', {
    credentialID,
    SAD: authorize.body.SAD,
    hashes,
    signAlgo: v.signAlgo,
    ...(v.signAlgoParams === undefined ? {} : { signAlgoParams: v.signAlgoParams }),
    ...(v.hashAlgorithmOID === undefined ? {} : { hashAlgorithmOID: v.hashAlgorithmOID }),
  }, { bearer: token });
  assert.equal(sign.status, 200, JSON.stringify(sign.body));
  const signatures = (sign.body.signatures as string[]).map((s) => new Uint8Array(Buffer.from(s, 'base64')));
  assert.equal(signatures.length, 3);
  const signed = prepared.map((p, i) => {
    const update = embedSignature(p, signatures[i] as Uint8Array);
    return new Uint8Array(Buffer.concat([pdfs[i] as Uint8Array, update]));
  });
  await judge(t, h, signed);
}

describe('CSC v2 end-to-end over HTTP', () => {
  for (const kind of storeKinds) {
    describe(kind, () => {
      it('SAD-01 login → list → info → authorize (PIN + OTP) → signHash of 3 PDFs, for ECDSA, RSA PKCS#1 v1.5 and RSA-PSS; pdfsig and Signet accept; audit verifies', async (t) => {
        if (!(await requireStore(t, kind))) return;
        const { store } = await testStores(t)[kind]();
        const h = await cscHarness(t, store);
        const user = await h.createUser('alice');
        for (const v of variants) {
          await t.test(v.name, async (st) => flowV2(st, h, user, v));
        }
        const trail = await h.auditTypes();
        for (const type of ['csc.auth.login:success', 'auth.pin:success', 'auth.otp:success', 'sad.issue:success', 'sad.consume:success']) {
          assert.ok(trail.includes(type), `audit has ${type}`);
        }
        assert.equal((await verifyAuditLog(store.db, h.audit.key)).ok, true);
        // The consumption entry is the record of the signatures (same transaction as the consumption).
        const signRow = await store.db.selectFrom('audit_log').selectAll().where('event_type', '=', 'sad.consume').executeTakeFirstOrThrow();
        assert.equal(signRow.actor_client_id, 'csc-login');
        assert.equal(signRow.source_address, '127.0.0.1');
        assert.ok(signRow.trace_id, 'trace id recorded');
        assert.equal((JSON.parse(signRow.details) as { hashes: string[] }).hashes.length, 3);
      });
    });
  }

  it('info answers without authentication and advertises the implemented methods (v2 and v1, POST and GET)', async (t) => {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const v2 = await h.call('v2', 'info', {});
    assert.equal(v2.status, 200);
    assert.equal(v2.body.specs, '2.2.0.0');
    assert.ok((v2.body.methods as string[]).includes('signatures/signHash'));
    const v1 = await h.call('v1', 'info', {});
    assert.equal(v1.body.specs, '1.0.4.0');
    const get = await h.app.inject({ method: 'GET', url: '/csc/v1/info' });
    assert.equal(get.statusCode, 200);
    const empty = await h.app.inject({ method: 'POST', url: '/csc/v2/info' });
    assert.equal(empty.statusCode, 200);
  });
});

describe('CSC v1.0.4 paths share the same services', () => {
  it('login → list → info (authMode, PIN, OTP objects) → authorize (PIN, OTP, hash) → signHash (hash, hashAlgo) → pdfsig accepts', async (t) => {
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const user = await h.createUser('victor');
    const credentialID = await h.createCredential(user, { algorithm: 'RSA-2048', pin: '1111' });
    const token = await h.login('v1', user);
    const list = await h.call('v1', 'credentials/list', { maxResults: 10 }, { bearer: token });
    assert.deepEqual(list.body, { credentialIDs: [credentialID] });
    const info = await h.call('v1', 'credentials/info', { credentialID, certificates: 'chain', certInfo: true }, { bearer: token });
    assert.equal(info.body.authMode, 'explicit');
    assert.equal(info.body.PIN.presence, 'true');
    assert.equal(info.body.OTP.type, 'offline');
    const { pdfs, prepared } = await prepareDocuments(h, token, credentialID, 'v1', { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' }, 2);
    const hash = prepared.map((p) => p.dataToBeSignedDigest);
    const authorize = await h.call('v1', 'credentials/authorize', { credentialID, numSignatures: 2, hash, PIN: '1111', OTP: h.nextOtp(user) }, { bearer: token });
    assert.equal(authorize.status, 200, JSON.stringify(authorize.body));
    const sign = await h.call('v1', 'signatures/signHash', { credentialID, SAD: authorize.body.SAD, hash, hashAlgo: SHA256, signAlgo: oids.sha256WithRSAEncryption }, { bearer: token });
    assert.equal(sign.status, 200, JSON.stringify(sign.body));
    const signed = prepared.map((p, i) => new Uint8Array(Buffer.concat([pdfs[i] as Uint8Array, embedSignature(p, Buffer.from(sign.body.signatures[i] as string, 'base64'))])));
    await judge(t, h, signed);
    // v1 error names: a wrong PIN is invalid_pin, a wrong OTP invalid_otp.
    const wrongPin = await h.call('v1', 'credentials/authorize', { credentialID, numSignatures: 1, hash: [hash[0]], PIN: '0000', OTP: h.nextOtp(user) }, { bearer: token });
    assert.deepEqual([wrongPin.status, wrongPin.body.error], [400, 'invalid_pin']);
    const wrongOtp = await h.call('v1', 'credentials/authorize', { credentialID, numSignatures: 1, hash: [hash[0]], PIN: '1111', OTP: '000000' }, { bearer: token });
    assert.deepEqual([wrongOtp.status, wrongOtp.body.error], [400, 'invalid_otp']);
  });
});
