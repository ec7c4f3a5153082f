/** Tests of the encrypted software keystore: AES-256-GCM envelope, AAD binding, KEK handling. */
import assert from 'node:assert/strict';
import {
  createDecipheriv,
  createHash,
  createPublicKey,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  constants,
} from 'node:crypto';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fixedClock } from '../../../src/core/clock.js';
import { isSignetError } from '../../../src/core/errors.js';
import { Kek, loadKek, SoftwareKeystore } from '../../../src/keys/index.js';
import { tempDir } from '../../support/tmp.js';
import { repoPath } from '../../support/repo-path.js';

const data = new TextEncoder().encode('signet keystore test');
const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest();

function rejectsWith(code: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isSignetError(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  };
}

describe('SoftwareKeystore (AES-256-GCM envelope under a KEK)', () => {
  it('generates keys whose signatures verify over the original data', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate() });
    const ec = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'alice-ec');
    assert.equal(ec.ref, 'keystore:alice-ec');
    assert.equal(ec.keyType, 'EC');
    const sig = await ks.sign(ec.ref, {
      scheme: 'ECDSA',
      digestAlgorithm: 'SHA-256',
      digest: sha256(data),
    });
    const pub = createPublicKey({ key: Buffer.from(ec.publicKey), format: 'der', type: 'spki' });
    assert.ok(verify('sha256', data, pub, sig));
    assert.deepEqual(await ks.getPublicKey(ec.ref), ec.publicKey);
    const rsa = await ks.generateKey({ type: 'RSA', bits: 2048 }, 'alice-rsa');
    const rsaPub = createPublicKey({
      key: Buffer.from(rsa.publicKey),
      format: 'der',
      type: 'spki',
    });
    const pss = await ks.sign(rsa.ref, {
      scheme: 'RSASSA-PSS',
      digestAlgorithm: 'SHA-256',
      digest: sha256(data),
    });
    assert.ok(
      verify(
        'sha256',
        data,
        { key: rsaPub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
        pss,
      ),
    );
    // A PSS verifier with the wrong salt length must fail: the salt really is hLen.
    assert.ok(
      !verify(
        'sha256',
        data,
        { key: rsaPub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 },
        pss,
      ),
    );
    assert.deepEqual(
      (await ks.listKeys()).map((k) => k.ref),
      ['keystore:alice-ec', 'keystore:alice-rsa'],
    );
    await ks.close();
  });

  it('KEY-01: the keystore directory holds no plaintext key (PKCS#8 DER, PEM markers, private scalar)', async (t) => {
    const dir = tempDir(t);
    const kekBytes = randomBytes(32);
    const ks = await SoftwareKeystore.open({
      dir,
      kek: Kek.fromBytes(kekBytes),
      clock: fixedClock(new Date('2026-01-01T00:00:00Z')),
    });
    const { ref } = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'scan-me');
    await ks.sign(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: sha256(data) });
    const files = readdirSync(dir);
    assert.deepEqual(files, ['scan-me.key.json'], 'no temporary files left behind');
    const raw = readFileSync(join(dir, 'scan-me.key.json'));
    const json = JSON.parse(raw.toString('utf8')) as {
      createdAt: string;
      dataKey: { iv: string; ciphertext: string };
      privateKey: { iv: string; ciphertext: string };
    };
    assert.equal(json.createdAt, '2026-01-01T00:00:00.000Z');
    // Open the envelope by hand with the known KEK (the test's independent reading of the
    // format) to learn the real PKCS#8 and private scalar, then look for them in the file.
    const open = (
      key: Uint8Array,
      box: { iv: string; ciphertext: string },
      aad: string,
    ): Buffer => {
      const ct = Buffer.from(box.ciphertext, 'base64');
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(ct.subarray(ct.length - 16));
      return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
    };
    const dataKey = open(
      kekBytes,
      json.dataKey,
      'signet-keystore-v1\u0000data-key\u0000keystore:scan-me',
    );
    const spkiHash = createHash('sha256')
      .update(await ks.getPublicKey(ref))
      .digest('hex');
    const pkcs8 = open(
      dataKey,
      json.privateKey,
      `signet-keystore-v1\u0000private-key\u0000keystore:scan-me\u0000${spkiHash}`,
    );
    const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
      format: 'jwk',
    });
    const scalar = Buffer.from(jwk.d as string, 'base64url');
    for (const needle of [
      pkcs8,
      scalar,
      Buffer.from(scalar.toString('hex')),
      Buffer.from(scalar.toString('base64')),
      Buffer.from(pkcs8.toString('base64').slice(0, 40)),
      Buffer.from('PRIVATE KEY'),
      dataKey,
      kekBytes,
    ]) {
      assert.equal(raw.indexOf(needle), -1);
    }
  });

  it('KEY-02: a wrapped key moved to another key file is refused, never signs with the other key', async (t) => {
    const dir = tempDir(t);
    const ks = await SoftwareKeystore.open({ dir, kek: Kek.generate() });
    await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'c1');
    await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'c3');
    // Swap the sealed material (data key + private key) but keep each file's own ref.
    const f1 = JSON.parse(readFileSync(join(dir, 'c1.key.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    const f3 = JSON.parse(readFileSync(join(dir, 'c3.key.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(
      join(dir, 'c1.key.json'),
      JSON.stringify({ ...f1, dataKey: f3['dataKey'], privateKey: f3['privateKey'] }),
    );
    await assert.rejects(
      ks.sign('keystore:c1', { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: sha256(data) }),
      rejectsWith('ERR_KEYSTORE_KEK'),
    );
    // Copying the whole file under another name is refused too (the ref inside is checked).
    copyFileSync(join(dir, 'c3.key.json'), join(dir, 'c1.key.json'));
    await assert.rejects(
      ks.sign('keystore:c1', { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: sha256(data) }),
      rejectsWith('ERR_KEYSTORE_KEK'),
    );
    // Swapping the public key (bound in the private key's AAD) is refused as well.
    const f3b = JSON.parse(readFileSync(join(dir, 'c3.key.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    writeFileSync(join(dir, 'c3.key.json'), JSON.stringify({ ...f3b, publicKey: f1['publicKey'] }));
    await assert.rejects(
      ks.sign('keystore:c3', { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: sha256(data) }),
      rejectsWith('ERR_KEYSTORE_KEK'),
    );
  });

  it('KEY-03: a wrong KEK is refused at open; rotation re-wraps data keys and old keys still sign', async (t) => {
    const dir = tempDir(t);
    const kek1 = Kek.generate();
    const ks = await SoftwareKeystore.open({ dir, kek: kek1 });
    const { ref, publicKey } = await ks.generateKey({ type: 'EC', curve: 'P-384' }, 'rotate-me');
    const before = JSON.parse(readFileSync(join(dir, 'rotate-me.key.json'), 'utf8')) as {
      privateKey: unknown;
      dataKey: { kekId: string };
    };
    await assert.rejects(
      SoftwareKeystore.open({ dir, kek: Kek.generate() }),
      rejectsWith('ERR_KEYSTORE_KEK'),
    );
    const kek2 = Kek.generate();
    assert.deepEqual(await ks.rotateKek(kek2), { rewrapped: 1 });
    const after = JSON.parse(readFileSync(join(dir, 'rotate-me.key.json'), 'utf8')) as {
      privateKey: unknown;
      dataKey: { kekId: string };
    };
    assert.deepEqual(after.privateKey, before.privateKey, 'the sealed private key is untouched');
    assert.equal(after.dataKey.kekId, kek2.id);
    assert.notEqual(before.dataKey.kekId, kek2.id);
    await assert.rejects(
      SoftwareKeystore.open({ dir, kek: kek1 }),
      rejectsWith('ERR_KEYSTORE_KEK'),
    );
    const reopened = await SoftwareKeystore.open({ dir, kek: kek2 });
    const digest = createHash('sha384').update(data).digest();
    const sig = await reopened.sign(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-384', digest });
    assert.ok(
      verify(
        'sha384',
        data,
        createPublicKey({ key: Buffer.from(publicKey), format: 'der', type: 'spki' }),
        sig,
      ),
    );
    // Interrupted rotation: files wrapped by either KEK open when both are configured.
    await reopened.generateKey({ type: 'EC', curve: 'P-256' }, 'new-one');
    const kek3 = Kek.generate();
    const mixed = await SoftwareKeystore.open({ dir, kek: kek3, previousKeks: [kek2] });
    await mixed.sign('keystore:new-one', {
      scheme: 'ECDSA',
      digestAlgorithm: 'SHA-256',
      digest: sha256(data),
    });
  });

  it('KEY-03: SIGKILL during KEK rotation leaves every key readable with the old or the new KEK', async (t) => {
    const dir = tempDir(t);
    const oldKek = randomBytes(32);
    const newKek = randomBytes(32);
    const ks = await SoftwareKeystore.open({ dir, kek: Kek.fromBytes(oldKek) });
    const keys = [];
    for (let i = 0; i < 40; i++)
      keys.push(await ks.generateKey({ type: 'EC', curve: 'P-256' }, `k${i}`));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        repoPath('test', 'keys', 'software', 'fixtures', 'rotate-child.ts'),
        dir,
        oldKek.toString('hex'),
        newKek.toString('hex'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Kill once 10 files are re-wrapped: wherever it stops, the invariant must hold.
    let reported = 0;
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        reported += chunk.toString().split('rewrapped ').length - 1;
        if (reported >= 10) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const kekIds = readdirSync(dir)
      .filter((n) => n.endsWith('.key.json') && !n.startsWith('.'))
      .map(
        (n) =>
          (JSON.parse(readFileSync(join(dir, n), 'utf8')) as { dataKey: { kekId: string } }).dataKey
            .kekId,
      );
    const moved = kekIds.filter((id) => id === Kek.fromBytes(newKek).id).length;
    t.diagnostic(`after SIGKILL: ${moved}/${kekIds.length} keys re-wrapped`);
    assert.ok(moved >= 10, 'the kill landed after the reported re-wraps');
    const reopened = await SoftwareKeystore.open({
      dir,
      kek: Kek.fromBytes(newKek),
      previousKeks: [Kek.fromBytes(oldKek)],
    });
    for (const k of keys) {
      const sig = await reopened.sign(k.ref, {
        scheme: 'ECDSA',
        digestAlgorithm: 'SHA-256',
        digest: sha256(data),
      });
      const pub = createPublicKey({ key: Buffer.from(k.publicKey), format: 'der', type: 'spki' });
      assert.ok(verify('sha256', data, pub, sig), k.ref);
    }
    // Finishing the rotation afterwards moves every key to the new KEK.
    await reopened.rotateKek(Kek.fromBytes(newKek));
    await SoftwareKeystore.open({ dir, kek: Kek.fromBytes(newKek) });
  });

  it('refuses bad labels, references, duplicate labels, wrong digests and mismatched schemes with typed errors', async (t) => {
    const dir = tempDir(t);
    const ks = await SoftwareKeystore.open({ dir, kek: Kek.generate() });
    await assert.rejects(
      ks.generateKey({ type: 'EC', curve: 'P-256' }, '../evil'),
      rejectsWith('ERR_KEY_LABEL_INVALID'),
    );
    await assert.rejects(
      ks.generateKey({ type: 'RSA', bits: 1024 as 2048 }, 'weak'),
      rejectsWith('ERR_KEY_SPEC_UNSUPPORTED'),
    );
    const { ref } = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'dup');
    await assert.rejects(
      ks.generateKey({ type: 'EC', curve: 'P-256' }, 'dup'),
      rejectsWith('ERR_KEY_EXISTS'),
    );
    await assert.rejects(ks.getPublicKey('keystore:absent'), rejectsWith('ERR_KEY_NOT_FOUND'));
    await assert.rejects(
      ks.getPublicKey('pkcs11:token=x;object=y'),
      rejectsWith('ERR_KEY_REF_INVALID'),
    );
    await assert.rejects(
      ks.getPublicKey('keystore:../../etc/passwd'),
      rejectsWith('ERR_KEY_REF_INVALID'),
    );
    await assert.rejects(
      ks.sign(ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: new Uint8Array(31) }),
      rejectsWith('ERR_KEY_DIGEST_INVALID'),
    );
    await assert.rejects(
      ks.sign(ref, {
        scheme: 'RSASSA-PSS',
        digestAlgorithm: 'SHA-256',
        digest: new Uint8Array(32),
      }),
      rejectsWith('ERR_KEY_MECHANISM_UNSUPPORTED'),
    );
    writeFileSync(join(dir, 'junk.key.json'), '{"format":"signet-keystore-key","version":1}');
    await assert.rejects(ks.getPublicKey('keystore:junk'), rejectsWith('ERR_KEYSTORE_CORRUPT'));
    writeFileSync(join(dir, 'junk.key.json'), randomBytes(100));
    await assert.rejects(ks.getPublicKey('keystore:junk'), rejectsWith('ERR_KEYSTORE_CORRUPT'));
    await ks.destroyKey(ref);
    await assert.rejects(ks.getPublicKey(ref), rejectsWith('ERR_KEY_NOT_FOUND'));
    await ks.close();
    await assert.rejects(ks.getPublicKey(ref), rejectsWith('ERR_KEY_BACKEND_CLOSED'));
    assert.equal((await ks.health()).ok, false);
  });

  it('generates EC keys concurrently under distinct labels without collisions', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate() });
    const made = await Promise.all(
      ['a', 'b', 'c', 'd'].map((l) => ks.generateKey({ type: 'EC', curve: 'P-256' }, l)),
    );
    assert.equal(new Set(made.map((m) => Buffer.from(m.publicKey).toString('hex'))).size, 4);
    const same = await Promise.allSettled(
      [1, 2, 3].map(() => ks.generateKey({ type: 'EC', curve: 'P-256' }, 'race')),
    );
    assert.equal(same.filter((r) => r.status === 'fulfilled').length, 1);
  });
});

