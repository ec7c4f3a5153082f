/**
 * Issue 17, "Done means": two `signet serve` processes on one PostgreSQL behind a round-robin
 * proxy on loopback sign 1,000 hashes from 8 clients. Every signature verifies under the
 * credential's certificate, no call is refused, both nodes served connections, and the audit
 * shows each node's consumptions (per-node provenance) adding up to the 1,000 hashes. The only
 * time bound is generous (the whole run within the test's 10 minutes on a loaded machine).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { serverEnv } from './support/server-fixture.js';
import { signThroughCluster, startSignetCluster, verifiesOver } from './support/signet-cluster.js';

describe('two signet serve nodes on one PostgreSQL behind a round-robin proxy (issue 17)', () => {
  it(
    'sign 1,000 hashes from 8 clients: every signature verifies, both nodes sign, the audit adds up',
    { timeout: 600_000 },
    async (t) => {
      const env = await serverEnv(t, 'postgres');
      if (!env) return;
      const cluster = await startSignetCluster(2, env.dataDir, {
        ...env.env,
        SIGNET_LOG_LEVEL: 'warn',
      });
      t.after(() => cluster.stop());
      const run = await signThroughCluster(cluster.url, cluster.demo, 1000, 8);
      assert.deepEqual(run.failures, []);
      assert.equal(run.signatures.size, 1000);
      let verified = 0;
      for (const [hash, signature] of run.signatures)
        if (verifiesOver(run.certificate, run.preimages.get(hash) ?? Buffer.alloc(0), signature))
          verified++;
      assert.equal(verified, 1000, 'every signature verifies under the credential certificate');
      assert.ok(
        cluster.proxy.connections.every((n) => n > 0),
        `connections per node: ${cluster.proxy.connections.join(', ')}`,
      );

      const client = new pg.Client({ connectionString: env.databaseUrl });
      await client.connect();
      const { rows } = await client
        .query<{ node_id: string; n: string; hashes: string }>(
          `select node_id, count(*) as n, sum(json_array_length((details::json)->'hashes')) as hashes
           from audit_log where event_type = 'sad.consume' and outcome = 'success' group by node_id order by node_id`,
        )
        .finally(() => client.end());
      assert.deepEqual(
        rows.map((r) => r.node_id),
        ['node-1', 'node-2'],
        'both nodes consumed',
      );
      assert.equal(
        rows.reduce((sum, r) => sum + Number(r.hashes), 0),
        1000,
        JSON.stringify(rows),
      );
      t.diagnostic(
        `1,000 signHash through 2 nodes in ${(run.elapsedMs / 1000).toFixed(1)} s; per node ${rows.map((r) => `${r.node_id} ${r.n}`).join(', ')}`,
      );
    },
  );
});
