/**
 * PKCS#11 backend on SoftHSM2: key confinement (docs/security.md KEY-06, KEY-07, KEY-09), session
 * faults and reconnection, bounded waiting, and the token pool (least-used placement, tokens
 * independent of each other).
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11js from 'pkcs11js';
import { isSignetError } from '../../../src/core/errors.js';
import { Pkcs11Backend, parsePkcs11Uri, formatPkcs11Uri } from '../../../src/keys/index.js';
import { hasTool, requireTools } from '../../support/tools.js';
import { openJudgeSession } from '../support/pkcs11-judge.js';
import { initSoftHsm, softhsmModule, type TestToken } from '../support/softhsm.js';

const isCode = (code: string) => (err: unknown) => {
  assert.ok(isSignetError(err, code), `expected ${code}, got ${String(err)}`);
  return true;
};

const ckr = (name: string) => (err: unknown) => {
  assert.match(String((err as Error).message), new RegExp(name));
  return true;
};

let dir = '';
let tokens: TestToken[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'signet-pkcs11-'));
  if (hasTool('softhsm2-util')) tokens = initSoftHsm(dir, ['pool-a', 'pool-b', 'pool-c']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function findKey(
  api: pkcs11js.PKCS11,
  session: pkcs11js.Handle,
  cls: number,
  label: string,
): pkcs11js.Handle {
  api.C_FindObjectsInit(session, [
    { type: pkcs11js.CKA_CLASS, value: cls },
    { type: pkcs11js.CKA_LABEL, value: label },
  ]);
  const found = api.C_FindObjects(session, 2);
  api.C_FindObjectsFinal(session);
  assert.equal(found.length, 1);
  return found[0] as pkcs11js.Handle;
}

const bool = (v: unknown): boolean => Buffer.isBuffer(v) && v[0] === 1;

describe('PKCS#11 backend on SoftHSM2', () => {
  it('KEY-06/07/08: generated keys are sensitive, never extractable, sign-only; reading, wrapping, raw RSA and decryption are refused', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [a] = tokens as [TestToken];
    const backend = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: a.label, pin: a.pin }],
    });
    t.after(() => backend.close());
    await backend.generateKey({ type: 'RSA', bits: 2048 }, 'confined-rsa');
    await backend.generateKey({ type: 'EC', curve: 'P-256' }, 'confined-ec');
    const j = openJudgeSession(a.label, a.pin);
    t.after(() => j.done());
    const { api, session } = j;
    for (const label of ['confined-rsa', 'confined-ec']) {
      const key = findKey(api, session, pkcs11js.CKO_PRIVATE_KEY, label);
      const attrs = api.C_GetAttributeValue(session, key, [
        { type: pkcs11js.CKA_SENSITIVE },
        { type: pkcs11js.CKA_PRIVATE },
        { type: pkcs11js.CKA_TOKEN },
        { type: pkcs11js.CKA_ALWAYS_SENSITIVE },
        { type: pkcs11js.CKA_NEVER_EXTRACTABLE },
        { type: pkcs11js.CKA_EXTRACTABLE },
        { type: pkcs11js.CKA_SIGN },
        { type: pkcs11js.CKA_DECRYPT },
        { type: pkcs11js.CKA_UNWRAP },
        { type: pkcs11js.CKA_DERIVE },
        { type: pkcs11js.CKA_ID },
      ]);
      assert.deepEqual(
        attrs.slice(0, 10).map((x) => bool(x.value)),
        [true, true, true, true, true, false, true, false, false, false],
        label,
      );
      assert.equal((attrs[10]?.value as Buffer).length, 16, 'CKA_ID set');
      const secret =
        label === 'confined-rsa'
          ? [pkcs11js.CKA_PRIVATE_EXPONENT, pkcs11js.CKA_PRIME_1]
          : [pkcs11js.CKA_VALUE];
      for (const type of secret) {
        assert.throws(
          () => api.C_GetAttributeValue(session, key, [{ type }]),
          ckr('CKR_ATTRIBUTE_SENSITIVE'),
        );
      }
      const wrappingKey = api.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
        { type: pkcs11js.CKA_VALUE_LEN, value: 32 },
        { type: pkcs11js.CKA_WRAP, value: true },
        { type: pkcs11js.CKA_TOKEN, value: false },
      ]);
      assert.throws(
        () =>
          api.C_WrapKey(
            session,
            { mechanism: pkcs11js.CKM_AES_KEY_WRAP_PAD },
            wrappingKey,
            key,
            Buffer.alloc(8192),
          ),
        ckr('CKR_KEY_UNEXTRACTABLE'),
      );
      assert.throws(() =>
        api.C_SetAttributeValue(session, key, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]),
      );
      // KEY-08: raw RSA and decryption are refused by the token (CKA_ALLOWED_MECHANISMS).
      const forbidden =
        label === 'confined-rsa'
          ? [pkcs11js.CKM_RSA_X_509, pkcs11js.CKM_SHA256_RSA_PKCS]
          : [pkcs11js.CKM_ECDSA_SHA256];
      for (const mechanism of forbidden) {
        assert.throws(
          () => api.C_SignInit(session, { mechanism }, key),
          /CKR_MECHANISM_INVALID|CKR_KEY_FUNCTION_NOT_PERMITTED/,
        );
      }
      if (label === 'confined-rsa') {
        assert.throws(
          () => api.C_DecryptInit(session, { mechanism: pkcs11js.CKM_RSA_PKCS }, key),
          /CKR_KEY_FUNCTION_NOT_PERMITTED|CKR_MECHANISM_INVALID/,
        );
      }
      assert.throws(() =>
        api.C_SetAttributeValue(session, key, [{ type: pkcs11js.CKA_SENSITIVE, value: false }]),
      );
    }
  });

  it('KEY-09: keys are found again by label after the backend (and the library) is closed and reopened', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [, b] = tokens as [TestToken, TestToken];
    const first = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: b.label, pin: b.pin }],
    });
    const { ref, publicKey } = await first.generateKey(
      { type: 'EC', curve: 'P-384' },
      'persistent',
    );
    assert.equal(ref, 'pkcs11:token=pool-b;object=persistent');
    await first.close();
    await assert.rejects(first.getPublicKey(ref), isCode('ERR_KEY_BACKEND_CLOSED'));
    const second = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: b.label, pin: b.pin }],
    });
    t.after(() => second.close());
    assert.deepEqual(await second.getPublicKey(ref), publicKey);
    const data = Buffer.from('after restart');
    const sig = await second.sign(ref, {
      scheme: 'ECDSA',
      digestAlgorithm: 'SHA-384',
      digest: createHash('sha384').update(data).digest(),
    });
    assert.ok(
      verify(
        'sha384',
        data,
        createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }),
        sig,
      ),
    );
  });

  it('refuses a wrong PIN and an unknown token at open', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [, , c] = tokens as [TestToken, TestToken, TestToken];
    await assert.rejects(
      Pkcs11Backend.open({ module: softhsmModule, tokens: [{ label: c.label, pin: 'wrong-pin' }] }),
      (err: unknown) => {
        assert.ok(isSignetError(err, 'ERR_KEY_PIN'));
        assert.ok(
          !String((err as Error).message).includes('wrong-pin'),
          'the PIN never appears in a message',
        );
        return true;
      },
    );
    await assert.rejects(
      Pkcs11Backend.open({
        module: softhsmModule,
        tokens: [{ label: 'no-such-token', pin: c.pin }],
      }),
      isCode('ERR_KEY_TOKEN_NOT_FOUND'),
    );
    await assert.rejects(
      Pkcs11Backend.open({
        module: '/nonexistent/libpkcs11.so',
        tokens: [{ label: c.label, pin: c.pin }],
      }),
      isCode('ERR_KEY_BACKEND_UNAVAILABLE'),
    );
  });

  it('fault: sessions closed under the pool, then C_Finalize of the whole library: later signatures succeed after reconnection', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [a] = tokens as [TestToken];
    const backend = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: a.label, pin: a.pin, maxSessions: 2 }],
    });
    t.after(() => backend.close());
    const { ref, publicKey } = await backend.generateKey(
      { type: 'EC', curve: 'P-256' },
      'fault-key',
    );
    const pub = createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' });
    const signOnce = async (i: number): Promise<boolean> => {
      const data = Buffer.from(`fault ${i}`);
      const sig = await backend.sign(ref, {
        scheme: 'ECDSA',
        digestAlgorithm: 'SHA-256',
        digest: createHash('sha256').update(data).digest(),
      });
      return verify('sha256', data, pub, sig);
    };
    assert.deepEqual(await Promise.all([0, 1, 2, 3].map(signOnce)), [true, true, true, true]);
    const j = openJudgeSession(a.label, a.pin);
    // Kill every session of this application on the token (the pool's included).
    j.api.C_CloseAllSessions(j.slot);
    assert.deepEqual(await Promise.all([4, 5, 6, 7].map(signOnce)), [true, true, true, true]);
    const afterClose = backend.stats()[a.label]?.reconnects ?? 0;
    assert.ok(afterClose >= 1, 'the pool reconnected');
    // Finalise the library under the backend: it re-initialises, finds the slot and logs in again.
    j.api.C_Finalize();
    assert.deepEqual(await Promise.all([8, 9, 10, 11].map(signOnce)), [true, true, true, true]);
    assert.ok((backend.stats()[a.label]?.reconnects ?? 0) > afterClose);
    assert.equal((await backend.health()).ok, true);
  });

  it('token pool: new keys go to the least-used token; a busy token answers ERR_KEY_BACKEND_BUSY while another signs', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [, b, c] = tokens as [TestToken, TestToken, TestToken];
    const backend = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [
        { label: b.label, pin: b.pin, maxSessions: 1 },
        { label: c.label, pin: c.pin, maxSessions: 1 },
      ],
      acquireTimeoutMs: 20,
    });
    t.after(() => backend.close());
    const before = backend.stats();
    // One at a time: with one session per token and a 20 ms wait, parallel calls would be BUSY.
    const made = [];
    for (const i of [1, 2, 3, 4])
      made.push(await backend.generateKey({ type: 'EC', curve: 'P-256' }, `spread-${i}`));
    const perToken = new Map<string, number>();
    for (const m of made) {
      const token = parsePkcs11Uri(m.ref).token;
      perToken.set(token, (perToken.get(token) ?? 0) + 1);
    }
    // pool-b already holds one key (restart test), pool-c none: placement evens them out.
    assert.equal(before[b.label]?.keys, 1);
    assert.equal(before[c.label]?.keys, 0);
    assert.deepEqual([perToken.get(b.label), perToken.get(c.label)], [2, 2]);
    assert.deepEqual([backend.stats()[b.label]?.keys, backend.stats()[c.label]?.keys], [3, 2]);
    const onC = made.find((m) => parsePkcs11Uri(m.ref).token === c.label);
    assert.ok(onC);
    // Occupy token B's only session with a slow RSA-4096 generation.
    const slow = backend.generateKeyOn(b.label, { type: 'RSA', bits: 4096 }, 'slow-rsa');
    const digest = createHash('sha256').update('x').digest();
    await assert.rejects(
      backend.sign(formatPkcs11Uri({ token: b.label, object: 'persistent' }), {
        scheme: 'ECDSA',
        digestAlgorithm: 'SHA-384',
        digest: new Uint8Array(48),
      }),
      isCode('ERR_KEY_BACKEND_BUSY'),
    );
    // Token C is not affected by B being busy.
    const sig = await backend.sign(onC.ref, {
      scheme: 'ECDSA',
      digestAlgorithm: 'SHA-256',
      digest,
    });
    assert.ok(
      verify(
        'sha256',
        Buffer.from('x'),
        createPublicKey({ key: Buffer.from(onC.publicKey), format: 'der', type: 'spki' }),
        sig,
      ),
    );
    // A signer with a key on each token: while B is busy, the batch goes to C.
    const onB = made.find((m) => parsePkcs11Uri(m.ref).token === b.label);
    assert.ok(onB);
    assert.equal(backend.pickLeastBusy([onB.ref, onC.ref]), onC.ref);
    await slow;
    assert.equal(backend.stats()[b.label]?.waiting, 0);
    assert.equal(backend.pickLeastBusy([onB.ref, onC.ref]), onB.ref, 'ties go to the first');
  });
});

describe('PKCS#11 backend shutdown', () => {
  it('close() waits for the operation in flight (no C_Finalize under it) and refuses waiting callers', async (t) => {
    if (!requireTools(t, 'softhsm2-util')) return;
    const [a] = tokens as [TestToken];
    const backend = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: a.label, pin: a.pin, maxSessions: 1 }],
    });
    const slow = backend.generateKeyOn(a.label, { type: 'RSA', bits: 3072 }, 'in-flight');
    // Let the generation take the only session and enter the library (microtasks run first).
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(backend.stats()[a.label]?.idle, 0, 'the generation holds the session');
    const waiting = backend.sign('pkcs11:token=pool-a;object=in-flight', {
      scheme: 'RSASSA-PKCS1-v1_5',
      digestAlgorithm: 'SHA-256',
      digest: new Uint8Array(32),
    });
    const closed = backend.close();
    await assert.rejects(waiting, isCode('ERR_KEY_BACKEND_CLOSED'));
    const generated = await slow;
    await closed;
    assert.equal(generated.ref, 'pkcs11:token=pool-a;object=in-flight');
    // The key is on the token: a new backend finds it.
    const again = await Pkcs11Backend.open({
      module: softhsmModule,
      tokens: [{ label: a.label, pin: a.pin }],
    });
    t.after(() => again.close());
    assert.deepEqual(await again.getPublicKey(generated.ref), generated.publicKey);
  });
});

describe('RFC 7512 PKCS#11 URIs', () => {
  it('parses and formats token/object with percent-encoding; refuses query attributes and unknown ones', () => {
    assert.deepEqual(parsePkcs11Uri('pkcs11:token=signet;object=alice-1'), {
      token: 'signet',
      object: 'alice-1',
    });
    assert.deepEqual(parsePkcs11Uri('pkcs11:object=my%20key;type=private;token=A%3BB'), {
      token: 'A;B',
      object: 'my key',
    });
    assert.equal(
      formatPkcs11Uri({ token: 'A;B', object: 'my key' }),
      'pkcs11:token=A%3BB;object=my%20key',
    );
    for (const bad of [
      'pkcs11:token=a',
      'pkcs11:object=a',
      'pkcs11:token=a;object=b?pin-value=1234',
      'pkcs11:token=a;object=b;token=c',
      'pkcs11:token=a;object=b;frobnicate=1',
      'pkcs11:token=a;object=b;type=secret-key',
      'pkcs11:token=a b;object=c',
      'pkcs11:token=%ZZ;object=c',
      'keystore:x',
    ]) {
      assert.throws(() => parsePkcs11Uri(bad), isCode('ERR_KEY_REF_INVALID'), bad);
    }
  });
});
