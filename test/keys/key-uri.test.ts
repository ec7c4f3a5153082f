/** openKeyFromUri: `keystore:NAME` and `pkcs11:token=…;object=…` (RFC 7512) to (backend, ref). */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSignetError } from '../../src/core/errors.js';
import { Kek, openKeyFromUri, Pkcs11Backend, SoftwareKeystore } from '../../src/keys/index.js';
import { hasTool, requireTools } from '../support/tools.js';
import { initSoftHsm, softhsmModule, type TestToken } from './support/softhsm.js';

const isCode = (code: string) => (err: unknown) => {
  assert.ok(isSignetError(err, code), `expected ${code}, got ${String(err)}`);
  return true;
};

let dir = '';
let token: TestToken | undefined;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-key-uri-'));
  if (hasTool('softhsm2-util')) token = initSoftHsm(join(dir, 'hsm'), ['uri-token'])[0];
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openKeyFromUri', () => {
  it('opens keystore:NAME with --keystore and --kek-file, and checks the key exists', async () => {
    const kekBytes = randomBytes(32);
    const kekFile = join(dir, 'kek');
    writeFileSync(kekFile, kekBytes.toString('hex'));
    const keystoreDir = join(dir, 'ks');
    const ks = await SoftwareKeystore.open({ dir: keystoreDir, kek: Kek.fromBytes(kekBytes) });
    const { publicKey } = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'uri-key');
    const opened = await openKeyFromUri('keystore:uri-key', { keystoreDir, kekFile });
    assert.equal(opened.ref, 'keystore:uri-key');
    assert.equal(opened.backend.kind, 'software');
    assert.deepEqual(await opened.backend.getPublicKey(opened.ref), publicKey);
    await opened.close();
    // The *_FILE convention through the environment.
    const viaEnv = await openKeyFromUri('keystore:uri-key', {
      env: { SIGNET_KEYSTORE: keystoreDir, SIGNET_KEK_FILE: kekFile },
    });
    await viaEnv.close();
    await assert.rejects(
      openKeyFromUri('keystore:absent', { keystoreDir, kekFile }),
      isCode('ERR_KEY_NOT_FOUND'),
    );
    await assert.rejects(
      openKeyFromUri('keystore:uri-key', { kekFile, env: {} }),
      isCode('ERR_KEY_URI_INVALID'),
    );
    await assert.rejects(
      openKeyFromUri('keystore:../x', { keystoreDir, kekFile }),
      isCode('ERR_KEY_URI_INVALID'),
    );
    await assert.rejects(
      openKeyFromUri('file:key.pem', { keystoreDir, kekFile }),
      isCode('ERR_KEY_URI_INVALID'),
    );
    writeFileSync(kekFile, randomBytes(32).toString('hex'));
    await assert.rejects(
      openKeyFromUri('keystore:uri-key', { keystoreDir, kekFile }),
      isCode('ERR_KEYSTORE_KEK'),
    );
  });

  it('opens pkcs11:token=…;object=… with --pkcs11-module and --pin-file', async (t) => {
    if (!requireTools(t, 'softhsm2-util') || token === undefined) return;
    const pinFile = join(dir, 'pin');
    writeFileSync(pinFile, `${token.pin}\n`);
    const hsm = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: token.label, pin: token.pin }],
    });
    const { ref, publicKey } = await hsm.generateKey({ type: 'RSA', bits: 2048 }, 'uri-rsa');
    await hsm.close();
    const opened = await openKeyFromUri(ref, { pkcs11Module: softhsmModule, pinFile });
    assert.equal(opened.backend.kind, 'pkcs11');
    assert.deepEqual(await opened.backend.getPublicKey(opened.ref), publicKey);
    await opened.close();
    await assert.rejects(openKeyFromUri(ref, { pinFile, env: {} }), isCode('ERR_KEY_URI_INVALID'));
    await assert.rejects(
      openKeyFromUri('pkcs11:token=uri-token;object=absent', {
        pkcs11Module: softhsmModule,
        pinFile,
      }),
      isCode('ERR_KEY_NOT_FOUND'),
    );
    writeFileSync(pinFile, 'not-the-pin');
    await assert.rejects(
      openKeyFromUri(ref, { pkcs11Module: softhsmModule, pinFile }),
      isCode('ERR_KEY_PIN'),
    );
  });
});
