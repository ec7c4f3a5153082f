/**
 * Issue 19, the signHash hot path: the SQL statements one one-hash signHash runs on SQLite, as a
 * budget. Each costs 10–50 µs plus the driver's bookkeeping and most of them pages for the commit
 * to write; a new one on this path should be a decision, not an accident. The list is printed
 * when it changes. (The harness keeps its keys in files and signs no receipts: under signet serve the
 * keystore's stamp read and the batch receipt's insert add one statement each, bench/csc.bench.ts.)
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { oids } from '../../src/cms/index.js';
import { testStores } from '../support/stores.js';
import { cscHarness } from './support/csc-harness.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const hashOf = (s: string): string => createHash('sha256').update(s).digest('base64');

/** Records the SQL of every statement better-sqlite3 runs in this process while `log` is set. */
function recordStatements(): { start(): void; stop(): string[] } {
  const probe = new BetterSqlite3(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  let log: string[] | undefined;
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = prototype[method] as (...args: unknown[]) => unknown;
    prototype[method] = function (this: { source: string }, ...args: unknown[]) {
      log?.push(this.source);
      return original.apply(this, args);
    };
  }
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

/** `select … from "credentials" …` → 'select credentials'; enough to name a statement. */
function shape(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? '?';
  const table = /(?:from|into|update)\s+"(\w+)"/i.exec(sql)?.[1];
  return table === undefined ? verb : `${verb} ${table}`;
}

describe('issue 19: the statements of a one-hash signHash (SQLite)', () => {
  it('runs the budgeted statements: token, credential and its keys read before the transaction; in it the SAD read and consumed, its log leaf and audit entry; one commit', async (t) => {
    const recorder = recordStatements();
    const { store } = await testStores(t).sqlite();
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
    assert.deepEqual(statements, [
      'select credentials',
      'select credential_keys',
      'select tokens',
      'begin',
      'select sads',
      'update sads',
      'update sad_hashes',
      'insert transparency_leaves',
      'update audit_head',
      'insert audit_log',
      'update audit_head',
      'commit',
    ], statements.join('\n'));
  });
});