describe('loadKek (file or environment, *_FILE convention)', () => {
  it('loads hex, base64 and raw KEK files and prefers NAME_FILE over NAME', (t) => {
    const dir = tempDir(t);
    const bytes = randomBytes(32);
    const id = Kek.fromBytes(bytes).id;
    writeFileSync(join(dir, 'hex'), `${bytes.toString('hex')}\n`);
    writeFileSync(join(dir, 'b64'), bytes.toString('base64'));
    writeFileSync(join(dir, 'raw'), bytes);
    assert.equal(loadKek({ file: join(dir, 'hex') }).id, id);
    assert.equal(loadKek({ file: join(dir, 'b64') }).id, id);
    assert.equal(loadKek({ file: join(dir, 'raw') }).id, id);
    const other = randomBytes(32).toString('hex');
    assert.equal(loadKek({ env: 'K', environment: { K_FILE: join(dir, 'hex'), K: other } }).id, id);
    assert.notEqual(loadKek({ env: 'K', environment: { K: other } }).id, id);
    assert.throws(
      () => loadKek({ env: 'K', environment: {} }),
      (e: unknown) => isSignetError(e, 'ERR_KEY_SECRET'),
    );
    assert.throws(
      () => loadKek({ file: join(dir, 'absent') }),
      (e: unknown) => isSignetError(e, 'ERR_KEY_SECRET'),
    );
    writeFileSync(join(dir, 'short'), 'abcd');
    assert.throws(
      () => loadKek({ file: join(dir, 'short') }),
      (e: unknown) => {
        assert.ok(isSignetError(e, 'ERR_KEYSTORE_KEK'));
        assert.ok(
          !String((e as Error).message).includes('abcd'),
          'the KEK never appears in a message',
        );
        return true;
      },
    );
  });
});

