/**
 * The client and the gateway against Signet's own RSSP (cscRoutes + createCscService) over real
 * HTTP on port 0, on SQLite and PostgreSQL: login, credentials/info, one authorization with PIN +
 * TOTP for a whole batch, signHash in chunks, embedding; pdfsig and Signet's validator judge every
 * file. Every request the client sends and every reply it gets is checked against the CSC
 * specification (test/support/csc-spec.ts).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { join } from 'node:path';
import { CscClient, loadRemoteCredential } from '../../src/csc/client/index.js';
import { GatewayError, cscSigner, cscTimestamper, explicitAuthorizer, signBatch, type BatchDocument, type HashAuthorizer } from '../../src/gateway/index.js';
import { signPdf } from '../../src/pades/index.js';
import { derToPem } from '../../src/pki/index.js';
import { verifyPdfSignatures } from '../../src/validation/index.js';
import { makeNssDb, pdfsig } from '../support/judges.js';
import { makeBasePdf } from '../support/pdf-fixtures.js';
import { loadCscSpec } from '../support/csc-spec.js';
import { requireStore, storeKinds, testStores } from '../support/stores.js';
import { tempDir } from '../support/tmp.js';
import { requireTools } from '../support/tools.js';
import { cscHarness, type CscHarness } from '../csc/support/csc-harness.js';
import { readBack, signatureTimestampTokens } from '../pades/support/ltv-judges.js';

/** A fetch that validates each CSC body against the specification on the way out and back. */
function specCheckedFetch(): typeof fetch {
  const spec = loadCscSpec();
  return async (input, init) => {
    const url = new URL(String(input));
    const [, version, ...op] = url.pathname.replace(/^\/csc\//, '/').split('/');
    const operation = op.join('/');
    spec.checkRequest(version as 'v2', operation, JSON.parse(String(init?.body ?? '{}')));
    const response = await fetch(input, init);
    const text = await response.clone().text();
    spec.checkResponse(version as 'v2', operation, response.status, text === '' ? undefined : JSON.parse(text));
    return response;
  };
}

async function listen(h: CscHarness): Promise<string> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}/csc/v2`;
}

function judge(t: Parameters<typeof requireTools>[0], h: CscHarness, paths: readonly string[], dir: string): void {
  for (const path of paths) {
    const report = verifyPdfSignatures(new Uint8Array(readFileSync(path)), { trustAnchors: [h.pki.hierarchy.root.certificate] });
    assert.equal(report.signatures.length, 1);
    assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', `${path}: ${JSON.stringify(report.signatures[0]?.problems)}`);
  }
  if (!requireTools(t, 'pdfsig', 'certutil')) return;
  const nss = makeNssDb(dir, derToPem(h.pki.hierarchy.root.certificate, 'CERTIFICATE'));
  for (const path of paths) {
    // Not -no-ocsp: with it poppler 24 reports "Unknown issue with Certificate" for a chain NSS
    // accepts (certutil -V); the credential certificates carry no AIA, so nothing is fetched.
    const sigs = pdfsig(path, nss);
    assert.equal(sigs.length, 1);
    assert.ok(sigs[0]?.isValid && sigs[0].isTrusted, sigs[0]?.text);
  }
}

describe('gateway and client against Signet RSSP over HTTP', () => {
  for (const kind of storeKinds) {
    it(`${kind}: a batch of 10 under one PIN + TOTP authorization (EC P-256 and RSA-2048), then a single document through cscSigner`, async (t) => {
      if (!(await requireStore(t, kind))) return;
      const { store } = await testStores(t)[kind]();
      const h = await cscHarness(t, store);
      const url = await listen(h);
      const user = await h.createUser('gateway-user');
      const client = new CscClient({ baseUrl: url, auth: { kind: 'basic', username: user.username, password: user.password }, fetch: specCheckedFetch() });
      const info = await client.info();
      assert.ok(info.methods.includes('signatures/signHash'));
      const dir = tempDir(t);
      for (const algorithm of ['EC-P256', 'RSA-2048'] as const) {
        const credentialID = await h.createCredential(user, { algorithm, pin: '135790', multisign: 100 });
        const credential = await loadRemoteCredential(client, credentialID);
        assert.equal(credential.scal, '2');
        assert.equal(credential.certificateChain.length, 3);
        const inDir = join(dir, `in-${algorithm}`);
        const outDir = join(dir, `out-${algorithm}`);
        mkdirSync(inDir);
        mkdirSync(outDir);
        const docs: BatchDocument[] = Array.from({ length: 10 }, (_, i) => {
          const path = join(inDir, `c${i}.pdf`);
          writeFileSync(path, makeBasePdf({ text: `Contract ${algorithm} ${i}` }));
          return { id: path, source: { kind: 'file', path }, sink: { kind: 'file', path: join(outDir, `c${i}.pdf`) } };
        });
        const authorize = explicitAuthorizer(client, credential, () => ({ pin: '135790', otp: h.nextOtp(user) }));
        const result = await signBatch(docs, { client, credential, clock: h.clock, authorize, hashesPerCall: 4, options: { reason: 'Gateway e2e' } });
        assert.equal(result.signed, 10, JSON.stringify(result.results.filter((r) => !r.ok)));
        assert.equal(result.authorizations, 1);
        assert.equal(result.signHashCalls, 3);
        judge(t, h, readdirSync(outDir).map((f) => join(outDir, f)), dir);
      }

      // One document through the Signer adapter (authorize one hash, signHash, check).
      const credentialID = await h.createCredential(user, { algorithm: 'EC-P256', pin: '135790' });
      const credential = await loadRemoteCredential(client, credentialID);
      const signer = cscSigner(client, credential, explicitAuthorizer(client, credential, () => ({ pin: '135790', otp: h.nextOtp(user) })));
      const single = join(dir, 'single.pdf');
      writeFileSync(single, await signPdf(makeBasePdf(), signer, { signingTime: h.clock.now() }));
      judge(t, h, [single], dir);
      const types = await h.auditTypes();
      // One authorization per batch and per single document, one consumption per signHash call:
      // the batches send an Idempotency-Key (reserved as signing.started, answered as
      // signing.completed, docs/security.md SAD-07); the single document's signer does not (sad.consume).
      assert.equal(types.filter((e) => e === 'sad.issue:success').length, 3, types.join(' '));
      assert.equal(types.filter((e) => e === 'signing.started:success').length, 3 + 3, types.join(' '));
      assert.equal(types.filter((e) => e === 'signing.completed:success').length, 3 + 3, types.join(' '));
      assert.equal(types.filter((e) => e === 'sad.consume:success').length, 1, types.join(' '));
    });
  }

  it('sqlite: B-T with the signature-time-stamp from the provider\'s signatures/timestamp', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const url = await listen(h);
    const user = await h.createUser('timestamped');
    const client = new CscClient({ baseUrl: url, auth: { kind: 'basic', username: user.username, password: user.password }, fetch: specCheckedFetch() });
    const credential = await loadRemoteCredential(client, await h.createCredential(user, { algorithm: 'EC-P256', pin: '222222' }));
    const dir = tempDir(t);
    const docs: BatchDocument[] = [0, 1].map((i) => {
      const path = join(dir, `t${i}.pdf`);
      writeFileSync(path, makeBasePdf({ text: `timestamped ${i}` }));
      return { id: path, source: { kind: 'file', path }, sink: { kind: 'file', path: join(dir, `t${i}-signed.pdf`) } };
    });
    const result = await signBatch(docs, {
      client,
      credential,
      clock: h.clock,
      authorize: explicitAuthorizer(client, credential, () => ({ pin: '222222', otp: h.nextOtp(user) })),
      options: { level: 'B-T', timestamper: cscTimestamper(client) },
    });
    assert.equal(result.signed, 2, JSON.stringify(result.results));
    for (const i of [0, 1]) {
      const file = new Uint8Array(readFileSync(join(dir, `t${i}-signed.pdf`)));
      const signature = readBack(file).signatures[0];
      assert.equal(signatureTimestampTokens(signature?.container as Uint8Array).length, 1, 'one signature-time-stamp token');
      const report = verifyPdfSignatures(file, { trustAnchors: [h.pki.hierarchy.root.certificate] });
      assert.equal(report.signatures[0]?.indication, 'TOTAL-PASSED', JSON.stringify(report.signatures[0]?.problems));
    }

    // RFC 3161 §2.4.2: a reply replayed for another request (another hash, another nonce) is refused.
    let recorded: string | undefined;
    const replaying: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith('/signatures/timestamp')) return response;
      recorded ??= await response.text();
      return new Response(recorded, { status: 200, headers: { 'content-type': 'application/json' } });
    };
    const replayed = cscTimestamper(
      new CscClient({ baseUrl: url, auth: { kind: 'basic', username: user.username, password: user.password }, fetch: replaying }),
    );
    const first = new Uint8Array(32).fill(1);
    await replayed.timestamp(first, 'SHA-256');
    const refused = (pattern: RegExp) => (e: unknown) => e instanceof GatewayError && e.code === 'ERR_GATEWAY_TIMESTAMP' && pattern.test(e.message);
    await assert.rejects(replayed.timestamp(new Uint8Array(32).fill(2), 'SHA-256'), refused(/another hash/));
    await assert.rejects(replayed.timestamp(first, 'SHA-256'), refused(/nonce/));
  });

  it('sqlite: signet sign-remote against Signet\'s RSSP, B-T with --tsa csc', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const url = await listen(h);
    const user = await h.createUser('cli-user');
    const credentialID = await h.createCredential(user, { algorithm: 'RSA-2048', pin: '333333' });
    const dir = tempDir(t);
    writeFileSync(join(dir, 'password'), user.password);
    writeFileSync(join(dir, 'pin'), '333333');
    const input = join(dir, 'in.pdf');
    writeFileSync(input, makeBasePdf({ text: 'cli' }));
    const out = new PassThrough();
    const err = new PassThrough();
    let stderr = '';
    err.on('data', (c: Buffer) => (stderr += c.toString()));
    out.resume();
    const status = await main(
      ['sign-remote', input, '-o', join(dir, 'out.pdf'), '--csc-url', url.replace(/\/csc\/v2$/, ''), '--username', user.username,
        '--password-file', join(dir, 'password'), '--pin-file', join(dir, 'pin'), '--otp', h.nextOtp(user), '--credential', credentialID,
        '--level', 'B-T', '--tsa', 'csc'],
      { stdout: out, stderr: err },
    );
    assert.equal(status, 0, stderr);
    const file = new Uint8Array(readFileSync(join(dir, 'out.pdf')));
    assert.equal(signatureTimestampTokens(readBack(file).signatures[0]?.container as Uint8Array).length, 1);
    judge(t, h, [join(dir, 'out.pdf')], dir);
  });

  it('sqlite: provider refusals land on the right documents — a wrong PIN stops the batch, a reused SAD fails at signHash', async (t) => {
    if (!(await requireStore(t, 'sqlite'))) return;
    const { store } = await testStores(t).sqlite();
    const h = await cscHarness(t, store);
    const url = await listen(h);
    const user = await h.createUser('refused');
    const client = new CscClient({ baseUrl: url, auth: { kind: 'basic', username: user.username, password: user.password }, fetch: specCheckedFetch() });
    const credentialID = await h.createCredential(user, { algorithm: 'EC-P256', pin: '111111' });
    const credential = await loadRemoteCredential(client, credentialID);
    const docs = (n: number, tag: string): BatchDocument[] =>
      Array.from({ length: n }, (_, i) => ({
        id: `${tag}-${i}`,
        source: { kind: 'bytes', bytes: makeBasePdf({ text: `${tag} ${i}` }) },
        sink: { kind: 'bytes', accept: () => undefined },
      }));

    const wrong = await signBatch(docs(3, 'wrong'), { client, credential, clock: h.clock, authorize: explicitAuthorizer(client, credential, () => ({ pin: '000000', otp: h.nextOtp(user) })) });
    assert.equal(wrong.signed, 0);
    for (const r of wrong.results) {
      assert.ok(!r.ok && r.stage === 'authorize' && r.code === 'ERR_CSC_CLIENT_REMOTE', JSON.stringify(r));
      assert.equal((r.error as { remote?: { error: string } }).remote?.error, 'invalid_authentication_data');
    }

    // A SAD authorizes exactly its hashes: handing the first batch's SAD to a second batch fails there.
    let firstSad: string | undefined;
    const inner = explicitAuthorizer(client, credential, () => ({ pin: '111111', otp: h.nextOtp(user) }));
    const remember: HashAuthorizer = async (request) => (firstSad = await inner(request));
    const first = await signBatch(docs(2, 'first'), { client, credential, clock: h.clock, authorize: remember });
    assert.equal(first.signed, 2);
    const replay = await signBatch(docs(2, 'second'), { client, credential, clock: h.clock, authorize: () => Promise.resolve(firstSad) });
    assert.equal(replay.signed, 0);
    for (const r of replay.results) {
      assert.ok(!r.ok && r.stage === 'sign', JSON.stringify(r));
      assert.equal((r.error as { remote?: { error: string } }).remote?.error, 'invalid_request');
    }
  });
});
