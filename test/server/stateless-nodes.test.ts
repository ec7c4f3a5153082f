/**
 * Issue 16 §1 done-test: two `signet serve` processes on one PostgreSQL database with separate,
 * EMPTY data directories and one KEK file outside both. Everything but the KEK comes from the
 * database: the credential made on A (the demo account) signs on B, B's restored CA files chain
 * it (openssl verify), its signature verifies (openssl pkeyutl); a key made unreadable in the
 * database is refused before the SAD is consumed on both nodes, and the same SAD signs once the
 * key is back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import type { DemoAccount } from '../../src/server/demo.js';
import { connectStore } from '../../src/store/index.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { post, SHA256, ES256 } from './support/csc-nodes.js';
import { serverEnv } from './support/server-fixture.js';
import { startServe } from './support/serve-process.js';

const pem = (b64: string): string => `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;

describe('issue 16: nodes that share nothing but the database', () => {
  it('postgres: A and B with empty data directories and one KEK file; a credential made on A signs on B; an unreadable key fails before consumption and the SAD signs after the fix', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const env = await serverEnv(t, 'postgres');
    if (!env) return;
    const root = tempDir(t);
    const kekFile = join(root, 'kek.hex');
    writeFileSync(kekFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const dataA = join(root, 'a');
    const dataB = join(root, 'b');
    const nodeEnv = (id: string) => ({ ...env.env, SIGNET_KEK_FILE: kekFile, SIGNET_NODE_ID: id, SIGNET_FAILED_REQUESTS_PER_MINUTE: '0' });
    const a = await startServe(['--data', dataA, '--demo'], nodeEnv('node-a'));
    t.after(() => a.stop());
    const b = await startServe(['--data', dataB], nodeEnv('node-b'));
    t.after(() => b.stop());
    // B kept nothing of its own: no KEK, no secrets, no key files; the CA's public files restored.
    assert.deepEqual(readdirSync(dataB).filter((n) => !['bootstrap.lock'].includes(n)).sort(), ['ca']);
    assert.deepEqual(readdirSync(join(dataB, 'ca')).filter((n) => n.endsWith('.key.json') || n === 'keys'), []);
    assert.deepEqual(readFileSync(join(dataB, 'ca', 'root.pem')), readFileSync(join(dataA, 'ca', 'root.pem')));

    const demo = JSON.parse(readFileSync(join(dataA, 'demo.json'), 'utf8')) as DemoAccount;
    const login = await post(b, 'auth/login', {}, `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const bearer = `Bearer ${login.body['access_token'] as string}`;
    const info = await post(b, 'credentials/info', { credentialID: demo.credentialID, certInfo: true, certificates: 'chain' }, bearer);
    assert.equal(info.status, 200, JSON.stringify(info.body));
    const dir = tempDir(t);
    writeFileSync(join(dir, 'leaf.pem'), pem((info.body['cert']['certificates'] as string[])[0] as string));
    const chained = runTool('openssl', ['verify', '-CAfile', join(dataB, 'ca', 'root.pem'), '-untrusted', join(dataB, 'ca', 'issuing.pem'), join(dir, 'leaf.pem')]);
    assert.equal(chained.status, 0, chained.stderr + chained.stdout);
    const pub = runTool('openssl', ['x509', '-in', join(dir, 'leaf.pem'), '-pubkey', '-noout', '-out', join(dir, 'pub.pem')]);
    assert.equal(pub.status, 0, pub.stderr);
    const verifies = (hashB64: string, sigB64: string, name: string): void => {
      writeFileSync(join(dir, `${name}.bin`), Buffer.from(hashB64, 'base64'));
      writeFileSync(join(dir, `${name}.sig`), Buffer.from(sigB64, 'base64'));
      const r = runTool('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-in', join(dir, `${name}.bin`), '-sigfile', join(dir, `${name}.sig`)]);
      assert.equal(r.status, 0, `${name}: ${r.stderr}${r.stdout}`);
    };

    const hashes = ['signed on B', 'after the fix'].map((s) => createHash('sha256').update(s).digest('base64'));
    const authorized = await post(b, 'credentials/authorize', {
      credentialID: demo.credentialID, numSignatures: 2, hashes, hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: demo.pin }, { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) }],
    }, bearer);
    assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
    const SAD = authorized.body['SAD'] as string;
    const signHash = (node: { url: string }, hash: string) =>
      post(node, 'signatures/signHash', { credentialID: demo.credentialID, SAD, hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer);
    const first = await signHash(b, hashes[0] as string);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    verifies(hashes[0] as string, (first.body['signatures'] as string[])[0] as string, 'first');

    // The key made unreadable: its data key no longer opens under the KEK (a byte of the wrapped
    // data key changed, as a bad restore or a wrong KEK would leave it).
    const store = await connectStore({ kind: 'postgres', url: env.databaseUrl as string });
    t.after(() => store.close());
    const credential = await store.db.selectFrom('credentials').select('key_ref').where('id', '=', demo.credentialID).executeTakeFirstOrThrow();
    const row = await store.db.selectFrom('wrapped_keys').select(['envelope', 'stamp']).where('keystore', '=', 'credentials').where('ref', '=', credential.key_ref).executeTakeFirstOrThrow();
    const envelope = JSON.parse(Buffer.from(row.envelope).toString('utf8')) as { dataKey: { ciphertext: string } };
    const wrapped = Buffer.from(envelope.dataKey.ciphertext, 'base64');
    wrapped[0] = (wrapped[0] as number) ^ 1;
    envelope.dataKey.ciphertext = wrapped.toString('base64');
    const broken = new TextEncoder().encode(JSON.stringify(envelope));
    await store.db.updateTable('wrapped_keys').set({ envelope: broken, stamp: 'broken' }).where('keystore', '=', 'credentials').where('ref', '=', credential.key_ref).execute();
    for (const node of [b, a]) {
      const refused = await signHash(node, hashes[1] as string);
      assert.deepEqual([refused.status, refused.body], [503, { error: 'temporarily_unavailable', error_description: 'The signing key is not available; the authorization was not used' }]);
    }
    const consumed = await store.db.selectFrom('audit_log').select('details').where('event_type', '=', 'sad.consume').where('outcome', '=', 'success').execute();
    assert.equal(consumed.length, 1, 'only the first signature consumed the SAD');

    // Fixed: the same SAD signs the second hash, on B.
    await store.db.updateTable('wrapped_keys').set({ envelope: row.envelope, stamp: row.stamp }).where('keystore', '=', 'credentials').where('ref', '=', credential.key_ref).execute();
    const second = await signHash(b, hashes[1] as string);
    assert.equal(second.status, 200, JSON.stringify(second.body));
    verifies(hashes[1] as string, (second.body['signatures'] as string[])[0] as string, 'second');
    assert.equal(existsSync(join(dataB, 'kek')), false);
  });
});
