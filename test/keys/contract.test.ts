/**
 * The KeyBackend contract (issue 5): the same suite runs against every backend kind. Signatures
 * over pre-computed digests must verify with node:crypto and with `openssl dgst -verify`
 * (RFC 8017 §8.1/§8.2, FIPS 186-5 §6.4), and misuse must fail with the stable error codes.
 */
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { DigestAlgorithm, SignatureScheme } from '../../src/cms/algorithms.js';
import { isSignetError } from '../../src/core/errors.js';
import {
  Kek,
  keySigner,
  Pkcs11Backend,
  SoftwareKeystore,
  type KeyBackend,
  type KeySpec,
  RemoteKeyBackend,
  TokenServer,
} from '../../src/keys/index.js';
import { hasTool, requireTools, runTool } from '../support/tools.js';
import { selfSignedCertificate } from './support/certificate.js';
import { initSoftHsm, softhsmModule, type TestToken } from './support/softhsm.js';
import { makeMutualTls } from './support/tls.js';

/** Every backend kind; adding a kind without a factory is a compile error. */
type BackendKind = 'software' | 'softhsm' | 'remote';

interface Factory {
  readonly tools: readonly string[];
  /** The token label that unknown-key references name. */
  readonly unknownRef: string;
  create(dir: string): Promise<KeyBackend>;
}

// SoftHSM reads SOFTHSM2_CONF when the library initialises: every token of this file is made
// once, before the first backend opens it.
let softhsmTokens: TestToken[] | undefined;
function tokensFor(dir: string, label: string): TestToken {
  softhsmTokens ??= initSoftHsm(join(dir, 'softhsm'), ['contract-1', 'contract-2', 'remote-1']);
  const token = softhsmTokens.find((t) => t.label === label);
  assert.ok(token);
  return token;
}

const closers: (() => Promise<void>)[] = [];

const factories: Record<BackendKind, Factory> = {
  software: {
    tools: [],
    unknownRef: 'keystore:no-such-key',
    create: (dir) => SoftwareKeystore.open({ dir: join(dir, 'keystore'), kek: Kek.generate() }),
  },
  softhsm: {
    tools: ['softhsm2-util'],
    unknownRef: 'pkcs11:token=contract-1;object=no-such-key',
    async create() {
      const tokens = [tokensFor(workDir, 'contract-1'), tokensFor(workDir, 'contract-2')];
      return Pkcs11Backend.open({
        module: softhsmModule,
        tokens: tokens.map((t) => ({ label: t.label, pin: t.pin })),
      });
    },
  },
  remote: {
    tools: ['softhsm2-util', 'openssl'],
    unknownRef: 'pkcs11:token=remote-1;object=no-such-key',
    async create(dir) {
      const token = tokensFor(workDir, 'remote-1');
      const hsm = await Pkcs11Backend.open({
        module: softhsmModule,
        tokens: [{ label: token.label, pin: token.pin }],
      });
      mkdirSync(join(dir, 'tls'), { recursive: true });
      const tls = makeMutualTls(join(dir, 'tls'));
      const server = await TokenServer.start({ backend: hsm, tls: tls.server });
      closers.push(async () => {
        await server.close();
        await hsm.close();
      });
      return new RemoteKeyBackend({ url: server.url, tls: tls.client });
    },
  },
};

const specs: readonly {
  readonly name: string;
  readonly spec: KeySpec;
  readonly uses: readonly [SignatureScheme, DigestAlgorithm][];
}[] = [
  {
    name: 'RSA-2048',
    spec: { type: 'RSA', bits: 2048 },
    uses: [
      ['RSASSA-PKCS1-v1_5', 'SHA-256'],
      ['RSASSA-PKCS1-v1_5', 'SHA-512'],
      ['RSASSA-PSS', 'SHA-256'],
      ['RSASSA-PSS', 'SHA-384'],
    ],
  },
  { name: 'EC-P256', spec: { type: 'EC', curve: 'P-256' }, uses: [['ECDSA', 'SHA-256']] },
  {
    name: 'EC-P384',
    spec: { type: 'EC', curve: 'P-384' },
    uses: [
      ['ECDSA', 'SHA-384'],
      ['ECDSA', 'SHA-256'],
    ],
  },
];

const nodeHash = (d: DigestAlgorithm): 'sha256' | 'sha384' | 'sha512' =>
  d === 'SHA-256' ? 'sha256' : d === 'SHA-384' ? 'sha384' : 'sha512';

const isCode = (code: string) => (err: unknown) => {
  assert.ok(isSignetError(err, code), `expected ${code}, got ${String(err)}`);
  return true;
};

