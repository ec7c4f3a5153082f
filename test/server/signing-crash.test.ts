/**
 * docs/security.md FLT-02: a real `signet serve` child process on SQLite, killed with SIGKILL under a
 * signHash workload sent with Idempotency-Keys — at one of the four fault points (SIGNET_FAULT_HOOKS
 * `<point>=kill`, test mode) or at a random moment — then restarted on the same data directory while
 * the client retries every unacknowledged request with its key. Invariants afterwards: every
 * request completed; every acknowledged signature verifies and has its `signing.completed` entry;
 * no hash was delivered with two different signatures; per SAD at most n consumed; `signet audit
 * verify` exits 0; `PRAGMA integrity_check` is ok. Default: two kills (seeded); SIGNET_FLT02_KILLS=N
 * for the soak (cycling through the four points and random moments), SIGNET_FLT02_SEED to replay.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { signingFaultPoints, type SigningFaultPoint } from '../../src/csc/index.js';
import { connectStore } from '../../src/store/index.js';
import { tempDir } from '../support/tmp.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { ES256, SHA256, assertAuditVerifies, authorizeWorkload, assertDelivered, assertRecorded, exited, post, seededRandom, sleep, type Demo, type WorkloadRequest } from './support/kill-workload.js';

const kills = Number(process.env['SIGNET_FLT02_KILLS'] ?? 2);
const seed = Number(process.env['SIGNET_FLT02_SEED'] ?? 20261123);

/** Sends `req` until it is acknowledged or the server is gone ('down'); 409/500 are retried with the same key. */
async function drive(server: ServeProcess, req: WorkloadRequest, bearer: string, credentialID: string, deadline: number): Promise<'acked' | 'down'> {
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) return 'down';
    let answer: { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      req.attempts++;
      answer = await post(server.url, 'signatures/signHash', { credentialID, SAD: req.sad, hashes: req.hashes, hashAlgorithmOID: SHA256, signAlgo: ES256 }, { authorization: bearer, 'idempotency-key': req.key });
    } catch {
      return 'down';
    }
    if (answer.status === 200) {
      req.signatures = answer.body.signatures as string[];
      return 'acked';
    }
    // 409: the first attempt is in flight until the sweeper abandons it; 500: the attempt failed.
    assert.ok(answer.status === 409 || answer.status === 500, `retriable answer for ${req.key}: ${answer.status} ${JSON.stringify(answer.body)}`);
    await sleep(50);
  }
  throw new Error(`request ${req.key} did not complete in time`);
}

describe('docs/security.md FLT-02 SIGKILL on SQLite (signet serve, idempotent signHash)', () => {
  it(`kills ${kills} time(s) (seed ${seed}) and restarts; the client's retries complete every request; the invariants hold`, async (t) => {
    const next = seededRandom(seed);
    const dataDir = tempDir(t, 'signet-flt02-');
    const baseEnv = {
      SIGNET_SIGNING_ABANDON_AFTER_MS: '400',
      SIGNET_SIGNING_SWEEP_INTERVAL_MS: '100',
      SIGNET_FAILED_REQUESTS_PER_MINUTE: '0',
      SIGNET_LOG_LEVEL: 'warn',
    };
    const servers: ServeProcess[] = [];
    t.after(() => {
      for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    });
    const start = async (env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> => {
      const s = await startServe(['--data', dataDir, '--demo'], { ...baseEnv, ...env });
      servers.push(s);
      return s;
    };

    const lives = kills + 1;
    // Each kill: one of the four fault points (SIGNET_FAULT_HOOKS, test mode), or a random moment.
    const faults = Array.from({ length: lives }, (_, life) =>
      life === lives - 1 ? undefined : signingFaultPoints[Math.floor(next() * (signingFaultPoints.length + 1))],
    );
    const lifeEnv = (fault: SigningFaultPoint | undefined): NodeJS.ProcessEnv =>
      fault === undefined ? {} : { SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: `${fault}=kill` };
    // Set-up calls (login, authorize, info) reach no fault point: the first life starts with its hook.
    let server = await start(lifeEnv(faults[0]));
    const demo = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as Demo;
    const login = await post(server.url, 'auth/login', {}, { authorization: `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}` });
    assert.equal(login.status, 200);
    const bearer = `Bearer ${login.body.access_token as string}`;
    const info = await post(server.url, 'credentials/info', { credentialID: demo.credentialID, certificates: 'single' }, { authorization: bearer });
    const publicKey = new X509Certificate(Buffer.from(info.body.cert.certificates[0] as string, 'base64')).publicKey;

    // One SAD for the whole workload: the demo user's TOTP admits one authorization per step
    // (RFC 6238 §5.2), so the code is the current step's, or the next one's if that one is spent.
    const perRequest = 2;
    // The demo credential's multisign (100) bounds one SAD: fewer requests per life in a long soak.
    const perLife = Math.max(1, Math.min(4, Math.floor(100 / ((kills + 1) * perRequest))));
    const total = perLife * lives;
    const perSad = total * perRequest;
    const requests = await authorizeWorkload(server.url, bearer, demo, { label: 'flt02', seed, perSad, perRequest });

    const killLog: string[] = [];
    let launched = 0;
    for (let life = 0; life < lives; life++) {
      const isLast = life === lives - 1;
      launched = isLast ? requests.length : Math.min(requests.length, launched + perLife);
      const pending = requests.slice(0, launched).filter((r) => r.signatures === undefined);
      const fault = faults[life];
      if (life > 0) server = await start(lifeEnv(fault));
      let timer: NodeJS.Timeout | undefined;
      if (!isLast && fault === undefined) {
        const delay = Math.floor(next() * 150);
        const victim = server;
        timer = setTimeout(() => victim.child.kill('SIGKILL'), delay);
        killLog.push(`life ${life}: SIGKILL after ${delay} ms`);
      } else if (fault !== undefined) {
        killLog.push(`life ${life}: ${fault}=kill`);
      }
      const deadline = Date.now() + 15_000;
      const outcomes = await Promise.all(pending.map((r) => drive(server, r, bearer, demo.credentialID, deadline)));
      clearTimeout(timer);
      if (isLast) {
        assert.ok(outcomes.every((o) => o === 'acked'), 'every request completes once the server stays up');
        // SAD-07 across the restarts: a resent request gets the very signatures delivered before.
        for (const r of requests.filter((_, i) => i % 5 === 0)) {
          const again = await post(server.url, 'signatures/signHash', { credentialID: demo.credentialID, SAD: r.sad, hashes: r.hashes, hashAlgorithmOID: SHA256, signAlgo: ES256 }, { authorization: bearer, 'idempotency-key': r.key });
          assert.deepEqual([again.status, again.body.signatures], [200, r.signatures], `replay of ${r.key}`);
        }
        assert.equal(await server.stop(), 0);
      } else {
        // Whatever remains is retried by the next life; make sure this one is gone.
        if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
        await exited(server);
      }
    }
    t.diagnostic(`${killLog.join('; ')}; attempts ${requests.reduce((n, r) => n + r.attempts, 0)} for ${requests.length} requests`);

    // Every request completed; every acknowledged signature verifies; recorded once; the SAD spent exactly.
    assertDelivered(requests, publicKey);
    const store = await connectStore({ kind: 'sqlite', file: join(dataDir, 'signet.db') });
    try {
      await assertRecorded(store.db, requests, perSad);
      const integrity = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(store.db);
      assert.deepEqual(integrity.rows.map((r) => r.integrity_check), ['ok']);
    } finally {
      await store.close();
    }
    await assertAuditVerifies(dataDir);
  });
});
