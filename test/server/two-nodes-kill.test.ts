/**
 * docs/security.md FLT-01: two nodes on one PostgreSQL — node A a real `signet serve` child process,
 * node B in this process — under a signHash workload sent round-robin with Idempotency-Keys. A is
 * killed with SIGKILL (at one of the four fault points through SIGNET_FAULT_HOOKS, or at a random
 * moment); the client retries every unacknowledged request with its key on the survivor B, whose
 * sweeper abandons what A left in flight. Invariants: every request completes; every acknowledged
 * signature verifies and has one `signing.completed` entry; a resent request gets the same values;
 * per SAD at most n consumed; `signet audit verify` exits 0. Default: two kill runs (A restarted
 * between them); SIGNET_FLT01_RUNS=N for the soak (≥ 10), SIGNET_FLT01_SEED to replay.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signingFaultPoints, type SigningFaultPoint } from '../../src/csc/index.js';
import { buildServer } from '../../src/server/index.js';
import { loadSigningConfig } from '../../src/server/signing-config.js';
import { credentialOperationsFor, serverSurfaces } from '../../src/server/surfaces.js';
import { connectStore } from '../../src/store/index.js';
import { startServe, type ServeProcess } from './support/serve-process.js';
import { openServices, serverEnv } from './support/server-fixture.js';
import { ES256, SHA256, assertAuditVerifies, authorizeWorkload, assertDelivered, assertRecorded, exited, post, seededRandom, sleep, type Demo, type WorkloadRequest } from './support/kill-workload.js';

const runs = Number(process.env['SIGNET_FLT01_RUNS'] ?? 2);
const seed = Number(process.env['SIGNET_FLT01_SEED'] ?? 20261124);

/** A node the client can reach while `up()`. */
interface Node {
  readonly url: string;
  up(): boolean;
}

/**
 * Sends `req` round-robin over the nodes that are up until it is acknowledged; a node that does
 * not answer is dropped from the rotation (the client retries on the other, same key).
 */
async function drive(nodes: Node[], req: WorkloadRequest, bearer: string, credentialID: string, deadline: number): Promise<void> {
  let turn = Number(req.key.split('-')[1]);
  while (Date.now() < deadline) {
    const up = nodes.filter((n) => n.up());
    const node = up[turn++ % up.length] as Node;
    let answer: { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      req.attempts++;
      answer = await post(node.url, 'signatures/signHash', { credentialID, SAD: req.sad, hashes: req.hashes, hashAlgorithmOID: SHA256, signAlgo: ES256 }, { authorization: bearer, 'idempotency-key': req.key });
    } catch {
      await sleep(20);
      continue;
    }
    if (answer.status === 200) {
      req.signatures = answer.body.signatures as string[];
      return;
    }
    // 409: the first attempt is in flight until the sweeper abandons it; 500: the attempt failed.
    assert.ok(answer.status === 409 || answer.status === 500, `retriable answer for ${req.key}: ${answer.status} ${JSON.stringify(answer.body)}`);
    await sleep(50);
  }
  throw new Error(`request ${req.key} did not complete in time`);
}

