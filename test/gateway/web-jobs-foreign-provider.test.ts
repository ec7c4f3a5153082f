/**
 * The web gateway against a CSC provider that shares nothing with it. Node B is a separate
 * `signet serve` process (its own data directory, SQLite database, users, credentials and CA) on
 * 127.0.0.2, with a client registered for node A through `signet admin clients create`. Node A
 * (the gateway and web app, SQLite and PostgreSQL) is configured with B's URL and that client
 * only. A person signed in at A connects to B (service scope: login with password and TOTP at
 * B's pages), sees B's credential — not A's own — signs three PDFs at B-T under one approval at
 * B's consent page (which shows the pushed documents, as B's metadata announces the endpoint),
 * and downloads them: Signet's validator (B's root as the trust anchor) and pdfsig accept them;
 * B's audit shows the signatures, made for A's client; A's database holds no credential of B.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { main } from '../../src/cli/main.js';
import type { DemoAccount } from '../../src/server/demo.js';
import { derToPem } from '../../src/pki/index.js';
import { connectStore } from '../../src/store/index.js';
import { verifyPdfLongTerm, verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsigAsync } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { storeKinds } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { requireTools } from '../support/tools.js';
import { captureIo } from '../server/support/server-fixture.js';
import { startServe } from '../server/support/serve-process.js';
import { Browser, api, approveAt, upload, waitForJob, webJobsEnv } from './support/web-jobs-env.js';

/** `signet admin …` on node B's data directory (in this process, as an operator would run it). */
async function admin(dataDir: string, ...args: string[]): Promise<string> {
  const io = captureIo();
  const saved = process.env['DATABASE_URL'];
  delete process.env['DATABASE_URL'];
  try {
    const code = await main(['admin', ...args, '--data', dataDir], io);
    assert.equal(code, 0, io.stderr.text);
    return io.stdout.text;
  } finally {
    if (saved !== undefined) process.env['DATABASE_URL'] = saved;
  }
}

/**
 * The person at B's authorization server, in B's own browser cookie jar (another host): signs
 * in with password and the one-time code of TOTP step `step` when asked, approves (PIN, and a
 * code of `step` when the consent asks for a fresh factor); returns the redirect to A.
 */
function approveAtB(browser: Browser, demo: DemoAccount, authorizationUrl: string, step: number, onConsent?: (html: string) => void): Promise<string> {
  const otp = generateTotp(decodeBase32(demo.totpSecret), new Date(step * 30_000 + 1_000));
  return approveAt(browser, authorizationUrl, { username: demo.username, password: demo.password, pin: demo.pin, otp: () => otp }, { onConsent });
}

