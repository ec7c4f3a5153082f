/**
 * Issue 16 §2: a heavy user's credential on two SoftHSM2 tokens behind two real `signet
 * token-server` processes (mutual TLS). `signet admin credentials create --backend remote:t1` and
 * `credentials add-key --backend remote:t2` make one key on each token, each with its own
 * certificate for the same subject; credentials/info lists both (`signet_keys`); signHash with
 * `signet_key: "any"` spreads over the two keys and names the certificate that signed (openssl
 * verifies every signature with it); no `signet_key` signs with the first key, a serial number with
 * that key (docs/security.md KEY-14); signDoc signs with either key, its CMS naming that key's
 * certificate (openssl cms -verify). Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditStore } from '../../src/audit/index.js';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { main } from '../../src/cli/main.js';
import { RemoteKeyBackend } from '../../src/keys/index.js';
import { ensureDemoAccount } from '../../src/server/demo.js';
import { storeKinds } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { startTwoTokenServers, type TokenClientFiles } from '../keys/support/token-server-process.js';
import { post, SHA256, ES256, sharedClock, startNode } from './support/csc-nodes.js';
import { captureIo, serverEnv, type ServerEnv } from './support/server-fixture.js';

/** `signet admin …` in this process with `env` set for the call (the CLI reads process.env). */
async function admin(
  env: ServerEnv,
  extra: NodeJS.ProcessEnv,
  ...args: string[]
): Promise<Record<string, string>> {
  const vars: NodeJS.ProcessEnv = { DATABASE_URL: env.databaseUrl ?? '', ...extra };
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  const io = captureIo();
  try {
    const code = await main(['admin', ...args, '--data', env.dataDir, '--json'], io);
    assert.equal(code, 0, io.stderr.text);
    return JSON.parse(io.stdout.text) as Record<string, string>;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** openssl pkeyutl judges a signature over a digest with a certificate's public key. */
function verifies(
  dir: string,
  certificate: string,
  hash: string,
  signature: string,
  name: string,
): void {
  const cert = new X509Certificate(Buffer.from(certificate, 'base64'));
  writeFileSync(join(dir, `${name}.pub`), cert.publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(dir, `${name}.bin`), Buffer.from(hash, 'base64'));
  writeFileSync(join(dir, `${name}.sig`), Buffer.from(signature, 'base64'));
  const r = runTool('openssl', [
    'pkeyutl',
    '-verify',
    '-pubin',
    '-inkey',
    join(dir, `${name}.pub`),
    '-in',
    join(dir, `${name}.bin`),
    '-sigfile',
    join(dir, `${name}.sig`),
  ]);
  assert.equal(r.status, 0, `${name}: ${r.stderr}${r.stdout}`);
}

/** The keys a token server holds, listed through a client of its own (mutual TLS). */
async function keyCount(url: string, files: TokenClientFiles): Promise<number> {
  const client = new RemoteKeyBackend({
    url,
    tls: {
      cert: readFileSync(files.cert, 'utf8'),
      key: readFileSync(files.key, 'utf8'),
      ca: readFileSync(files.ca, 'utf8'),
    },
  });
  try {
    return (await client.listKeyRefs()).length;
  } finally {
    await client.close();
  }
}

for (const kind of storeKinds) {
  describe(`issue 16 §2: a credential on two tokens behind two token servers (${kind})`, () => {
    it('create on remote:t1, add-key on remote:t2; info lists both certificates; signHash spreads and names the signer', async (t) => {
      if (!requireTools(t, 'openssl', 'softhsm2-util')) return;
      const env = await serverEnv(t, kind);
      if (!env) return;
      const dir = tempDir(t);
      const { files, t1, t2, env: tokenEnv } = await startTwoTokenServers(t, dir);
      const clock = sharedClock();
      const node = await startNode(t, env, 'node-pool', clock, tokenEnv);
      const { demo } = await ensureDemoAccount(node.services);

      const created = await admin(
        env,
        tokenEnv,
        'credentials',
        'create',
        '--user',
        demo.username,
        '--backend',
        'remote:t1',
        '--pin',
        '135790',
        '--common-name',
        'Heavy User',
      );
      const credentialID = created['credentialID'] as string;
      const added = await admin(
        env,
        tokenEnv,
        'credentials',
        'add-key',
        '--credential',
        credentialID,
        '--backend',
        'remote:t2',
      );
      assert.match(added['serialNumber'] as string, /^[0-9A-F]+$/);
      assert.deepEqual(
        [await keyCount(t1.url, files), await keyCount(t2.url, files)],
        [1, 1],
        'one key generated on each token',
      );

      const login = await post(
        node,
        'auth/login',
        {},
        `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`,
      );
      const bearer = `Bearer ${login.body['access_token'] as string}`;
      const info = await post(
        node,
        'credentials/info',
        { credentialID, certificates: 'chain', certInfo: true },
        bearer,
      );
      assert.equal(info.status, 200, JSON.stringify(info.body));
      const keys = info.body['signet_keys'] as {
        serialNumber: string;
        certificates: string[];
        available: boolean;
      }[];
      assert.equal(keys.length, 2);
      assert.deepEqual(
        keys[0]?.certificates,
        info.body['cert']['certificates'],
        'cert.certificates is the first key’s chain',
      );
      assert.equal(keys[1]?.serialNumber, added['serialNumber']);
      const leaves = keys.map(
        (k) => new X509Certificate(Buffer.from(k.certificates[0] as string, 'base64')),
      );
      assert.equal(leaves[0]?.subject, leaves[1]?.subject, 'one subject');
      assert.equal(leaves[0]?.issuer, leaves[1]?.issuer);
      assert.notEqual(
        leaves[0]?.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
        leaves[1]?.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
      );
      assert.ok(keys.every((k) => k.available));

      const hashes = Array.from({ length: 8 }, (_, i) =>
        createHash('sha256').update(`doc ${i}`).digest('base64'),
      );
      clock.advance(30_000);
      const authorized = await post(
        node,
        'credentials/authorize',
        {
          credentialID,
          numSignatures: hashes.length,
          hashes,
          hashAlgorithmOID: SHA256,
          authData: [
            { id: 'PIN', value: '135790' },
            { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), clock.now()) },
          ],
        },
        bearer,
      );
      assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
      const SAD = authorized.body['SAD'] as string;
      const signHash = (hash: string, signetKey?: string) =>
        post(
          node,
          'signatures/signHash',
          {
            credentialID,
            SAD,
            hashes: [hash],
            hashAlgorithmOID: SHA256,
            signAlgo: ES256,
            ...(signetKey === undefined ? {} : { signet_key: signetKey }),
          },
          bearer,
        );

      const bad = await signHash(hashes[0] as string, 'not-a-serial');
      assert.deepEqual(
        [bad.status, bad.body],
        [400, { error: 'invalid_request', error_description: 'Invalid parameter signet_key' }],
      );
      const unknown = await signHash(hashes[0] as string, 'ABCDEF01');
      assert.deepEqual(
        [unknown.status, unknown.body['error_description']],
        [400, 'Invalid parameter signet_key'],
      );

      const usedBy = new Map<string, number>();
      for (const [i, hash] of hashes.slice(0, 6).entries()) {
        const r = await signHash(hash, 'any');
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const signer = r.body['signet_key'] as { serialNumber: string; certificates: string[] };
        usedBy.set(signer.serialNumber, (usedBy.get(signer.serialNumber) ?? 0) + 1);
        verifies(
          dir,
          signer.certificates[0] as string,
          hash,
          (r.body['signatures'] as string[])[0] as string,
          `any-${i}`,
        );
      }
      assert.deepEqual(
        [...usedBy.keys()].sort(),
        keys.map((k) => k.serialNumber).sort(),
        'both keys signed',
      );

      const plain = await signHash(hashes[6] as string);
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      assert.equal(
        plain.body['signet_key']['serialNumber'],
        keys[0]?.serialNumber,
        'no signet_key: the first key',
      );
      verifies(
        dir,
        info.body['cert']['certificates'][0] as string,
        hashes[6] as string,
        plain.body['signatures'][0] as string,
        'plain',
      );
      const named = await signHash(
        hashes[7] as string,
        (keys[1]?.serialNumber as string).toLowerCase(),
      );
      assert.equal(named.status, 200, JSON.stringify(named.body));
      assert.equal(named.body['signet_key']['serialNumber'], keys[1]?.serialNumber);
      verifies(
        dir,
        keys[1]?.certificates[0] as string,
        hashes[7] as string,
        named.body['signatures'][0] as string,
        'named',
      );

      // signDoc builds the signed attributes itself: any key signs, signing-certificate-v2 and the
      // CMS certificates name that key's certificate, and openssl verifies the CMS over the content.
      const contents = ['contract A', 'contract B'].map((c) => Buffer.from(c));
      const digests = contents.map((c) => createHash('sha256').update(c).digest('base64'));
      clock.advance(30_000);
      const docAuth = await post(
        node,
        'credentials/authorize',
        {
          credentialID,
          numSignatures: 2,
          hashes: digests,
          hashAlgorithmOID: SHA256,
          authData: [
            { id: 'PIN', value: '135790' },
            { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), clock.now()) },
          ],
        },
        bearer,
      );
      assert.equal(docAuth.status, 200, JSON.stringify(docAuth.body));
      const docSigners = new Set<string>();
      for (const [i, d] of digests.entries()) {
        const r = await post(
          node,
          'signatures/signDoc',
          {
            credentialID,
            SAD: docAuth.body['SAD'],
            hashAlgorithmOID: SHA256,
            documentDigests: [
              {
                hashes: [d],
                signature_format: 'P',
                conformance_level: 'AdES-B-B',
                signAlgo: ES256,
              },
            ],
          },
          bearer,
        );
        assert.equal(r.status, 200, JSON.stringify(r.body));
        const signer = r.body['signet_key'] as { serialNumber: string; certificates: string[] };
        docSigners.add(signer.serialNumber);
        writeFileSync(
          join(dir, `doc-${i}.cms`),
          Buffer.from((r.body['SignatureObject'] as string[])[0] as string, 'base64'),
        );
        writeFileSync(join(dir, `doc-${i}.txt`), contents[i] as Buffer);
        const v = runTool('openssl', [
          'cms',
          '-verify',
          '-binary',
          '-inform',
          'DER',
          '-in',
          join(dir, `doc-${i}.cms`),
          '-content',
          join(dir, `doc-${i}.txt`),
          '-noverify',
          '-certsout',
          join(dir, `doc-${i}.pem`),
          '-out',
          join(dir, `doc-${i}.out`),
        ]);
        assert.equal(v.status, 0, v.stderr);
        const inCms = readFileSync(join(dir, `doc-${i}.pem`), 'utf8');
        const leaf = new X509Certificate(Buffer.from(signer.certificates[0] as string, 'base64'));
        assert.ok(
          inCms.includes(leaf.toString().trim().split('\n').slice(1, -1).join('\n')),
          'the CMS carries the certificate the answer names',
        );
      }
      assert.equal(docSigners.size, 2, 'signDoc spreads over both keys');

      const types = (
        await node.services.store.db.selectFrom('audit_log').select('event_type').execute()
      ).map((r) => r.event_type);
      for (const type of ['credential.create', 'credential.key.add', 'admin.credential.add_key'])
        assert.ok(types.includes(type), `${type} audited`);
      assert.equal((await verifyAuditStore(node.services.store, node.services.auditKey)).ok, true);
    });
  });
}