describe('docs/security.md FLT-01 SIGKILL of one of two nodes on PostgreSQL', () => {
  it(`${runs} kill run(s) (seed ${seed}): the survivor completes every request with the same keys; the invariants hold`, async (t) => {
    const env = await serverEnv(t, 'postgres');
    if (env === undefined) return;
    const url = env.databaseUrl as string;
    const next = seededRandom(seed);
    const shared = { SIGNET_SIGNING_ABANDON_AFTER_MS: '400', SIGNET_SIGNING_SWEEP_INTERVAL_MS: '100', SIGNET_FAILED_REQUESTS_PER_MINUTE: '0' };
    const children: ServeProcess[] = [];
    t.after(() => {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    });
    const faults = Array.from({ length: runs }, () => signingFaultPoints[Math.floor(next() * (signingFaultPoints.length + 1))]);
    const startA = async (fault: SigningFaultPoint | undefined): Promise<ServeProcess> => {
      const a = await startServe(['--data', env.dataDir, '--demo'], {
        ...shared,
        DATABASE_URL: url,
        SIGNET_NODE_ID: 'A',
        SIGNET_LOG_LEVEL: 'warn',
        ...(fault === undefined ? {} : { SIGNET_TEST_MODE: '1', SIGNET_FAULT_HOOKS: `${fault}=kill` }),
      });
      children.push(a);
      return a;
    };
    let a = await startA(faults[0]);
    // Node B: the same data directory and database, built as signet serve builds it, in process.
    const services = await openServices(t, { ...env, env: { ...env.env, ...shared, SIGNET_NODE_ID: 'B' } }, { credentials: credentialOperationsFor });
    const appB = await buildServer(services, { surfaces: serverSurfaces(services, loadSigningConfig(shared)) });
    t.after(() => appB.close());
    await appB.listen({ port: 0, host: '127.0.0.1' });
    const b: Node = { url: `http://127.0.0.1:${(appB.server.address() as { port: number }).port}`, up: () => true };
    services.baseUrl.set(b.url);
    const nodeA = (p: ServeProcess): Node => ({ url: p.url, up: () => p.child.exitCode === null && p.child.signalCode === null });

    const demo = JSON.parse(readFileSync(join(env.dataDir, 'demo.json'), 'utf8')) as Demo;
    const login = await post(b.url, 'auth/login', {}, { authorization: `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}` });
    assert.equal(login.status, 200);
    const bearer = `Bearer ${login.body.access_token as string}`;
    const info = await post(b.url, 'credentials/info', { credentialID: demo.credentialID, certificates: 'single' }, { authorization: bearer });
    const publicKey = new X509Certificate(Buffer.from(info.body.cert.certificates[0] as string, 'base64')).publicKey;

    // One SAD for the workload (one TOTP step per authorization, RFC 6238 §5.2).
    const perRequest = 2;
    // The demo credential's multisign (100) bounds one SAD: fewer requests per run in a long soak.
    const perRun = Math.max(1, Math.min(6, Math.floor(100 / (runs * perRequest))));
    const perSad = perRun * runs * perRequest;
    const requests = await authorizeWorkload(b.url, bearer, demo, { label: 'flt01', seed, perSad, perRequest });

    const killLog: string[] = [];
    for (let run = 0; run < runs; run++) {
      if (run > 0) a = await startA(faults[run]);
      const batch = requests.slice(run * perRun, (run + 1) * perRun);
      const fault = faults[run];
      let timer: NodeJS.Timeout | undefined;
      if (fault === undefined) {
        const delay = Math.floor(next() * 150);
        const victim = a;
        timer = setTimeout(() => victim.child.kill('SIGKILL'), delay);
        killLog.push(`run ${run}: SIGKILL after ${delay} ms`);
      } else {
        killLog.push(`run ${run}: ${fault}=kill`);
      }
      const nodes = [nodeA(a), b];
      await Promise.all(batch.map((r) => drive(nodes, r, bearer, demo.credentialID, Date.now() + 20_000)));
      clearTimeout(timer);
      if (nodeA(a).up()) a.child.kill('SIGKILL');
      await exited(a);
    }
    t.diagnostic(`${killLog.join('; ')}; attempts ${requests.reduce((n, r) => n + r.attempts, 0)} for ${requests.length} requests`);

    // Resent requests get the very signatures delivered before (SAD-07 across nodes).
    for (const r of requests.filter((_, i) => i % 4 === 0)) {
      const again = await post(b.url, 'signatures/signHash', { credentialID: demo.credentialID, SAD: r.sad, hashes: r.hashes, hashAlgorithmOID: SHA256, signAlgo: ES256 }, { authorization: bearer, 'idempotency-key': r.key });
      assert.deepEqual([again.status, again.body.signatures], [200, r.signatures], `replay of ${r.key}`);
    }
    assertDelivered(requests, publicKey);
    const store = await connectStore({ kind: 'postgres', url });
    try {
      await assertRecorded(store.db, requests, perSad);
    } finally {
      await store.close();
    }
    await assertAuditVerifies(env.dataDir, url);
  });
});