describe('signDigest over node:crypto keys (RFC 8017 §8.1/§8.2, FIPS 186-5 §6.4)', () => {
  it('produces PKCS#1, PSS and ECDSA signatures that crypto.verify accepts for every digest', async () => {
    const { signDigest } = await import('../../../src/keys/software/sign-digest.js');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2049 });
    const ec521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
    for (const [hash, alg] of [
      ['sha256', 'SHA-256'],
      ['sha384', 'SHA-384'],
      ['sha512', 'SHA-512'],
    ] as const) {
      const digest = createHash(hash).update(data).digest();
      const p1 = signDigest(rsa.privateKey, {
        scheme: 'RSASSA-PKCS1-v1_5',
        digestAlgorithm: alg,
        digest,
      });
      assert.ok(verify(hash, data, rsa.publicKey, p1));
      const pss = signDigest(rsa.privateKey, {
        scheme: 'RSASSA-PSS',
        digestAlgorithm: alg,
        digest,
      });
      assert.ok(
        verify(
          hash,
          data,
          {
            key: rsa.publicKey,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: digest.length,
          },
          pss,
        ),
      );
      const ecdsa = signDigest(ec521.privateKey, { scheme: 'ECDSA', digestAlgorithm: alg, digest });
      assert.ok(verify(hash, data, ec521.publicKey, ecdsa));
      assert.ok(!verify(hash, Buffer.from('other'), ec521.publicKey, ecdsa));
    }
  });
});

