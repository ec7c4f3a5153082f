/**
 * Issue 22, clients of every CSC version: a CSC v2.0.0.2 authorize (top-level PIN/OTP) works as
 * the v2.2 authData form does, with the same checks and the same lockout; signHash signs
 * RSASSA-PSS with any salt length RFC 8017 allows (openssl verifies salt 222 and 0) and names the
 * field at fault; signatures/timestamp encodes the nonce as a minimal DER INTEGER (openssl ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { oids } from '../../src/cms/index.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { cscHarness, type CscHarness, type TestUser } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';

/** RSASSA-PSS-params (RFC 4055 §3.1): SHA-256, MGF1 with `mgfHash`, the given salt length. */
function pssParams(salt: number, mgfHashOid = '0609608648016503040201'): string {
  const tlv = (tag: number, content: Buffer): Buffer => Buffer.concat([Buffer.from([tag, content.length]), content]);
  const sha256 = tlv(0x30, Buffer.concat([Buffer.from('0609608648016503040201', 'hex'), Buffer.from('0500', 'hex')]));
  const mgfHash = tlv(0x30, Buffer.concat([Buffer.from(mgfHashOid, 'hex'), Buffer.from('0500', 'hex')]));
  const mgf1 = tlv(0x30, Buffer.concat([Buffer.from('06092a864886f70d010108', 'hex'), mgfHash]));
  const saltInt = salt === 0 ? Buffer.from([0]) : salt < 0x80 ? Buffer.from([salt]) : salt < 0x100 ? Buffer.from([0, salt]) : Buffer.from([salt >> 8, salt & 0xff]);
  return tlv(0x30, Buffer.concat([tlv(0xa0, sha256), tlv(0xa1, mgf1), tlv(0xa2, tlv(0x02, saltInt))])).toString('base64');
}

async function setup(t: Parameters<typeof cscHarness>[0] & Parameters<typeof testStores>[0], kind: 'sqlite' | 'postgres') {
  const stores = testStores(t);
  const { store } = await (kind === 'sqlite' ? stores.sqlite() : stores.postgres());
  const h = await cscHarness(t, store);
  const user = await h.createUser('wallet');
  const token = await h.login('v2', user);
  return { h, user, token };
}

