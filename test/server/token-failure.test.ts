/**
 * Issue 16 §2, token failure mid-signature (docs/security.md FLT-24): one heavy user's credential on two SoftHSM2 tokens
 * behind two `signet token-server` processes (created and extended through the admin API) signs
 * 300 hashes of one authorization, six requests at a time, each with an Idempotency-Key and
 * `signet_key: "any"`; halfway one token server is SIGKILLed. Every hash gets exactly one signature
 * that verifies with the certificate its answer names (one of the user's two), each hash is
 * consumed once in the audit log, which verifies; readiness reports `remote:t2` down and the node
 * stays ready on t1; credentials/info shows the key unavailable. And the failure exactly
 * mid-request: the token server of the key a request prepared is killed after its SAD slot was
 * reserved, before the key operation; the request is signed by the other key, and the metrics
 * count the failure under `remote:t2`. Both stores.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, verify, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditStore } from '../../src/audit/index.js';
import type { Clock } from '../../src/core/clock.js';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { buildServer, issueAdminToken } from '../../src/server/index.js';
import { loadSigningConfig } from '../../src/server/signing-config.js';
import { credentialOperationsFor, serverSurfaces } from '../../src/server/surfaces.js';
import { ensureDemoAccount } from '../../src/server/demo.js';
import { storeKinds } from '../support/stores.js';
import { requireTools, runTool } from '../support/tools.js';
import { tempDir } from '../support/tmp.js';
import { startTwoTokenServers } from '../keys/support/token-server-process.js';
import {
  auditedConsumptions,
  post,
  SHA256,
  ES256,
  sharedClock,
  startNode,
  type CscAnswer,
} from './support/csc-nodes.js';
import { openServices, serverEnv } from './support/server-fixture.js';

const total = 300;
const parallel = 6;

/** The demo user's `Bearer …` authorization from auth/login on `node` (HTTP Basic). */
async function demoBearer(
  node: { readonly url: string },
  demo: { readonly username: string; readonly password: string },
): Promise<string> {
  const login = await post(
    node,
    'auth/login',
    {},
    `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`,
  );
  return `Bearer ${login.body['access_token'] as string}`;
}

/**
 * credentials/authorize of exactly `hashes` on the credential made with PIN 246801, with the
 * demo user's one-time code at `clock`; asserts 200 and returns the SAD.
 */
async function authorizeWithPin(
  node: { readonly url: string },
  bearer: string,
  request: { readonly credentialID: string; readonly hashes: readonly string[] },
  demo: { readonly totpSecret: string },
  clock: Clock,
): Promise<string> {
  const authorized = await post(
    node,
    'credentials/authorize',
    {
      credentialID: request.credentialID,
      numSignatures: request.hashes.length,
      hashes: request.hashes,
      hashAlgorithmOID: SHA256,
      authData: [
        { id: 'PIN', value: '246801' },
        { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), clock.now()) },
      ],
    },
    bearer,
  );
  assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
  return authorized.body['SAD'] as string;
}

