/** The local-key Signer: PEM (PKCS#8, PKCS#1, SEC1, encrypted PKCS#8) and PKCS#12 (RFC 7292) files from openssl. */
import { describe, it, before, mock } from 'node:test';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify, constants, type sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { PFX } from '@peculiar/asn1-pfx';
import { isSignetError } from '../../../src/core/errors.js';
import { digestAlgorithms } from '../../../src/cms/index.js';
import { loadLocalSigner, type LocalKeyErrorCode } from '../../../src/keys/local/index.js';
import { buildTestPki, leafKinds, type LeafKind, type TestPki } from '../../support/pki.js';
import { requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';

const data = new TextEncoder().encode('signed attributes stand-in');
const require = createRequire(import.meta.url);

async function rejects(promise: Promise<unknown>, code: LocalKeyErrorCode): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isSignetError(err, code), `expected ${code}, got ${String(err)}`);
    return true;
  });
}

describe('loadLocalSigner (PEM)', () => {
  let pki: TestPki<LeafKind>;
  before(async () => {
    pki = await buildTestPki({ leaves: leafKinds });
  });

  it('defaults: RSA → PKCS#1 v1.5 SHA-256; EC → ECDSA with the curve digest', async () => {
    const expected: Record<LeafKind, string> = {
      rsa: 'RSASSA-PKCS1-v1_5/SHA-256',
      'rsa-pss': 'RSASSA-PKCS1-v1_5/SHA-256',
      'ec-p256': 'ECDSA/SHA-256',
      'ec-p384': 'ECDSA/SHA-384',
      'ec-p521': 'ECDSA/SHA-512',
    };
    for (const kind of leafKinds) {
      const leaf = pki.leaves[kind];
      const signer = await loadLocalSigner({
        kind: 'pem',
        key: leaf.privateKeyPem,
        certificate: leaf.pem,
      });
      assert.equal(
        `${signer.signatureAlgorithm.scheme}/${signer.signatureAlgorithm.digest}`,
        expected[kind],
        kind,
      );
      const sig = await signer.sign(data);
      assert.ok(sig.length <= signer.maxSignatureSize());
      const key = createPublicKey(leaf.privateKey);
      const nodeName = digestAlgorithms[signer.signatureAlgorithm.digest].nodeName;
      const opts = kind.startsWith('ec') ? { key, dsaEncoding: 'der' as const } : { key };
      assert.equal(verify(nodeName, data, opts, sig), true, kind);
      assert.equal(verify(nodeName, new TextEncoder().encode('other'), opts, sig), false);
    }
  });

  it('RSASSA-PSS signs with salt = hash length (RFC 4055 §3.1)', async () => {
    const leaf = pki.leaves['rsa-pss'];
    const signer = await loadLocalSigner(
      { kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.pem },
      { scheme: 'RSASSA-PSS', digest: 'SHA-384' },
    );
    const sig = await signer.sign(data);
    const key = createPublicKey(leaf.privateKey);
    assert.equal(
      verify(
        'sha384',
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
        sig,
      ),
      true,
    );
    assert.equal(
      verify(
        'sha384',
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 },
        sig,
      ),
      false,
    );
  });

  it('maxSignatureSize bounds 200 ECDSA P-521 signatures and every RSA signature', async () => {
    const ec = await loadLocalSigner({ kind: 'pem', key: pki.leaves['ec-p521'].privateKeyPem, certificate: pki.leaves['ec-p521'].pem });
    assert.equal(ec.maxSignatureSize(), 141);
    let longest = 0;
    for (let i = 0; i < 200; i++) longest = Math.max(longest, (await ec.sign(new Uint8Array([i]))).length);
    assert.ok(longest <= 141 && longest >= 137, `longest ${longest}`);
    const rsa = await loadLocalSigner({ kind: 'pem', key: pki.leaves.rsa.privateKeyPem, certificate: pki.leaves.rsa.pem });
    assert.equal(rsa.maxSignatureSize(), 256);
    assert.equal((await rsa.sign(data)).length, 256);
  });

  it('orders the chain leaf first whatever order the files give', async () => {
    const leaf = pki.leaves.rsa;
    const signer = await loadLocalSigner({
      kind: 'pem',
      key: leaf.privateKeyPem,
      certificate: leaf.pem,
      chain: [pki.root.pem + pki.intermediate.pem],
    });
    assert.deepEqual(signer.certificateChain, [leaf.der, pki.intermediate.der, pki.root.der]);
  });

  it('reads PKCS#1, SEC1 and encrypted PKCS#8 keys written by openssl', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    const rsa = pki.leaves.rsa;
    const ec = pki.leaves['ec-p384'];
    writeFileSync(join(dir, 'rsa.pem'), rsa.privateKeyPem);
    writeFileSync(join(dir, 'ec.pem'), ec.privateKeyPem);
    const pkcs1 = runTool('openssl', ['rsa', '-in', join(dir, 'rsa.pem'), '-traditional']);
    assert.equal(pkcs1.status, 0, pkcs1.stderr);
    assert.match(pkcs1.stdout, /BEGIN RSA PRIVATE KEY/);
    const sec1 = runTool('openssl', ['ec', '-in', join(dir, 'ec.pem')]);
    assert.equal(sec1.status, 0, sec1.stderr);
    assert.match(sec1.stdout, /BEGIN EC PRIVATE KEY/);
    const enc = runTool('openssl', [
      'pkcs8',
      '-topk8',
      '-in',
      join(dir, 'rsa.pem'),
      '-v2',
      'aes-256-cbc',
      '-passout',
      'pass:s3cret',
    ]);
    assert.equal(enc.status, 0, enc.stderr);
    assert.match(enc.stdout, /BEGIN ENCRYPTED PRIVATE KEY/);

    const a = await loadLocalSigner({ kind: 'pem', key: pkcs1.stdout, certificate: rsa.pem });
    assert.equal(a.signatureAlgorithm.scheme, 'RSASSA-PKCS1-v1_5');
    const b = await loadLocalSigner({ kind: 'pem', key: sec1.stdout, certificate: ec.pem });
    assert.equal(b.signatureAlgorithm.digest, 'SHA-384');
    const c = await loadLocalSigner({
      kind: 'pem',
      key: enc.stdout,
      certificate: rsa.pem,
      passphrase: 's3cret',
    });
    assert.ok((await c.sign(data)).length === 256);
    await rejects(
      loadLocalSigner({ kind: 'pem', key: enc.stdout, certificate: rsa.pem, passphrase: 'wrong' }),
      'ERR_KEY_FILE_PASSPHRASE',
    );
    await rejects(
      loadLocalSigner({ kind: 'pem', key: enc.stdout, certificate: rsa.pem }),
      'ERR_KEY_FILE_PASSPHRASE',
    );
  });

  it('refuses a certificate that does not match the key', async () => {
    await rejects(
      loadLocalSigner({
        kind: 'pem',
        key: pki.leaves.rsa.privateKeyPem,
        certificate: pki.leaves['rsa-pss'].pem,
      }),
      'ERR_KEY_CERT_MISMATCH',
    );
  });

  it('refuses garbage keys and certificates with typed errors', async () => {
    await rejects(
      loadLocalSigner({ kind: 'pem', key: 'not a key', certificate: pki.leaves.rsa.pem }),
      'ERR_KEY_FILE_FORMAT',
    );
    await rejects(
      loadLocalSigner({
        kind: 'pem',
        key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
        certificate: pki.leaves.rsa.pem,
      }),
      'ERR_KEY_FILE_FORMAT',
    );
    await rejects(
      loadLocalSigner({ kind: 'pem', key: pki.leaves.rsa.privateKeyPem, certificate: 'nothing' }),
      'ERR_KEY_CERT_FORMAT',
    );
    await rejects(
      loadLocalSigner({
        kind: 'pem',
        key: pki.leaves.rsa.privateKeyPem,
        certificate: new Uint8Array([0x30, 0x03, 1, 2, 3]),
      }),
      'ERR_KEY_CERT_FORMAT',
    );
  });

  it('refuses an EC key with an RSA scheme and RSA keys under 2048 bits', async () => {
    const ec = pki.leaves['ec-p256'];
    await rejects(
      loadLocalSigner(
        { kind: 'pem', key: ec.privateKeyPem, certificate: ec.pem },
        { scheme: 'RSASSA-PSS' },
      ),
      'ERR_KEY_SCHEME_MISMATCH',
    );
    await rejects(
      loadLocalSigner({ kind: 'pem', key: pki.leaves.rsa.privateKeyPem, certificate: pki.leaves.rsa.pem }, { scheme: 'ECDSA' }),
      'ERR_KEY_SCHEME_MISMATCH',
    );
    const explicit = await loadLocalSigner({ kind: 'pem', key: ec.privateKeyPem, certificate: ec.pem }, { scheme: 'ECDSA' });
    assert.equal(explicit.signatureAlgorithm.scheme, 'ECDSA');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    await rejects(
      loadLocalSigner({ kind: 'pem', key: weak, certificate: pki.leaves.rsa.pem }),
      'ERR_KEY_FILE_UNSUPPORTED',
    );
  });

  it('releases no signature that does not verify with the certificate (docs/security.md SAD-24): ERR_KEY_FILE_SIGN_FAILED', async () => {
    // A fault in the signing operation, made by flipping a bit of what node:crypto returns.
    const crypto = require('node:crypto') as { sign: typeof sign };
    for (const kind of ['rsa', 'rsa-pss', 'ec-p256'] as const) {
      const leaf = pki.leaves[kind];
      const signer = await loadLocalSigner(
        { kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.pem },
        kind === 'rsa-pss' ? { scheme: 'RSASSA-PSS' } : {},
      );
      const good = await signer.sign(data);
      const realSign = crypto.sign;
      mock.method(crypto, 'sign', (alg: string, input: Uint8Array, key: unknown, done: (e: Error | null, s: Buffer) => void) =>
        realSign(alg, input, key as Parameters<typeof realSign>[2], (err, sig) => {
          const i = Math.floor(sig.length / 2);
          sig[i] = (sig[i] as number) ^ 0x01;
          done(err, sig);
        }),
      );
      syncBuiltinESMExports();
      try {
        await rejects(signer.sign(data), 'ERR_KEY_FILE_SIGN_FAILED');
      } finally {
        mock.restoreAll();
        syncBuiltinESMExports();
      }
      assert.ok((await signer.sign(data)).length > 0 && good.length > 0, kind);
    }
  });

  it('never puts key material in error messages', async () => {
    const pem = pki.leaves.rsa.privateKeyPem;
    const broken = pem.slice(0, 200) + 'X' + pem.slice(201);
    try {
      await loadLocalSigner({ kind: 'pem', key: broken, certificate: pki.leaves.rsa.pem });
      assert.fail('should throw');
    } catch (err) {
      const text = `${String(err)} ${JSON.stringify(err)}`;
      assert.ok(!text.includes(pem.slice(40, 80)), 'no PEM body in the error');
    }
  });
});