describe('PreparedKey.signMessage of the software keystore (issue 19: the receipt signature)', () => {
  it('signs the message itself: PKCS#1, PSS and ECDSA signatures that crypto.verify accepts, RSA on the signing threads', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate(), signingThreads: 1 });
    t.after(() => ks.close());
    const ec = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'message-ec');
    const rsa = await ks.generateKey({ type: 'RSA', bits: 2048 }, 'message-rsa');
    const ecKey = await ks.prepareKey(ec.ref);
    const rsaKey = await ks.prepareKey(rsa.ref);
    assert.ok(ecKey.signMessage !== undefined && rsaKey.signMessage !== undefined);
    const ecPublic = createPublicKey({ key: Buffer.from(ec.publicKey), format: 'der', type: 'spki' });
    const rsaPublic = createPublicKey({ key: Buffer.from(rsa.publicKey), format: 'der', type: 'spki' });
    const ecdsa = await ecKey.signMessage({ scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message: data });
    assert.equal(ecdsa[0], 0x30, 'a DER ECDSA-Sig-Value (RFC 3279 §2.2.3)');
    assert.ok(verify('sha256', data, ecPublic, ecdsa));
    assert.ok(!verify('sha256', Buffer.from('other'), ecPublic, ecdsa));
    const p1 = await rsaKey.signMessage({ scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-384', message: data });
    assert.ok(verify('sha384', data, rsaPublic, p1));
    const pss = await rsaKey.signMessage({ scheme: 'RSASSA-PSS', digestAlgorithm: 'SHA-256', message: data, saltLength: 20 });
    assert.ok(verify('sha256', data, { key: rsaPublic, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }, pss));
    await assert.rejects(
      ecKey.signMessage({ scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', message: data }),
      rejectsWith('ERR_KEY_MECHANISM_UNSUPPORTED'),
    );
    await ks.close();
    await assert.rejects(
      ecKey.signMessage({ scheme: 'ECDSA', digestAlgorithm: 'SHA-256', message: data }),
      rejectsWith('ERR_KEY_BACKEND_CLOSED'),
    );
  });
});