function digestB64(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

async function authorizeV2002(h: CscHarness, user: TestUser, token: string, credentialID: string, hashes: string[], pin: string) {
  return h.call('v2', 'credentials/authorize', { credentialID, numSignatures: hashes.length, hashes, hashAlgorithmOID: SHA256, PIN: pin, OTP: h.nextOtp(user) }, { bearer: token });
}

describe('CSC interoperability (issue 22)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: v2.0.0.2 top-level PIN/OTP authorizes like v2.2 authData, with the same lockout`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { h, user, token } = await setup(t, kind);
      const c = await h.createCredential(user, { pin: '4321', multisign: 5 });
      const hash = digestB64('v2.0.0.2');
      const ok = await authorizeV2002(h, user, token, c, [hash], '4321');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const signed = await h.call('v2', 'signatures/signHash', { credentialID: c, SAD: ok.body.SAD, hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token });
      assert.equal(signed.status, 200, JSON.stringify(signed.body));
      // The same checks: a missing OTP is named, a wrong PIN is invalid_authentication_data.
      const noOtp = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, PIN: '4321' }, { bearer: token });
      assert.deepEqual([noOtp.status, noOtp.body.error_description], [400, 'Missing (or invalid type) string parameter OTP']);
      const bothForms = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, PIN: '4321', OTP: h.nextOtp(user), authData: [{ id: 'PIN', value: '4321' }] }, { bearer: token });
      assert.deepEqual([bothForms.status, bothForms.body.error_description], [400, 'Invalid parameter PIN']);
      const badType = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, PIN: 4321, OTP: h.nextOtp(user) }, { bearer: token });
      assert.deepEqual([badType.status, badType.body.error_description], [400, 'Invalid parameter PIN']);
      // The same lockout (three attempts in the harness): two wrong PINs in the v2.2 form and one
      // in the v2.0.0.2 form lock the credential; the right PIN is then refused in either form.
      for (const pin of ['0000', '1111']) {
        const wrong = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: pin }, { id: 'OTP', value: h.nextOtp(user) }] }, { bearer: token });
        assert.equal(wrong.body.error, 'invalid_authentication_data', JSON.stringify(wrong.body));
      }
      const third = await authorizeV2002(h, user, token, c, [hash], '2222');
      assert.equal(third.body.error, 'invalid_authentication_data', JSON.stringify(third.body));
      const locked = await authorizeV2002(h, user, token, c, [hash], '4321');
      assert.notEqual(locked.status, 200, 'locked after three wrong PINs across both forms');
      const lockedV22 = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '4321' }, { id: 'OTP', value: h.nextOtp(user) }] }, { bearer: token });
      assert.notEqual(lockedV22.status, 200);
    });
  }

  it('signHash RSASSA-PSS: salt 222 (the largest for RSA-2048/SHA-256) and 0 verify with openssl; a salt too long and a mismatched MGF1 hash are named', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const { h, user, token } = await setup(t, 'sqlite');
    const dir = tempDir(t);
    const c = await h.createCredential(user, { algorithm: 'RSA-2048', pin: '1234', multisign: 10 });
    const info = await h.call('v2', 'credentials/info', { credentialID: c, certificates: 'single' }, { bearer: token });
    const pub = join(dir, 'pub.pem');
    writeFileSync(pub, new X509Certificate(Buffer.from(info.body.cert.certificates[0] as string, 'base64')).publicKey.export({ format: 'pem', type: 'spki' }));
    const hashes = [digestB64('salt 222'), digestB64('salt 0'), digestB64('salt 223'), digestB64('mgf')];
    const auth = await h.call('v2', 'credentials/authorize', { credentialID: c, numSignatures: hashes.length, hashes, hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '1234' }, { id: 'OTP', value: h.nextOtp(user) }] }, { bearer: token });
    assert.equal(auth.status, 200, JSON.stringify(auth.body));
    const signHash = (hash: string, params: string) =>
      h.call('v2', 'signatures/signHash', { credentialID: c, SAD: auth.body.SAD, hashes: [hash], signAlgo: oids.id_RSASSA_PSS, signAlgoParams: params }, { bearer: token });

    const tooLong = await signHash(hashes[2]!, pssParams(223));
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body.error_description as string, /^Invalid parameter signAlgoParams: saltLength 223 exceeds 222/);
    const mgf = await signHash(hashes[3]!, pssParams(32, '0609608648016503040202'));
    assert.equal(mgf.status, 400);
    assert.match(mgf.body.error_description as string, /^Invalid parameter signAlgoParams: the maskGenAlgorithm hash differs from hashAlgorithm/);

    for (const [i, salt] of [[0, 222], [1, 0]] as const) {
      const res = await signHash(hashes[i]!, pssParams(salt));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const digestFile = join(dir, `d${salt}.bin`);
      const sigFile = join(dir, `s${salt}.bin`);
      writeFileSync(digestFile, Buffer.from(hashes[i]!, 'base64'));
      writeFileSync(sigFile, Buffer.from(res.body.signatures[0] as string, 'base64'));
      const verify = (saltLen: number) =>
        runTool('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', digestFile, '-sigfile', sigFile, '-pkeyopt', 'rsa_padding_mode:pss', '-pkeyopt', `rsa_pss_saltlen:${saltLen}`, '-pkeyopt', 'digest:sha256']);
      const v = verify(salt);
      assert.match(v.stdout, /Signature Verified Successfully/, v.stdout + v.stderr);
      assert.doesNotMatch(verify(32).stdout, /Signature Verified Successfully/, 'control: the salt length is really the requested one');
    }
  });

  it('signatures/timestamp: nonces 0a…, 00 0a… and 8f… are minimal DER INTEGERs that openssl ts -verify accepts', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const { h, token } = await setup(t, 'sqlite');
    const dir = tempDir(t);
    const untrusted = join(dir, 'untrusted.pem');
    writeFileSync(untrusted, runTool('cat', [h.pki.files.issuing, h.pki.files.tsa]).stdout);
    const hash = createHash('sha256').update('timestamped').digest();
    for (const [nonce, printed] of [['0a1b2c3d', '0x0A1B2C3D'], ['000a1b', '0x0A1B'], ['8f01', '0x8F01']] as const) {
      const ts = await h.call('v2', 'signatures/timestamp', { hash: hash.toString('base64'), hashAlgo: SHA256, nonce }, { bearer: token });
      assert.equal(ts.status, 200, JSON.stringify(ts.body));
      const file = join(dir, `${nonce}.tst`);
      writeFileSync(file, Buffer.from(ts.body.timestamp as string, 'base64'));
      const text = runTool('openssl', ['ts', '-reply', '-token_in', '-in', file, '-token_out', '-text']);
      assert.match(text.stdout, new RegExp(`Nonce: ${printed}\\b`, 'i'), text.stdout + text.stderr);
      const v = runTool('openssl', ['ts', '-verify', '-token_in', '-in', file, '-digest', hash.toString('hex'), '-CAfile', h.pki.files.root, '-untrusted', untrusted]);
      assert.match(v.stdout, /Verification: OK/, v.stdout + v.stderr);
    }
  });
});