let workDir = '';
before(() => {
  workDir = mkdtempSync(join(tmpdir(), 'signet-keys-contract-'));
});
after(() => rmSync(workDir, { recursive: true, force: true }));

for (const kind of Object.keys(factories) as BackendKind[]) {
  const factory = factories[kind];
  describe(`KeyBackend contract: ${kind}`, () => {
    let backend: KeyBackend | undefined;
    const keys = new Map<string, { ref: string; publicKey: Uint8Array }>();

    const ready = async (t: TestContext): Promise<KeyBackend | undefined> => {
      if (!requireTools(t, ...factory.tools)) return undefined;
      if (backend === undefined) {
        const dir = join(workDir, kind);
        backend = await factory.create(dir);
        for (const s of specs) {
          const generated = await backend.generateKey(s.spec, `contract-${s.name.toLowerCase()}`);
          assert.equal(generated.keyType, s.spec.type);
          keys.set(s.name, generated);
        }
      }
      return backend;
    };
    after(async () => {
      await backend?.close();
      for (const close of closers.splice(0)) await close();
    });

    for (const s of specs) {
      it(`generates ${s.name} and signs ${s.uses.map((u) => u.join('/')).join(', ')}: node:crypto and openssl verify`, async (t) => {
        const b = await ready(t);
        if (b === undefined) return;
        const key = keys.get(s.name);
        assert.ok(key);
        assert.deepEqual(await b.getPublicKey(key.ref), key.publicKey);
        const pub = createPublicKey({
          key: Buffer.from(key.publicKey),
          format: 'der',
          type: 'spki',
        });
        const pubPem = join(workDir, `${kind}-${s.name}.pem`);
        writeFileSync(pubPem, pub.export({ format: 'pem', type: 'spki' }));
        for (const [scheme, digestAlgorithm] of s.uses) {
          const data = new TextEncoder().encode(
            `contract ${kind} ${s.name} ${scheme} ${digestAlgorithm}`,
          );
          const h = nodeHash(digestAlgorithm);
          const digest = createHash(h).update(data).digest();
          const signature = await b.sign(key.ref, { scheme, digestAlgorithm, digest });
          const pss = scheme === 'RSASSA-PSS';
          const verifyKey = pss
            ? { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: digest.length }
            : pub;
          assert.ok(
            verify(h, data, verifyKey, signature),
            `node:crypto rejects ${scheme}/${digestAlgorithm}`,
          );
          assert.ok(!verify(h, Buffer.from('tampered'), verifyKey, signature));
          if (s.spec.type === 'RSA') assert.equal(signature.length, 256);
          if (hasTool('openssl')) {
            const dataFile = join(workDir, `${kind}-data.bin`);
            const sigFile = join(workDir, `${kind}-sig.bin`);
            writeFileSync(dataFile, data);
            writeFileSync(sigFile, signature);
            const args = ['dgst', `-${h}`, '-verify', pubPem, '-signature', sigFile];
            // RFC 4055 §3.1: salt length = hash length (openssl's "digest" keyword).
            if (pss)
              args.push('-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:digest');
            const r = runTool('openssl', [...args, dataFile]);
            assert.equal(
              r.status,
              0,
              `openssl rejects ${scheme}/${digestAlgorithm}: ${r.stdout}${r.stderr}`,
            );
            assert.match(r.stdout, /Verified OK/);
          } else {
            requireTools(t, 'openssl');
          }
        }
      });
    }

    it('keySigner: a Signer that hashes, signs through the backend and self-checks against the certificate', async (t) => {
      const b = await ready(t);
      if (b === undefined) return;
      const rsa = keys.get('RSA-2048');
      const ec = keys.get('EC-P256');
      assert.ok(rsa && ec);
      const rsaCert = await selfSignedCertificate(b, rsa.ref, rsa.publicKey, `${kind} rsa`);
      const ecCert = await selfSignedCertificate(b, ec.ref, ec.publicKey, `${kind} ec`);
      const data = new TextEncoder().encode('signed attributes stand-in');
      const pssSigner = keySigner(b, rsa.ref, [rsaCert], {
        scheme: 'RSASSA-PSS',
        digest: 'SHA-256',
      });
      assert.equal(pssSigner.maxSignatureSize(), 256);
      assert.deepEqual(pssSigner.certificateChain, [rsaCert]);
      const pss = await pssSigner.sign(data);
      const rsaPub = createPublicKey({
        key: Buffer.from(rsa.publicKey),
        format: 'der',
        type: 'spki',
      });
      assert.ok(
        verify(
          'sha256',
          data,
          { key: rsaPub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          pss,
        ),
      );
      const ecSigner = keySigner(b, ec.ref, [ecCert], { scheme: 'ECDSA', digest: 'SHA-256' });
      const ecSig = await ecSigner.sign(data);
      assert.ok(ecSig.length <= ecSigner.maxSignatureSize());
      assert.ok(
        verify(
          'sha256',
          data,
          createPublicKey({ key: Buffer.from(ec.publicKey), format: 'der', type: 'spki' }),
          ecSig,
        ),
      );
      // Wrong key type for the algorithm: refused before any key operation.
      assert.throws(
        () => keySigner(b, ec.ref, [ecCert], { scheme: 'RSASSA-PSS', digest: 'SHA-256' }),
        isCode('ERR_KEY_MECHANISM_UNSUPPORTED'),
      );
      // A certificate of another key: the self-check refuses to release the signature.
      const mismatched = keySigner(
        b,
        ec.ref,
        [
          await selfSignedCertificate(
            b,
            keys.get('EC-P384')?.ref ?? '',
            keys.get('EC-P384')?.publicKey ?? new Uint8Array(),
            'other',
          ),
        ],
        {
          scheme: 'ECDSA',
          digest: 'SHA-256',
        },
      );
      await assert.rejects(mismatched.sign(data), isCode('ERR_KEY_SIGN_FAILED'));
    });

    it('refuses unknown keys, foreign references, wrong digest lengths and mismatched schemes with stable codes', async (t) => {
      const b = await ready(t);
      if (b === undefined) return;
      const ec = keys.get('EC-P256');
      const rsa = keys.get('RSA-2048');
      assert.ok(ec && rsa);
      const unknown = factory.unknownRef;
      await assert.rejects(b.getPublicKey(unknown), isCode('ERR_KEY_NOT_FOUND'));
      await assert.rejects(
        b.sign(unknown, {
          scheme: 'ECDSA',
          digestAlgorithm: 'SHA-256',
          digest: new Uint8Array(32),
        }),
        isCode('ERR_KEY_NOT_FOUND'),
      );
      await assert.rejects(b.getPublicKey('file:///etc/passwd'), isCode('ERR_KEY_REF_INVALID'));
      await assert.rejects(
        b.sign(ec.ref, { scheme: 'ECDSA', digestAlgorithm: 'SHA-384', digest: new Uint8Array(32) }),
        isCode('ERR_KEY_DIGEST_INVALID'),
      );
      await assert.rejects(
        b.sign(ec.ref, {
          scheme: 'RSASSA-PKCS1-v1_5',
          digestAlgorithm: 'SHA-256',
          digest: new Uint8Array(32),
        }),
        isCode('ERR_KEY_MECHANISM_UNSUPPORTED'),
      );
      await assert.rejects(
        b.sign(rsa.ref, {
          scheme: 'ECDSA',
          digestAlgorithm: 'SHA-256',
          digest: new Uint8Array(32),
        }),
        isCode('ERR_KEY_MECHANISM_UNSUPPORTED'),
      );
      await assert.rejects(
        b.generateKey({ type: 'EC', curve: 'P-256' }, 'contract-ec-p256'),
        isCode('ERR_KEY_EXISTS'),
      );
      await assert.rejects(
        b.generateKey({ type: 'EC', curve: 'P-256' }, 'bad label'),
        isCode('ERR_KEY_LABEL_INVALID'),
      );
    });

    it('signs in parallel (16 concurrent callers) and destroys keys', async (t) => {
      const b = await ready(t);
      if (b === undefined) return;
      const ec = keys.get('EC-P256');
      assert.ok(ec);
      const pub = createPublicKey({ key: Buffer.from(ec.publicKey), format: 'der', type: 'spki' });
      const results = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const data = Buffer.from(`parallel ${i}`);
          const sig = await b.sign(ec.ref, {
            scheme: 'ECDSA',
            digestAlgorithm: 'SHA-256',
            digest: createHash('sha256').update(data).digest(),
          });
          return verify('sha256', data, pub, sig);
        }),
      );
      assert.deepEqual(results, Array(16).fill(true));
      const temp = await b.generateKey({ type: 'EC', curve: 'P-256' }, 'contract-temporary');
      await b.destroyKey(temp.ref);
      await assert.rejects(b.getPublicKey(temp.ref), isCode('ERR_KEY_NOT_FOUND'));
      assert.equal((await b.health()).ok, true);
    });
  });
}