describe('PreparedKey.signChecked of the software keystore (docs/security.md SAD-24, issue 19: the output self-check made by the signer)', () => {
  const sha = (name: string, b: Uint8Array): Uint8Array => createHash(name).update(b).digest();
  const spkiKey = (spki: Uint8Array) => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });

  it('returns ECDSA signatures (P-256, P-384, P-521) that crypto.verify accepts, on the calling thread and on the signing threads', async (t) => {
    for (const signingThreads of [0, 1]) {
      const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate(), signingThreads });
      t.after(() => ks.close());
      for (const [curve, hash] of [['P-256', 'sha256'], ['P-384', 'sha384'], ['P-521', 'sha512']] as const) {
        const generated = await ks.generateKey({ type: 'EC', curve }, `checked-${curve.toLowerCase()}`);
        const key = await ks.prepareKey(generated.ref);
        assert.ok(key.signChecked !== undefined);
        const publicKey = spkiKey(generated.publicKey);
        const digestAlgorithm = hash === 'sha256' ? 'SHA-256' : hash === 'sha384' ? 'SHA-384' : 'SHA-512';
        // Several signatures in one turn: the first on this thread, the next ones on the pool's.
        const signatures = await Promise.all(
          [0, 1, 2].map(() => (key.signChecked as NonNullable<typeof key.signChecked>)({ scheme: 'ECDSA', digestAlgorithm, digest: sha(hash, data) }, publicKey)),
        );
        for (const signature of signatures) assert.ok(verify(hash, data, publicKey, signature), `${curve}, ${signingThreads} threads`);
      }
      await ks.close();
    }
  });

  it('refuses (ERR_KEY_SIGN_FAILED, nothing returned) a signature that does not verify under the given key: another key of the curve, another curve, an RSA key', async (t) => {
    const ks = await SoftwareKeystore.open({ dir: tempDir(t), kek: Kek.generate(), signingThreads: 1 });
    t.after(() => ks.close());
    const ec = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'checked-own');
    const other = await ks.generateKey({ type: 'EC', curve: 'P-256' }, 'checked-other');
    const p384 = await ks.generateKey({ type: 'EC', curve: 'P-384' }, 'checked-p384');
    const rsa = await ks.generateKey({ type: 'RSA', bits: 2048 }, 'checked-rsa');
    const key = await ks.prepareKey(ec.ref);
    const signChecked = key.signChecked as NonNullable<typeof key.signChecked>;
    const request = { scheme: 'ECDSA', digestAlgorithm: 'SHA-256', digest: sha('sha256', data) } as const;
    for (const wrong of [other.publicKey, p384.publicKey, rsa.publicKey]) {
      await assert.rejects(signChecked(request, spkiKey(wrong)), rejectsWith('ERR_KEY_SIGN_FAILED'));
      // The same through a signing thread (a second signature in the same turn goes there).
      const both = await Promise.allSettled([signChecked(request, spkiKey(ec.publicKey)), signChecked(request, spkiKey(wrong))]);
      assert.equal(both[0].status, 'fulfilled');
      assert.ok(both[1].status === 'rejected' && rejectsWith('ERR_KEY_SIGN_FAILED')(both[1].reason));
    }
    // RSA: checked by verifying over the digest (PKCS#1 v1.5 and PSS); the wrong key refuses.
    const rsaKey = await ks.prepareKey(rsa.ref);
    const rsaChecked = rsaKey.signChecked as NonNullable<typeof rsaKey.signChecked>;
    const p1 = await rsaChecked({ scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest: sha('sha256', data) }, spkiKey(rsa.publicKey));
    assert.ok(verify('sha256', data, spkiKey(rsa.publicKey), p1));
    const pss = await rsaChecked({ scheme: 'RSASSA-PSS', digestAlgorithm: 'SHA-256', digest: sha('sha256', data), saltLength: 20 }, spkiKey(rsa.publicKey));
    assert.ok(verify('sha256', data, { key: spkiKey(rsa.publicKey), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 }, pss));
    await assert.rejects(
      rsaChecked({ scheme: 'RSASSA-PKCS1-v1_5', digestAlgorithm: 'SHA-256', digest: sha('sha256', data) }, spkiKey(ec.publicKey)),
      rejectsWith('ERR_KEY_SIGN_FAILED'),
    );
  });
});