describe('loadLocalSigner (PKCS#12, RFC 7292) with files from openssl pkcs12 -export', () => {
  let pki: TestPki<'rsa' | 'ec-p256'>;
  before(async () => {
    pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
  });

  const variants = [
    {
      name: 'OpenSSL 3 default (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC, HMAC-SHA256 MAC)',
      args: [] as string[],
    },
    { name: '-legacy (3DES key, 40-bit RC2 certificates, SHA-1 MAC)', args: ['-legacy'] },
    {
      name: '-keypbe/-certpbe AES-128-CBC, -macalg sha512',
      args: ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC', '-macalg', 'sha512'],
    },
  ];
  for (const variant of variants) {
    for (const kind of ['rsa', 'ec-p256'] as const) {
      it(`loads ${kind} ${variant.name}`, async (t) => {
        if (!requireTools(t, 'openssl')) return;
        const dir = tempDir(t);
        const leaf = pki.leaves[kind];
        writeFileSync(join(dir, 'key.pem'), leaf.privateKeyPem);
        writeFileSync(join(dir, 'cert.pem'), leaf.pem);
        writeFileSync(join(dir, 'chain.pem'), pki.intermediate.pem + pki.root.pem);
        const p12 = join(dir, 'id.p12');
        const r = runTool('openssl', [
          'pkcs12',
          '-export',
          ...variant.args,
          '-inkey',
          join(dir, 'key.pem'),
          '-in',
          join(dir, 'cert.pem'),
          '-certfile',
          join(dir, 'chain.pem'),
          '-out',
          p12,
          '-passout',
          'pass:correct horse ü',
        ]);
        if (
          r.status !== 0 &&
          variant.args.includes('-legacy') &&
          /legacy|unsupported/i.test(r.stderr)
        ) {
          t.skip('openssl has no legacy provider');
          return;
        }
        assert.equal(r.status, 0, r.stderr);
        const bytes = new Uint8Array(readFileSync(p12));
        const signer = await loadLocalSigner({
          kind: 'pkcs12',
          data: bytes,
          passphrase: 'correct horse ü',
        });
        assert.deepEqual(signer.certificateChain, [leaf.der, pki.intermediate.der, pki.root.der]);
        const sig = await signer.sign(data);
        const key = createPublicKey(leaf.privateKey);
        assert.equal(
          verify('sha256', data, kind === 'rsa' ? key : { key, dsaEncoding: 'der' }, sig),
          true,
        );
        await rejects(
          loadLocalSigner({ kind: 'pkcs12', data: bytes, passphrase: 'correct horse' }),
          'ERR_KEY_FILE_PASSPHRASE',
        );
        await rejects(
          loadLocalSigner({
            kind: 'pkcs12',
            data: bytes.subarray(0, bytes.length - 40),
            passphrase: 'x',
          }),
          'ERR_KEY_FILE_FORMAT',
        );
      });
    }
  }

  it('refuses PKCS#12 without password integrity (no MacData) and with an unknown MAC algorithm', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'key.pem'), pki.leaves.rsa.privateKeyPem);
    writeFileSync(join(dir, 'cert.pem'), pki.leaves.rsa.pem);
    const p12 = join(dir, 'id.p12');
    const r = runTool('openssl', ['pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'), '-out', p12, '-passout', 'pass:x']);
    assert.equal(r.status, 0, r.stderr);
    const pfx = AsnParser.parse(readFileSync(p12), PFX);
    const noMac = new PFX({ version: pfx.version, authSafe: pfx.authSafe });
    delete (noMac as { macData?: unknown }).macData;
    await rejects(loadLocalSigner({ kind: 'pkcs12', data: new Uint8Array(AsnSerializer.serialize(noMac)), passphrase: 'x' }), 'ERR_KEY_FILE_UNSUPPORTED');
    pfx.macData.mac.digestAlgorithm.algorithm = '1.2.840.113549.2.5'; // MD5
    await rejects(loadLocalSigner({ kind: 'pkcs12', data: new Uint8Array(AsnSerializer.serialize(pfx)), passphrase: 'x' }), 'ERR_KEY_FILE_UNSUPPORTED');
  });

  it('refuses more than 10,000,000 iterations before deriving anything', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'key.pem'), pki.leaves.rsa.privateKeyPem);
    writeFileSync(join(dir, 'cert.pem'), pki.leaves.rsa.pem);
    const p12 = join(dir, 'id.p12');
    const r = runTool('openssl', [
      'pkcs12',
      '-export',
      '-inkey',
      join(dir, 'key.pem'),
      '-in',
      join(dir, 'cert.pem'),
      '-out',
      p12,
      '-passout',
      'pass:x',
      '-iter',
      '2048',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const pfx = AsnParser.parse(readFileSync(p12), PFX);
    pfx.macData.iterations = 10_000_001;
    const patched = new Uint8Array(AsnSerializer.serialize(pfx));
    const started = performance.now();
    await rejects(
      loadLocalSigner({ kind: 'pkcs12', data: patched, passphrase: 'x' }),
      'ERR_KEY_FILE_LIMIT',
    );
    assert.ok(performance.now() - started < 1000, 'refused before any key derivation');
    // The same file at the original count still loads: the refusal is about the count alone.
    pfx.macData.iterations = 2048;
    const restored = new Uint8Array(AsnSerializer.serialize(pfx));
    await loadLocalSigner({ kind: 'pkcs12', data: restored, passphrase: 'x' });
  });
});

describe('loadLocalSigner (DER and byte inputs)', () => {
  it('reads DER PKCS#8, PKCS#1 and SEC1 keys and PEM given as bytes', async () => {
    const pki = await buildTestPki({ leaves: ['rsa', 'ec-p256'] });
    const rsa = pki.leaves.rsa;
    const ec = pki.leaves['ec-p256'];
    const der = (k: typeof rsa, type: 'pkcs8' | 'pkcs1' | 'sec1'): Uint8Array =>
      new Uint8Array(k.privateKey.export({ format: 'der', type }));
    for (const [leaf, key] of [
      [rsa, der(rsa, 'pkcs8')],
      [rsa, der(rsa, 'pkcs1')],
      [ec, der(ec, 'pkcs8')],
      [ec, der(ec, 'sec1')],
      [rsa, new TextEncoder().encode(rsa.privateKeyPem)],
    ] as const) {
      const signer = await loadLocalSigner({ kind: 'pem', key, certificate: leaf.der });
      assert.deepEqual(signer.certificateChain, [leaf.der]);
    }
    await rejects(loadLocalSigner({ kind: 'pem', key: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), certificate: rsa.der }), 'ERR_KEY_FILE_FORMAT');
  });
});