describe('web gateway at a foreign CSC provider (a second signet serve sharing nothing)', () => {
  for (const kind of storeKinds) {
    it(`${kind}: connect to B, B's credentials listed, three PDFs signed at B under one approval, judged by the validator and pdfsig; B audited it, A holds nothing of B`, async (t) => {
      const dirB = join(tempDir(t), 'node-b');
      const b = await startServe(['--data', dirB, '--demo', '--host', '127.0.0.2'], { SIGNET_FAILED_REQUESTS_PER_MINUTE: '0', SIGNET_LOG_LEVEL: 'warn' });
      t.after(() => b.stop());
      assert.match(b.url, /^http:\/\/127\.0\.0\.2:\d+$/);
      const demo = JSON.parse(readFileSync(join(dirB, 'demo.json'), 'utf8')) as DemoAccount;
      // B's operator registers A's gateway (RFC 8252 §7.3: a loopback redirect matches any port).
      const created = JSON.parse(
        await admin(dirB, 'clients', 'create', '--name', 'Gateway A', '--client-id', 'gateway-a', '--redirect-uri', 'http://127.0.0.1/api/v1/oauth/callback', '--scope', 'service', '--scope', 'credential', '--json'),
      ) as { clientId: string; clientSecret: string };
      assert.equal(created.clientId, 'gateway-a');

      const env = await webJobsEnv(t, kind, { providerUrl: b.url, foreign: { name: 'Provider B', clientId: 'gateway-a', clientSecret: created.clientSecret } });
      if (!env) return;
      const browserA = await env.signIn(await env.addSigner('alice'));
      const browserB = new Browser();
      let step = Math.floor(Date.now() / 30_000);

      // Not connected yet: the web app is told to connect; no credential of A's own is offered.
      assert.deepEqual((await api(browserA, env.node, 'GET', '/provider')).body, { name: 'Provider B', foreign: true, connected: false });
      const before = await api(browserA, env.node, 'GET', '/me/credentials');
      assert.equal(before.status, 409, JSON.stringify(before.body));
      assert.equal(before.body['error'], 'ERR_GATEWAY_PROVIDER_NOT_CONNECTED');

      // Connect: scope service at B, pushed (RFC 9126), PKCE; the token stays at A.
      const connect = await api(browserA, env.node, 'POST', '/provider/connect');
      assert.equal(connect.status, 200, JSON.stringify(connect.body));
      const connectUrl = new URL(connect.body['authorizationUrl'] as string);
      assert.equal(connectUrl.origin, b.url);
      assert.deepEqual([...connectUrl.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      const connected = await browserA.request(await approveAtB(browserB, demo, connectUrl.toString(), step));
      assert.equal(connected.status, 303, await connected.text());
      assert.equal(connected.headers.get('location'), '/sign?connected=1');
      assert.deepEqual((await api(browserA, env.node, 'GET', '/provider')).body, { name: 'Provider B', foreign: true, connected: true });
      const credentials = await api<Record<string, unknown>[]>(browserA, env.node, 'GET', '/me/credentials');
      assert.equal(credentials.status, 200, JSON.stringify(credentials.body));
      assert.deepEqual(credentials.body.map((c) => [c['credentialID'], c['status']]), [[demo.credentialID, 'active']]);
      assert.equal(credentials.body[0]?.['algorithm'], 'EC P-256', 'the demo credential, by its NIST curve name');

      const jobId = (await api(browserA, env.node, 'POST', '/jobs', { credentialID: demo.credentialID, level: 'B-T', reason: 'Signed at B' })).body['id'] as string;
      const names = ['one.pdf', 'two.pdf', 'three.pdf'];
      const docs: string[] = [];
      for (const [i, name] of names.entries()) {
        const r = await upload(browserA, env.node, jobId, name, makeBasePdf({ text: `Foreign ${i}` }));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        docs.push(r.body['id'] as string);
      }
      const sign = await api(browserA, env.node, 'POST', `/jobs/${jobId}/sign`);
      assert.equal(sign.status, 200, JSON.stringify(sign.body));
      const signUrl = new URL(sign.body['authorizationUrl'] as string);
      assert.equal(signUrl.origin, b.url);
      assert.equal(signUrl.searchParams.get('client_id'), 'gateway-a');
      let consent = '';
      // The next TOTP step (RFC 6238 §5.2: a step is used once; B accepts one step of drift).
      step += 1;
      const callback = await approveAtB(browserB, demo, signUrl.toString(), step, (html) => (consent = html));
      for (const name of names) assert.ok(consent.includes(name), `B's consent page shows ${name}`);
      const back = await browserA.request(callback);
      assert.equal(back.status, 303, await back.text());
      assert.equal(back.headers.get('location'), `/jobs/${jobId}`);
      // The connection's response cannot be replayed either.
      const replay = await browserA.request(callback, { headers: { accept: 'application/json' } });
      assert.equal(replay.status, 400);
      const done = await waitForJob(browserA, env.node, jobId, (j) => j['state'] === 'done' || j['state'] === 'failed');
      assert.deepEqual([done['state'], done['signed'], done['failed']], ['done', 3, 0], JSON.stringify(done));

      const rootB = new Uint8Array(await (await fetch(`${b.url}/pki/ca/root.cer`)).arrayBuffer());
      const dir = tempDir(t);
      const files: string[] = [];
      for (const [i, id] of docs.entries()) {
        const res = await browserA.request(`${env.node.url}/api/v1/jobs/${jobId}/documents/${id}/signed`);
        assert.equal(res.status, 200);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const report = verifyPdfSignatures(bytes, { trustAnchors: [rootB] });
        assert.equal(report.signatures.length, 1);
        assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
        assert.equal(verifyPdfLongTerm(bytes, { trustAnchors: [rootB] }).signatures[0]?.level, 'B-T', 'a signature-time-stamp from B\'s TSA');
        const path = join(dir, `signed-${i}.pdf`);
        writeFileSync(path, bytes);
        files.push(path);
      }

      // B's audit: the three hashes signed with B's credential for A's client.
      const storeB = await connectStore({ kind: 'sqlite', file: join(dirB, 'signet.db') });
      try {
        const signed = await storeB.db.selectFrom('audit_log').selectAll().where('event_type', '=', 'signing.completed').execute();
        assert.equal(signed.length, 1, 'one signHash chunk');
        assert.equal(signed[0]?.subject, `credential:${demo.credentialID}`);
        assert.equal(signed[0]?.actor_client_id, 'gateway-a');
        assert.equal((JSON.parse(signed[0]?.details ?? '{}') as { hashes: string[] }).hashes.length, 3);
      } finally {
        await storeB.close();
      }
      // A's database: no credential, key or client of B; only the public chain kept with the job.
      const db = env.node.services.store.db;
      assert.equal((await db.selectFrom('credentials').select('id').where('id', '=', demo.credentialID).execute()).length, 0);
      assert.equal((await db.selectFrom('oauth_clients').select('id').where('id', 'in', ['gateway-a', 'signet-web']).execute()).length, 0);
      const job = await db.selectFrom('gateway_jobs').select(['credential_id', 'provider_credential']).where('id', '=', jobId).executeTakeFirstOrThrow();
      assert.equal(job.credential_id, demo.credentialID);
      const kept = JSON.parse(job.provider_credential ?? '{}') as { cert?: { certificates?: string[] } };
      assert.ok((kept.cert?.certificates?.length ?? 0) >= 2, 'the chain read from B at Sign');

      // Sign-out at A ends the connection: the service token is revoked at B and forgotten at A.
      const liveServiceTokensAtB = async (): Promise<number> => {
        const store = await connectStore({ kind: 'sqlite', file: join(dirB, 'signet.db') });
        try {
          const rows = await store.db.selectFrom('tokens').select('token_hash').where('kind', '=', 'access').where('client_id', '=', 'gateway-a').where('scope', 'like', '%service%').where('revoked', '=', 0).where('expires_at', '>', Date.now()).execute();
          return rows.length;
        } finally {
          await store.close();
        }
      };
      assert.ok((await liveServiceTokensAtB()) >= 1, 'B holds the live service token of the connection');
      assert.equal((await api(browserA, env.node, 'DELETE', '/session')).status, 204);
      for (let i = 0; i < 200 && (await db.selectFrom('gateway_provider_sessions').select('session_id').execute()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal((await db.selectFrom('gateway_provider_sessions').select('session_id').execute()).length, 0, 'A forgot the service token');
      const disconnected = await db.selectFrom('audit_log').selectAll().where('event_type', '=', 'gateway.provider.disconnected').execute();
      assert.equal(disconnected.length, 1);
      assert.deepEqual(JSON.parse(disconnected[0]?.details ?? '{}'), { reason: 'session-ended', revokedAtProvider: true });
      assert.equal(await liveServiceTokensAtB(), 0, 'B revoked the service token');

      if (!requireTools(t, 'pdfsig', 'certutil')) return;
      const nss = makeNssDb(dir, derToPem(rootB, 'CERTIFICATE'));
      for (const path of files) {
        const sigs = await pdfsigAsync(path, nss);
        assert.equal(sigs.length, 1);
        assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
      }
    });
  }
});
