/**
 * docs/security.md FLT-15: clock skew between nodes. Node B runs 15 minutes ahead (libfaketime on its
 * process, its HTTP Date header shows it); node A is on time; both share one PostgreSQL. Every
 * time Signet decides or writes follows the database's clock (store/database-clock.ts): a SAD
 * authorised on A (lifetime 300 s) still signs on B, B's TSA stamps the true time, and B's audit
 * entries carry it. With B's own clock the SAD would be 10 minutes past its expiry there.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { TimestampClient } from '../../src/pki/index.js';
import type { DemoAccount } from '../../src/server/demo.js';
import { requireTools } from '../support/tools.js';
import { ES256, SHA256, post } from './support/csc-nodes.js';
import { openServices, serverEnv } from './support/server-fixture.js';
import { startServe } from './support/serve-process.js';

const libfaketime = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const skewSeconds = 900;
/** How far from the test's own clock a time the nodes give may be (the machine may be loaded). */
const toleranceMs = 120_000;

describe('docs/security.md FLT-15: clock skew between nodes (PostgreSQL)', () => {
  it(`node B ${skewSeconds / 60} min ahead decides expiries and writes times by the database's clock, as node A does`, async (t) => {
    if (!requireTools(t, 'faketime')) return;
    const env = await serverEnv(t, 'postgres');
    if (!env) return;
    const a = await startServe(['--data', env.dataDir, '--demo'], { ...env.env, SIGNET_NODE_ID: 'node-a' });
    t.after(() => a.stop());
    const b = await startServe(['--data', env.dataDir], { ...env.env, SIGNET_NODE_ID: 'node-b', LD_PRELOAD: libfaketime, FAKETIME: `+${skewSeconds}s` });
    t.after(() => b.stop());

    // B's wall clock really is ahead: Node writes the HTTP Date header from it.
    const dateOf = async (url: string): Promise<number> => Date.parse((await fetch(`${url}/health/live`)).headers.get('date') ?? '');
    const skew = (await dateOf(b.url)) - (await dateOf(a.url));
    assert.ok(Math.abs(skew - skewSeconds * 1000) < toleranceMs, `node B's own clock is ${skew} ms ahead`);

    // A SAD authorised on A (expires 300 s after A's database time) signs on B.
    const demo = JSON.parse(readFileSync(join(env.dataDir, 'demo.json'), 'utf8')) as DemoAccount;
    const basic = `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`;
    const login = await post(a, 'auth/login', {}, basic);
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const bearer = `Bearer ${login.body['access_token'] as string}`;
    const hash = createHash('sha256').update('flt-15').digest('base64');
    const authorized = await post(a, 'credentials/authorize', {
      credentialID: demo.credentialID, numSignatures: 1, hashes: [hash], hashAlgorithmOID: SHA256,
      authData: [{ id: 'PIN', value: demo.pin }, { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) }],
    }, bearer);
    assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
    assert.ok((authorized.body['expiresIn'] as number) < skewSeconds, 'with B\'s own clock the SAD would be expired there');
    const signed = await post(b, 'signatures/signHash', { credentialID: demo.credentialID, SAD: authorized.body['SAD'], hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer);
    assert.equal(signed.status, 200, JSON.stringify(signed.body));

    // B's TSA stamps the true time, and B's audit entries carry it.
    const { genTime } = await new TimestampClient({ url: `${b.url}/pki/tsa` }).timestampDigest(createHash('sha256').update('when').digest(), 'SHA-256');
    assert.ok(Math.abs(genTime.getTime() - Date.now()) < toleranceMs, `B's genTime ${genTime.toISOString()}`);
    const services = await openServices(t, env);
    const rows = await services.store.db.selectFrom('audit_log').select(['occurred_at', 'event_type']).where('node_id', '=', 'node-b').execute();
    assert.ok(rows.some((r) => r.event_type === 'sad.consume'), 'B audited the consumption');
    for (const r of rows) assert.ok(Math.abs(Number(r.occurred_at) - Date.now()) < toleranceMs, `${r.event_type} at ${new Date(Number(r.occurred_at)).toISOString()}`);
  });
});
