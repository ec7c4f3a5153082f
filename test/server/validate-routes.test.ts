/**
 * POST /api/v1/validate (docs/decisions/0001 Contract 4; issue 13 journey 3): the service's own
 * root CA is a trust anchor, so a signature by a certificate of its CA is TOTAL-PASSED; a
 * tampered copy is TOTAL-FAILED; SIGNET_TRUST_ANCHORS_FILE adds anchors; bad input is a 4xx with
 * a stable code, never a 500; the document is not stored.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadLocalSigner } from '../../src/keys/local/index.js';
import { signPdf } from '../../src/pades/index.js';
import { derToPem } from '../../src/pki/index.js';
import { buildServer, type Services } from '../../src/server/index.js';
import { loadValidateSettings, validateRoutes } from '../../src/server/routes/validate-routes.js';
import { validateOptionsFor } from '../../src/server/surfaces.js';
import { storeKinds } from '../support/stores.js';
import { buildTestPki } from '../support/pki.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { tempDir } from '../support/tmp.js';
import { openServices, serverEnv } from './support/server-fixture.js';
import { apiServer } from './support/api-fixture.js';

interface Answer {
  document: { size: number; sha256: string };
  validatedAt: string;
  trustAnchors: string[];
  signatures: {
    indication: string;
    subIndication?: string;
    signerSubject?: string;
    level?: string;
    coversWholeDocument: boolean;
    chainStatus?: string;
    revocation?: { status: string; origin?: string };
  }[];
  warnings: string[];
}

async function validateServer(t: TestContext, kind: (typeof storeKinds)[number], env: NodeJS.ProcessEnv = {}): Promise<{ app: FastifyInstance; services: Services } | undefined> {
  const base = await serverEnv(t, kind);
  if (!base) return undefined;
  const services = await openServices(t, base);
  // The production options (own root + SIGNET_TRUST_ANCHORS_FILE, the service's own revocation
  // sources in process), without the web session and with a small size limit.
  const { authenticate, ...production } = validateOptionsFor(services, env);
  assert.ok(authenticate, 'production answers only a web session; the test calls without one');
  const app = await buildServer(services, {
    surfaces: [
      {
        plugin: validateRoutes as never,
        options: { ...production, maxBytes: 64 * 1024 },
        prefix: '/api/v1',
      },
    ],
  });
  t.after(() => app.close());
  return { app, services };
}

/** A PDF signed with a key whose certificate the service's own CA issued (what its credentials get). */
async function signedByServiceCa(services: Services): Promise<Uint8Array> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const record = await services.ca.issue({
    subject: { commonName: 'Vera Validator' },
    subjectPublicKey: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    profile: 'signing',
  });
  const signer = await loadLocalSigner({
    kind: 'pem',
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificate: record.der,
    chain: [services.ca.certificate, services.rootCertificate],
  });
  return signPdf(makeBasePdf({ text: 'validate me' }), signer, { signingTime: services.clock.now() });
}

function post(app: FastifyInstance, body: Uint8Array | string, contentType = 'application/pdf') {
  return app.inject({ method: 'POST', url: '/api/v1/validate', headers: { 'content-type': contentType }, payload: Buffer.from(body) });
}

for (const kind of storeKinds) {
  describe(`POST /api/v1/validate (${kind})`, () => {
    it("reports TOTAL-PASSED for a signature under the service's own root CA, TOTAL-FAILED once a signed byte changes", async (t) => {
      const s = await validateServer(t, kind);
      if (!s) return;
      const signed = await signedByServiceCa(s.services);
      const r = await post(s.app, signed);
      assert.equal(r.statusCode, 200, r.body);
      const answer = r.json<Answer>();
      assert.equal(answer.signatures.length, 1);
      assert.equal(answer.signatures[0]?.indication, 'TOTAL-PASSED', r.body);
      assert.match(answer.signatures[0]?.signerSubject ?? '', /Vera Validator/);
      assert.equal(answer.signatures[0]?.level, 'B-B');
      // Issue 14: the B-B file carries no revocation data; the service's own OCSP answered.
      assert.deepEqual(answer.signatures[0]?.revocation?.status, 'good');
      assert.equal(answer.signatures[0]?.revocation?.origin, 'online');
      assert.equal(answer.signatures[0]?.coversWholeDocument, true);
      assert.equal(answer.document.size, signed.length);
      assert.match(answer.document.sha256, /^[0-9a-f]{64}$/);
      assert.equal(answer.trustAnchors.length, 1);
      assert.ok(!Number.isNaN(Date.parse(answer.validatedAt)));

      // One byte inside the signed range (the binary comment of the header): the digest no longer matches.
      const tampered = new Uint8Array(signed);
      assert.equal(tampered[10], 0xe2);
      tampered[10] = 0xe3;
      const bad = await post(s.app, tampered);
      assert.equal(bad.statusCode, 200, bad.body);
      assert.equal(bad.json<Answer>().signatures[0]?.indication, 'TOTAL-FAILED');
      assert.equal(bad.json<Answer>().signatures[0]?.subIndication, 'HASH_FAILURE');

      // An unsigned PDF has no signatures (not an error).
      const plain = await post(s.app, makeBasePdf());
      assert.equal(plain.statusCode, 200);
      assert.deepEqual(plain.json<Answer>().signatures, []);
    });
  });
}

