/**
 * Issue 19, the signHash hot path: the SQL statements one one-hash signHash runs, as a budget — on
 * SQLite each costs 10–50 µs plus the driver's bookkeeping and most of them pages for the commit
 * to write; on PostgreSQL each is a round trip. A new one on this path should be a decision, not an
 * accident. The list is printed when it changes. (The harness keeps its keys in files and signs no
 * receipts: under signet serve the keystore's stamp read and the batch receipt's insert add one
 * statement each, bench/csc.bench.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { oids } from '../../src/cms/index.js';
import type { Store } from '../../src/store/index.js';
import { logEntryLeafHash } from '../../src/transparency/index.js';
import { requireStore, testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const hashOf = (s: string): string => createHash('sha256').update(s).digest('base64');

/** Records the SQL of every statement better-sqlite3 or pg runs in this process while `log` is set. */
function recordStatements(): { start(): void; stop(): string[] } {
  let log: string[] | undefined;
  const probe = new BetterSqlite3(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = prototype[method] as (...args: unknown[]) => unknown;
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      log?.push(this.source);
      return original.apply(this, args);
    };
  }
  // node-postgres: every statement, transaction control included, is one Client#query (one round trip).
  const client = pg.Client.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const query = client['query'] as (...args: unknown[]) => unknown;
  client['query'] = function (this: unknown, ...args: unknown[]) {
    const config = args[0];
    log?.push(typeof config === 'string' ? config : String((config as { text?: unknown } | null)?.text ?? '?'));
    return query.apply(this, args);
  };
  return {
    start: () => {
      log = [];
    },
    stop: () => {
      const out = log ?? [];
      log = undefined;
      return out;
    },
  };
}

const recorder = recordStatements();

/** `select … from "credentials" …` → 'select credentials'; enough to name a statement. */
function shape(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';
  const table = /(?:from|into|update)\s+"(\w+)"/i.exec(sql)?.[1];
  return table === undefined ? verb : `${verb} ${table}`;
}

/** The statements of the third one-hash signHash on one SAD (the first two fill the caches). */
async function statementsOfOneHash(t: Parameters<typeof cscHarness>[0], store: Store): Promise<string[]> {
  const h = await cscHarness(t, store);
  const user = await h.createUser('stella');
  const credentialID = await h.createCredential(user, { pin: '13579', multisign: 10 });
  const token = await h.login('v2', user);
  const hashes = ['s1', 's2', 's3'].map(hashOf);
  const auth = await h.call('v2', 'credentials/authorize', { credentialID, numSignatures: 3, hashes, hashAlgorithmOID: SHA256, authData: [{ id: 'PIN', value: '13579' }, { id: 'OTP', value: h.nextOtp(user) }] }, { bearer: token });
  assert.equal(auth.status, 200, JSON.stringify(auth.body));
  const sign = (hash: string) => h.call('v2', 'signatures/signHash', { credentialID, SAD: auth.body.SAD, hashes: [hash], signAlgo: oids.ecdsa_with_SHA256 }, { bearer: token });
  // The first calls fill the caches (certificate, key, batch tree); the third is the steady state.
  assert.equal((await sign(hashes[0] as string)).status, 200);
  assert.equal((await sign(hashes[1] as string)).status, 200);
  recorder.start();
  const third = await sign(hashes[2] as string);
  const statements = recorder.stop().map(shape);
  assert.equal(third.status, 200, JSON.stringify(third.body));
  // The SAD is spent: a fourth call is refused by the consuming UPDATE (nothing was read before it).
  const fourth = await sign(hashOf('s4'));
  assert.equal(fourth.status, 400, JSON.stringify(fourth.body));
  // One transparency-log leaf per signature, in order, none for the refusal (issue 21), however
  // the statements were folded.
  const leaves = await store.db.selectFrom('transparency_leaves').selectAll().orderBy('id').execute();
  assert.deepEqual(leaves.map((l) => l.dtbs_hash), hashes);
  assert.equal(new Set(leaves.map((l) => l.sad_id)).size, 1);
  for (const l of leaves) {
    // The stored leaf hash is the hash of the entry its columns encode (RFC 9162 §2.1.1).
    const entry = {
      credentialId: l.credential_id, certificateSerial: l.certificate_serial, hashAlgorithmOid: l.hash_algorithm_oid,
      dtbsHash: l.dtbs_hash, signedAt: Number(l.signed_at), clientId: l.client_id, sadId: l.sad_id, traceId: l.trace_id,
    };
    assert.equal(Buffer.from(l.leaf_hash).toString('hex'), Buffer.from(logEntryLeafHash(entry)).toString('hex'));
    assert.equal(l.user_id, user.id);
  }
  return statements;
}

describe('issue 19: the statements of a one-hash signHash', () => {
  it('SQLite: token, credential and its keys read in one statement before the transaction; in it the SAD consumed by one UPDATE … RETURNING and its hash marked, its log leaf and audit entry; one commit', async (t) => {
    const { store } = await testStores(t).sqlite();
    const statements = await statementsOfOneHash(t, store);
    assert.deepEqual(statements, [
      'select tokens',
      'begin',
      'update sads',
      'update sad_hashes',
      'insert transparency_leaves',
      'update audit_head',
      'insert audit_log',
      'update audit_head',
      'commit',
    ], statements.join('\n'));
  });

  it('PostgreSQL: the same in round trips, the SAD consumed, its hash marked and its log leaf queued in one statement, the audit row and its head in one', async (t) => {
    if (!(await requireStore(t, 'postgres'))) return;
    const { store } = await testStores(t).postgres();
    const statements = await statementsOfOneHash(t, store);
    assert.deepEqual(statements, [
      'select tokens',
      'begin',
      'with sads',
      'update audit_head',
      'with audit_log',
      'commit',
    ], statements.join('\n'));
  });
});
