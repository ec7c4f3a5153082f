/**
 * The client side of the SIGKILL soaks (docs/security.md FLT-01, FLT-02): a seeded generator, the
 * requests it records (value, SAD, hashes, Idempotency-Key), the CSC POST it retries with, and the
 * invariants checked afterwards on the delivered signatures and in the database.
 */
import assert from 'node:assert/strict';
import { createHash, verify, type KeyObject } from 'node:crypto';
import { decodeBase32, generateTotp } from '../../../src/auth/index.js';
import type { Db } from '../../../src/store/index.js';
import { main } from '../../../src/cli/main.js';
import type { ServeProcess } from './serve-process.js';
import { captureIo } from './server-fixture.js';

export const SHA256 = '2.16.840.1.101.3.4.2.1';
export const ES256 = '1.2.840.10045.4.3.2';

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
export { seededRandom } from '../../support/seeded-random.js';

/** The demo account `signet serve --demo` writes. */
export interface Demo {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string;
  readonly pin: string;
  readonly credentialID: string;
}

/** One signHash request of the workload and what the client got for it. */
export interface WorkloadRequest {
  readonly key: string;
  readonly sad: string;
  readonly preimages: readonly string[];
  readonly hashes: readonly string[];
  signatures?: readonly string[];
  attempts: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** POST /csc/v2/<op> with a 10 s bound; the JSON answer. */
export async function post(url: string, op: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${url}/csc/v2/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json() };
}

/** Resolves when the server process has exited. */
export async function exited(server: ServeProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  await new Promise((resolve) => server.child.once('exit', resolve));
}

/** Every request completed; every signature verifies; no hash was delivered with two values. */
export function assertDelivered(requests: readonly WorkloadRequest[], publicKey: KeyObject): void {
  const delivered = new Map<string, string>();
  for (const r of requests) {
    assert.ok(r.signatures !== undefined, `${r.key} completed`);
    assert.equal(r.signatures.length, r.hashes.length);
    for (const [i, p] of r.preimages.entries()) {
      const sig = r.signatures[i] as string;
      assert.ok(verify('sha256', Buffer.from(p), { key: publicKey, dsaEncoding: 'der' }, Buffer.from(sig, 'base64')), `${r.key}[${i}] verifies`);
      const hash = r.hashes[i] as string;
      assert.ok(!delivered.has(hash) || delivered.get(hash) === sig, `hash ${hash} delivered once`);
      delivered.set(hash, sig);
    }
  }
}

/** One signing.completed entry per request, listing its hashes; the one SAD spent exactly (n of n, each hash once). */
export async function assertRecorded(db: Db, requests: readonly WorkloadRequest[], perSad: number): Promise<void> {
  const completed = await db.selectFrom('audit_log').select('details').where('event_type', '=', 'signing.completed').execute();
  const byKey = new Map<string, string[][]>();
  for (const row of completed) {
    const d = JSON.parse(row.details) as { idempotencyKey: string; hashes: string[] };
    byKey.set(d.idempotencyKey, [...(byKey.get(d.idempotencyKey) ?? []), d.hashes]);
  }
  for (const r of requests) assert.deepEqual(byKey.get(r.key), [[...r.hashes].sort()], `one completion entry for ${r.key}`);
  const sads = await db.selectFrom('sads').select(['num_signatures', 'remaining']).execute();
  assert.deepEqual(sads.map((s) => [Number(s.num_signatures), Number(s.remaining)]), [[perSad, 0]]);
  const used = await db.selectFrom('sad_hashes').select('used').execute();
  assert.equal(used.filter((u) => Number(u.used) === 1).length, perSad);
}

/** `signet audit verify --data dir` exits 0, on PostgreSQL when `databaseUrl` is given, else the SQLite file. */
export async function assertAuditVerifies(dataDir: string, databaseUrl?: string): Promise<void> {
  const io = captureIo();
  const saved = process.env['DATABASE_URL'];
  if (databaseUrl === undefined) delete process.env['DATABASE_URL'];
  else process.env['DATABASE_URL'] = databaseUrl;
  try {
    assert.equal(await main(['audit', 'verify', '--data', dataDir], io), 0, io.stderr.text + io.stdout.text);
  } finally {
    if (saved === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved;
  }
}

/**
 * One SAD for `perSad` fresh hashes (PIN + TOTP; a code of the previous step may already be used,
 * so the next step is tried too), split into requests of `perRequest` hashes keyed `<label>-<n>`.
 */
export async function authorizeWorkload(
  url: string,
  bearer: string,
  demo: Demo,
  options: { readonly label: string; readonly seed: number; readonly perSad: number; readonly perRequest: number },
): Promise<WorkloadRequest[]> {
  const { label, seed, perSad, perRequest } = options;
  const secret = decodeBase32(demo.totpSecret);
  const preimages = Array.from({ length: perSad }, (_, i) => `${label}-${seed}-${i}`);
  const hashes = preimages.map((p) => createHash('sha256').update(p).digest('base64'));
  let sad: string | undefined;
  for (const when of [Date.now(), Date.now() + 30_000]) {
    const auth = await post(url, 'credentials/authorize', {
      credentialID: demo.credentialID,
      numSignatures: perSad,
      hashes,
      hashAlgorithmOID: SHA256,
      authData: [
        { id: 'PIN', value: demo.pin },
        { id: 'OTP', value: generateTotp(secret, new Date(when)) },
      ],
    }, { authorization: bearer });
    if (auth.status === 200) {
      sad = auth.body.SAD as string;
      break;
    }
    assert.equal(auth.body.error, 'invalid_authentication_data', JSON.stringify(auth.body));
  }
  assert.ok(sad !== undefined, 'authorized');
  const requests: WorkloadRequest[] = [];
  for (let i = 0; i < perSad; i += perRequest) {
    requests.push({ key: `${label}-${i / perRequest}`, sad, preimages: preimages.slice(i, i + perRequest), hashes: hashes.slice(i, i + perRequest), attempts: 0 });
  }
  return requests;
}