describe('POST /api/v1/validate: trust anchors and bad input', () => {
  it('an outside signer is INDETERMINATE (NO_CERTIFICATE_CHAIN_FOUND) until SIGNET_TRUST_ANCHORS_FILE names its root, then TRY_LATER (no revocation evidence)', async (t) => {
    const pki = await buildTestPki({ leaves: ['ec-p256'] });
    const leaf = pki.leaves['ec-p256'];
    const signer = await loadLocalSigner({ kind: 'pem', key: leaf.privateKeyPem, certificate: leaf.der, chain: [pki.intermediate.der, pki.root.der] });
    const signed = await signPdf(makeBasePdf(), signer, { signingTime: new Date() });

    const without = await validateServer(t, 'sqlite');
    assert.ok(without);
    const r1 = (await post(without.app, signed)).json<Answer>();
    assert.equal(r1.signatures[0]?.indication, 'INDETERMINATE');
    assert.equal(r1.signatures[0]?.subIndication, 'NO_CERTIFICATE_CHAIN_FOUND');

    const file = join(tempDir(t), 'anchors.pem');
    writeFileSync(file, derToPem(pki.root.der, 'CERTIFICATE'));
    const withAnchor = await validateServer(t, 'sqlite', { SIGNET_TRUST_ANCHORS_FILE: file });
    assert.ok(withAnchor);
    const r2 = (await post(withAnchor.app, signed)).json<Answer>();
    // Trusted now, but the service looks up revocation only for its own certificates (issue 14):
    // without evidence the outside signature is INDETERMINATE / TRY_LATER, never TOTAL-PASSED.
    assert.equal(r2.signatures[0]?.chainStatus, 'trusted', JSON.stringify(r2));
    assert.equal(r2.signatures[0]?.indication, 'INDETERMINATE', JSON.stringify(r2));
    assert.equal(r2.signatures[0]?.subIndication, 'TRY_LATER');
    assert.equal(r2.trustAnchors.length, 2);
  });

  it('refuses bad input with a stable code, never a 500: not a PDF, empty, too large, wrong type; bad settings stop the start', async (t) => {
    const s = await validateServer(t, 'sqlite');
    assert.ok(s);
    const notPdf = await post(s.app, 'hello, not a PDF');
    assert.equal(notPdf.statusCode, 400);
    assert.equal(notPdf.json<{ error: string }>().error, 'ERR_PDF_NOT_PDF');
    const empty = await s.app.inject({ method: 'POST', url: '/api/v1/validate', headers: { 'content-type': 'application/pdf' } });
    assert.equal(empty.statusCode, 400);
    assert.equal(empty.json<{ error: string }>().error, 'ERR_SERVER_INVALID_REQUEST');
    const big = await post(s.app, new Uint8Array(65 * 1024).fill(0x20));
    assert.equal(big.statusCode, 413);
    const json = await post(s.app, '{"pdf":"x"}', 'application/json');
    assert.equal(json.statusCode, 400);
    assert.equal(json.json<{ error: string }>().error, 'ERR_SERVER_INVALID_REQUEST');
    const text = await post(s.app, 'hello', 'application/octet-stream');
    assert.equal(text.statusCode, 415);
    // A damaged file without xref is recovered by the reader: no signatures, not an error.
    const damaged = await post(s.app, '%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF');
    assert.equal(damaged.statusCode, 200, damaged.body);
    assert.deepEqual(damaged.json<Answer>().signatures, []);
    const truncated = await post(s.app, '%PDF-1.7\n1 0 obj << /Type');
    assert.equal(truncated.statusCode, 400, truncated.body);
    assert.match(truncated.json<{ error: string }>().error, /^ERR_PDF_/);

    assert.throws(() => loadValidateSettings({ SIGNET_VALIDATE_MAX_BYTES: 'lots' }), { code: 'ERR_SERVER_CONFIG' });
    const empty2 = join(tempDir(t), 'none.pem');
    writeFileSync(empty2, 'no certificates here');
    assert.throws(() => loadValidateSettings({ SIGNET_TRUST_ANCHORS_FILE: empty2 }), { code: 'ERR_SERVER_CONFIG' });
    assert.throws(() => loadValidateSettings({ SIGNET_TRUST_ANCHORS_FILE: join(tempDir(t), 'missing.pem') }), { code: 'ERR_SERVER_CONFIG' });
  });
});

describe('POST /api/v1/validate under the web session (Contract 4)', () => {
  it('answers 401 without a session cookie, as signet serve assembles it', async (t) => {
    const s = await apiServer(t, 'sqlite');
    assert.ok(s);
    const r = await s.app.inject({ method: 'POST', url: '/api/v1/validate', headers: { 'content-type': 'application/pdf', 'x-signet-request': '1' }, payload: Buffer.from(makeBasePdf()) });
    assert.equal(r.statusCode, 401, r.body);
    assert.equal(r.json<{ error: string }>().error, 'unauthenticated');
  });
});
