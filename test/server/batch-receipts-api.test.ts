/**
 * Verifiable batches through the CSC API (issue 21; docs/security.md TRN-23): credentials/authorize
 * binds the root of the ordered hashes, signHash takes `signet_batchProofs`, refuses a hash outside
 * the batch or a reordered proof with a CSC error and no signature, and answers `signet_receipts`;
 * the receipts verify with the key the service publishes and are downloadable by their owner only.
 * Both stores, in process (inject).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  batchProofs,
  batchRoot,
  readTransparencyPublicKey,
  verifyReceipt,
  type BatchProof,
  type Receipt,
} from '../../src/transparency/index.js';
import { storeKinds } from '../support/stores.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes } from './support/api-fixture.js';

const wire = (p: BatchProof) => ({
  leafIndex: p.leafIndex,
  proof: p.path.map((x) => Buffer.from(x).toString('base64')),
});
const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

for (const kind of storeKinds) {
  describe(`verifiable batches over the CSC API (${kind})`, () => {
    it('TRN-23 proofs checked against the SAD root; receipts answered, published key verifies them, owner-only download', async (t) => {
      const s = await apiServer(t, kind);
      if (!s) return;
      const u1 = await s.addSigner('batcher');
      const token = await s.login(u1);
      const hashes = someHashes(3);
      const sad = await s.authorize(u1, token, hashes);
      const leaves = hashes.map(bytes);
      const proofs = batchProofs(leaves);
      const root = batchRoot(leaves);
      const sign = (body: Record<string, unknown>) =>
        s.csc(
          'signatures/signHash',
          {
            credentialID: u1.credentialId,
            SAD: sad,
            hashAlgorithmOID: SHA256_OID,
            signAlgo: ECDSA_SHA256_OID,
            ...body,
          },
          { bearer: token },
        );

      // A hash outside the batch with a proof of leaf 0; a proof from the batch in another order.
      const outside = createHash('sha256').update('outside').digest('base64');
      const refusedOutside = await sign({
        hashes: [outside],
        signet_batchProofs: [wire(proofs[0]!)],
      });
      assert.equal(refusedOutside.statusCode, 400, refusedOutside.body);
      assert.deepEqual(refusedOutside.json(), {
        error: 'invalid_request',
        error_description: 'Hash is not authorized by the SAD: its inclusion proof does not verify',
      });
      const reordered = batchProofs([leaves[1]!, leaves[0]!, leaves[2]!]);
      const refusedOrder = await sign({
        hashes: [hashes[1]],
        signet_batchProofs: [wire(reordered[0]!)],
      });
      assert.equal(refusedOrder.statusCode, 400, refusedOrder.body);
      assert.equal((await sign({ hashes: [hashes[1]], signet_batchProofs: 'x' })).statusCode, 400);

      const keyAnswer = await s.app.inject({
        method: 'GET',
        url: '/api/v1/transparency/receipt-key',
      });
      assert.equal(keyAnswer.statusCode, 200);
      const key = readTransparencyPublicKey(keyAnswer.json<{ pem: string }>().pem);
      assert.equal(keyAnswer.json<{ keyId: string }>().keyId, key.keyId);
      // TRN-26: the receipt key is the transparency log's keystore key (not one derived from the
      // audit secret, so rotating that secret changes nothing here).
      const logKey = await s.app.inject({ method: 'GET', url: '/api/v1/transparency/key' });
      assert.equal(logKey.json<{ keyId: string }>().keyId, key.keyId);
      assert.equal(keyAnswer.json<{ algorithm: string }>().algorithm, 'ecdsa-p256-sha256');

      // With its proof, and the other two as the exact list: every hash signs once, each with a receipt.
      const withProof = await sign({ hashes: [hashes[2]], signet_batchProofs: [wire(proofs[2]!)] });
      assert.equal(withProof.statusCode, 200, withProof.body);
      const r2 = withProof.json<{ signatures: string[]; signet_receipts: Receipt[] }>();
      assert.equal(r2.signatures.length, 1);
      assert.equal(
        verifyReceipt(r2.signet_receipts[0], key, { hash: leaves[2]!, batchRoot: root }).leafIndex,
        2,
      );
      const rest = await sign({ hashes: [hashes[0], hashes[1]] });
      assert.equal(rest.statusCode, 200, rest.body);
      const r01 = rest.json<{ signet_receipts: Receipt[] }>().signet_receipts;
      assert.deepEqual(
        r01.map((r, i) => verifyReceipt(r, key, { hash: leaves[i]!, batchRoot: root }).leafIndex),
        [0, 1],
      );

      const download = await s.app.inject({
        method: 'GET',
        url: `/api/v1/me/receipts?hash=${encodeURIComponent(hashes[2]!)}`,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(download.statusCode, 200, download.body);
      assert.deepEqual(download.json<{ receipts: Receipt[] }>().receipts, [r2.signet_receipts[0]]);
      const u2 = await s.addSigner('stranger');
      const other = await s.app.inject({
        method: 'GET',
        url: `/api/v1/me/receipts?hash=${encodeURIComponent(hashes[2]!)}`,
        headers: { authorization: `Bearer ${await s.login(u2)}` },
      });
      assert.equal(other.statusCode, 404);
      const anonymous = await s.app.inject({
        method: 'GET',
        url: `/api/v1/me/receipts?hash=${encodeURIComponent(hashes[2]!)}`,
      });
      assert.equal(anonymous.statusCode, 401);
      // The user API's one authentication: a bad token is refused with the RFC 6750 §3.1 challenge.
      const badToken = await s.app.inject({
        method: 'GET',
        url: `/api/v1/me/receipts?hash=${encodeURIComponent(hashes[2]!)}`,
        headers: { authorization: 'Bearer not-a-token' },
      });
      assert.equal(badToken.statusCode, 401);
      assert.match(String(badToken.headers['www-authenticate']), /error="invalid_token"/);
      await t.test('an idempotent signHash answers the receipts, and its replay the same ones', async () => {
        const replayer = await s.addSigner('replayer');
        const replayToken = await s.login(replayer);
        const twoHashes = someHashes(2);
        const replaySad = await s.authorize(replayer, replayToken, twoHashes);
        const call = () =>
          s.csc(
            'signatures/signHash',
            { credentialID: replayer.credentialId, SAD: replaySad, hashes: twoHashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID },
            { bearer: replayToken, headers: { 'idempotency-key': 'receipts-replay-1' } },
          );
        const first = await call();
        assert.equal(first.statusCode, 200, first.body);
        const answer = first.json<{ signatures: string[]; signet_receipts: Receipt[] }>();
        assert.equal(answer.signet_receipts.length, 2);
        const keyAnswer = await s.app.inject({ method: 'GET', url: '/api/v1/transparency/receipt-key' });
        const key = readTransparencyPublicKey(keyAnswer.json<{ pem: string }>().pem);
        assert.deepEqual(
          answer.signet_receipts.map((r, i) => verifyReceipt(r, key, { hash: bytes(twoHashes[i]!) }).leafIndex),
          [0, 1],
        );
        const replay = await call();
        assert.equal(replay.statusCode, 200, replay.body);
        assert.deepEqual(replay.json(), answer);
      });
      await t.test('the OpenAPI document describes signet_batchProofs and signet_receipts of signHash', async () => {
        type Op = { requestBody?: { content: Record<string, { schema: { properties: Record<string, { items?: { required?: string[] } }> } }> }; responses: Record<string, { content?: Record<string, { schema: { properties: Record<string, unknown> } }> }> };
        const doc = (await s.app.inject({ method: 'GET', url: '/documentation/json' })).json<{ paths: Record<string, { post: Op }> }>();
        const op = doc.paths['/csc/v2/signatures/signHash']!.post;
        const body = op.requestBody!.content['application/json']!.schema.properties;
        assert.deepEqual(body['signet_batchProofs']!.items!.required, ['leafIndex', 'proof']);
        assert.ok(op.responses['200']!.content!['application/json']!.schema.properties['signet_receipts']);
      });
    });
  });
}