for (const kind of storeKinds) {
  describe(`issue 16 §2: a token server killed mid-signature (${kind})`, () => {
    it('300 hashes on two tokens, one token server SIGKILLed halfway: none lost, none doubled, all verify, audit verifies, readiness names the token', async (t) => {
      if (!requireTools(t, 'openssl', 'softhsm2-util')) return;
      const env = await serverEnv(t, kind);
      if (!env) return;
      const dir = tempDir(t);
      const { t2, env: tokenEnv } = await startTwoTokenServers(t, dir);
      const clock = sharedClock();
      const node = await startNode(
        t,
        env,
        'node-kill',
        clock,
        tokenEnv,
      );
      const { demo } = await ensureDemoAccount(node.services);

      // The admin API: a credential on remote:t1 for 300 signatures, then a key on remote:t2.
      const admin = await issueAdminToken(node.services, { via: 'cli' });
      const adminPost = async (
        path: string,
        body: unknown,
      ): Promise<{ status: number; body: Record<string, string> }> => {
        const res = await fetch(`${node.url}/admin/v1${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin.value}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Record<string, string> };
      };
      const created = await adminPost('/credentials', {
        user: demo.username,
        backend: 'remote:t1',
        algorithm: 'EC-P256',
        pin: '246801',
        commonName: 'Heavy User',
        multisign: total,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const credentialID = created.body['credentialID'] as string;
      const added = await adminPost(`/credentials/${credentialID}/keys`, { backend: 'remote:t2' });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const refused = await adminPost(`/credentials/${credentialID}/keys`, {
        backend: 'remote:nowhere',
      });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));

      const bearer = await demoBearer(node, demo);
      const hashes = Array.from({ length: total }, (_, i) =>
        createHash('sha256').update(`page ${i}`).digest('base64'),
      );
      clock.advance(30_000);
      const SAD = await authorizeWithPin(node, bearer, { credentialID, hashes }, demo, clock);

      // The client of the idempotent signHash: a failed answer is retried with the same key.
      const signOne = async (i: number): Promise<CscAnswer> => {
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(`${node.url}/csc/v2/signatures/signHash`, {
            method: 'POST',
            headers: {
              authorization: bearer,
              'content-type': 'application/json',
              'idempotency-key': `page-${i}`,
            },
            body: JSON.stringify({
              credentialID,
              SAD,
              hashes: [hashes[i]],
              hashAlgorithmOID: SHA256,
              signAlgo: ES256,
              signet_key: 'any',
            }),
          });
          const answer = {
            status: res.status,
            body: (await res.json()) as CscAnswer['body'],
            retryAfter: res.headers.get('retry-after'),
          };
          if (answer.status === 200 || attempt >= 20) return answer;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      };
      const answers: (CscAnswer | undefined)[] = new Array(total);
      let next = 0;
      let done = 0;
      let killed: Promise<void> | undefined;
      const worker = async (): Promise<void> => {
        while (next < total) {
          const i = next++;
          answers[i] = await signOne(i);
          if (++done === total / 2) killed = t2.kill();
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));
      await killed;

      const serials = new Map<string, X509Certificate>();
      const signedBy = new Map<string, number>();
      for (const [i, answer] of answers.entries()) {
        assert.ok(answer !== undefined);
        assert.equal(answer.status, 200, `hash ${i}: ${JSON.stringify(answer.body)}`);
        const signer = answer.body['signet_key'] as {
          serialNumber: string;
          certificates: string[];
        };
        const signatures = answer.body['signatures'] as string[];
        assert.equal(signatures.length, 1);
        const cert =
          serials.get(signer.serialNumber) ??
          new X509Certificate(Buffer.from(signer.certificates[0] as string, 'base64'));
        serials.set(signer.serialNumber, cert);
        signedBy.set(signer.serialNumber, (signedBy.get(signer.serialNumber) ?? 0) + 1);
        // ECDSA (DER Ecdsa-Sig-Value) over SHA-256 of the page: the authorised digest.
        assert.ok(
          verify(
            'sha256',
            Buffer.from(`page ${i}`),
            cert.publicKey,
            Buffer.from(signatures[0] as string, 'base64'),
          ),
          `hash ${i} verifies`,
        );
      }
      const info = await post(
        node,
        'credentials/info',
        { credentialID, certificates: 'single' },
        bearer,
      );
      const keys = info.body['signet_keys'] as { serialNumber: string; available: boolean }[];
      assert.deepEqual(
        [...serials.keys()].sort(),
        keys.map((k) => k.serialNumber).sort(),
        'both of the user’s certificates signed, no other',
      );
      assert.ok(
        serials.get(keys[0]?.serialNumber as string)?.subject ===
          serials.get(keys[1]?.serialNumber as string)?.subject,
      );
      assert.ok(
        (signedBy.get(keys[0]?.serialNumber as string) ?? 0) > total / 2,
        'after the kill, t1 signed the rest',
      );
      assert.deepEqual(
        keys.map((k) => k.available),
        [true, false],
        'the killed token is out of the choice',
      );
      // One signature of each key checked by openssl too (the external judge).
      for (const serial of serials.keys()) {
        const i = answers.findIndex(
          (a) => (a?.body['signet_key'] as { serialNumber: string }).serialNumber === serial,
        );
        assert.ok(
          opensslVerifies(
            dir,
            serials.get(serial) as X509Certificate,
            hashes[i] as string,
            (answers[i]?.body['signatures'] as string[])[0] as string,
            i,
          ),
          `openssl: hash ${i}`,
        );
      }

      const consumed = await auditedConsumptions(node.services.store.db);
      assert.equal(consumed.size, total, 'every hash consumed');
      assert.ok(
        [...consumed.values()].every((n) => n === 1),
        'none consumed twice',
      );
      const completed = await node.services.store.db
        .selectFrom('signing_requests')
        .select(['state'])
        .execute();
      assert.equal(completed.length, total);
      assert.ok(completed.every((r) => r.state === 'completed'));
      assert.equal((await verifyAuditStore(node.services.store, node.services.auditKey)).ok, true);

      const ready = await fetch(`${node.url}/health/ready`);
      const report = (await ready.json()) as { ready: boolean; keys: Record<string, boolean> };
      assert.deepEqual(report.keys, { software: true, 'remote:t1': true, 'remote:t2': false });
      assert.equal(ready.status, 200, 'still ready: the other token server signs');
    });

    it('a token server killed after the reservation, before the key operation: the request is signed by the other key, once', async (t) => {
      if (!requireTools(t, 'openssl', 'softhsm2-util')) return;
      const env = await serverEnv(t, kind);
      if (!env) return;
      const dir = tempDir(t);
      const { t2, env: tokenEnv } = await startTwoTokenServers(t, dir);
      const clock = sharedClock();
      // The node as startNode builds it, with a fault hook that kills t2 at the afterReserve point
      // of the next idempotent request (signing-faults.ts): the key is prepared, the slot consumed.
      let killAtReserve = false;
      const services = await openServices(
        t,
        {
          ...env,
          env: {
            ...env.env,
            SIGNET_NODE_ID: 'node-hook',
            ...tokenEnv,
          },
        },
        { credentials: credentialOperationsFor, clock },
      );
      const signing = {
        ...loadSigningConfig({}),
        faults: {
          actions: new Map(),
          hooks: {
            reach: async (point: string) => {
              if (point !== 'afterReserve' || !killAtReserve) return;
              killAtReserve = false;
              await t2.kill();
            },
          },
        },
      };
      const app = await buildServer(services, { surfaces: serverSurfaces(services, signing) });
      t.after(() => app.close());
      await app.listen({ port: 0, host: '127.0.0.1' });
      const node = { url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` };
      services.baseUrl.set(node.url);
      const { demo } = await ensureDemoAccount(services);
      const { credentialID } = await services.admin.createCredential(
        {
          user: demo.username,
          backend: 'remote:t1',
          algorithm: 'EC-P256',
          pin: '246801',
          commonName: 'Heavy User',
        },
        { via: 'cli' },
      );
      const second = await services.admin.addCredentialKey(credentialID, 'remote:t2', {
        via: 'cli',
      });
      const bearer = await demoBearer(node, demo);
      const hashes = ['first', 'second'].map((p) =>
        createHash('sha256').update(p).digest('base64'),
      );
      clock.advance(30_000);
      const SAD = await authorizeWithPin(node, bearer, { credentialID, hashes }, demo, clock);
      const signHash = (hash: string, idempotencyKey?: string) =>
        fetch(`${node.url}/csc/v2/signatures/signHash`, {
          method: 'POST',
          headers: {
            authorization: bearer,
            'content-type': 'application/json',
            ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
          },
          body: JSON.stringify({
            credentialID,
            SAD,
            hashes: [hash],
            hashAlgorithmOID: SHA256,
            signAlgo: ES256,
            signet_key: 'any',
          }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any
      // The first request takes t1's key; the next one, prepared with t2's (least recently chosen), loses its token.
      const first = await signHash(hashes[0] as string);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.notEqual(first.body['signet_key']['serialNumber'], second.serialNumber);
      killAtReserve = true;
      const failedOver = await signHash(hashes[1] as string, 'second');
      assert.equal(killAtReserve, false, 'the hook fired: t2 was killed mid-request');
      assert.equal(failedOver.status, 200, JSON.stringify(failedOver.body));
      const signer = failedOver.body['signet_key'] as {
        serialNumber: string;
        certificates: string[];
      };
      assert.equal(
        signer.serialNumber,
        first.body['signet_key']['serialNumber'],
        'signed by t1’s key',
      );
      const cert = new X509Certificate(Buffer.from(signer.certificates[0] as string, 'base64'));
      assert.ok(
        opensslVerifies(
          dir,
          cert,
          hashes[1] as string,
          failedOver.body['signatures'][0] as string,
          1,
        ),
      );
      // In the metrics by the token server's name: t2's failed key operation, t1's signatures.
      const exposition = await services.metrics.registry.metrics();
      const count = (backend: string, outcome: string): number =>
        exposition
          .split('\n')
          .filter(
            (l) =>
              l.startsWith('signet_signatures_total{') &&
              l.includes(`backend="${backend}"`) &&
              l.includes(`outcome="${outcome}"`),
          )
          .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      // (The certification requests of the two keys were signed through the same backends.)
      assert.equal(count('remote:t2', 'failure'), 1, exposition);
      assert.equal(count('remote:t1', 'success'), 3, exposition);
      const again = await signHash(hashes[1] as string, 'second');
      assert.deepEqual(again.body, failedOver.body, 'the retry gets the stored answer');
      const consumed = await auditedConsumptions(services.store.db);
      assert.deepEqual(
        [consumed.get(hashes[0] as string), consumed.get(hashes[1] as string)],
        [1, 1],
      );
      assert.equal((await verifyAuditStore(services.store, services.auditKey)).ok, true);
    });
  });
}

function opensslVerifies(
  dir: string,
  cert: X509Certificate,
  hash: string,
  signature: string,
  i: number,
): boolean {
  writeFileSync(join(dir, `k${i}.pub`), cert.publicKey.export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(dir, `h${i}.bin`), Buffer.from(hash, 'base64'));
  writeFileSync(join(dir, `s${i}.sig`), Buffer.from(signature, 'base64'));
  return (
    runTool('openssl', [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(dir, `k${i}.pub`),
      '-in',
      join(dir, `h${i}.bin`),
      '-sigfile',
      join(dir, `s${i}.sig`),
    ]).status === 0
  );
}
