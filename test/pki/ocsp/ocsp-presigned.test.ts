/**
 * RFC 5019 lightweight profile of the responder: pre-signed answers per certificate, never served
 * past nextUpdate (RFC 5019 §2.2.4) under an injected clock, signed again at half their validity
 * and on revocation; a revocation made through another store handle shows within the recheck
 * bound (docs/security.md FLT-25); GET answers carry RFC 5019 §6.2 caching headers. Every answer
 * is judged by `openssl ocsp -respin` against the issuing CA.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOcspResponder, derToPem, type OcspResponder } from '../../../src/pki/index.js';
import { requireTools, runTool } from '../../support/tools.js';
import { makePki, type PkiFixture } from '../support/pki-fixture.js';

interface Judged {
  readonly status: string;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

/** openssl's reading of a DER OCSPResponse (signature verified against the chain). */
function judge(pki: PkiFixture, der: Uint8Array, name: string): Judged {
  const file = join(pki.dir, `${name}.der`);
  writeFileSync(file, der);
  const r = runTool('openssl', ['ocsp', '-respin', file, '-resp_text', '-CAfile', pki.files.chain]);
  const text = r.stdout + r.stderr;
  assert.match(text, /Response verify OK/, text);
  const field = (label: string): string => {
    const m = new RegExp(`${label}: (.+)`).exec(text);
    assert.ok(m?.[1], `${label} in ${text}`);
    return m[1].trim();
  };
  return {
    status: field('Cert Status'),
    thisUpdate: new Date(field('This Update')),
    nextUpdate: new Date(field('Next Update')),
  };
}

async function setUp(t: Parameters<typeof makePki>[0], start: Date) {
  let nowMs = start.getTime();
  let mono = 0;
  const clock = { now: () => new Date(nowMs) };
  const pki = await makePki(t, { clock });
  const key = await pki.keystore.generateKey({ type: 'EC', curve: 'P-256' });
  const leaf = await pki.ca.issue({
    subject: { commonName: 'Petra Presigned' },
    subjectPublicKey: key.publicKey,
    profile: 'signing',
  });
  const leafFile = join(pki.dir, 'leaf.pem');
  writeFileSync(leafFile, derToPem(leaf.der, 'CERTIFICATE'));
  const reqFile = join(pki.dir, 'req.der');
  // RFC 5019 §2.1.1: one certificate, no nonce.
  assert.equal(
    runTool('openssl', [
      'ocsp',
      '-issuer',
      pki.files.issuing,
      '-cert',
      leafFile,
      '-no_nonce',
      '-reqout',
      reqFile,
    ]).status,
    0,
  );
  const request = new Uint8Array(readFileSync(reqFile));
  const responder: OcspResponder = createOcspResponder({
    issuers: [
      {
        caId: 'issuing',
        certificate: pki.hierarchy.issuing.certificate,
        signer: {
          key: {
            backend: pki.keystore,
            ref: pki.hierarchy.ocsp.keyRef,
            algorithm: pki.hierarchy.algorithm,
          },
          certificate: pki.hierarchy.ocsp.certificate,
        },
      },
    ],
    store: pki.store,
    clock,
    validityMinutes: 60,
    statusRecheckMs: 1000,
    monotonic: () => mono,
  });
  return {
    pki,
    leaf,
    request,
    responder,
    advance(ms: number) {
      nowMs += ms;
      mono += ms;
    },
    advanceMonotonic(ms: number) {
      mono += ms;
    },
    now: () => new Date(nowMs),
  };
}

describe('RFC 5019 pre-signed OCSP responses', () => {
  it('are reused, signed again at half their validity, and never served past nextUpdate (injected clock, 5 hours)', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const s = await setUp(t, new Date('2026-12-01T10:00:00Z'));
    const first = await s.responder.respond(s.request);
    assert.deepEqual(await s.responder.respond(s.request), first, 'the same pre-signed bytes');
    assert.deepEqual(s.responder.counts(), { signed: 1, presigned: 1 });
    const distinct = new Set<string>();
    let requests = 0;
    // Steps of 7 min 13 s over 5 hours, with a few requests just before and at the boundaries.
    for (let elapsed = 0; elapsed < 5 * 3_600_000; elapsed += 433_000) {
      s.advance(433_000);
      const der = await s.responder.respond(s.request);
      requests++;
      const key = Buffer.from(der).toString('base64');
      if (distinct.has(key)) continue;
      distinct.add(key);
      const judged = judge(s.pki, der, `r${requests}`);
      assert.equal(judged.status, 'good');
      const now = s.now().getTime();
      assert.ok(
        judged.thisUpdate.getTime() <= now && now < judged.nextUpdate.getTime(),
        `served within [thisUpdate, nextUpdate) at ${s.now().toISOString()}`,
      );
    }
    // Every served answer was checked when first seen; reuse means fewer signatures than requests.
    for (let i = 0; i < 3; i++) {
      const der = await s.responder.respond(s.request);
      const judged = judge(s.pki, der, `again${i}`);
      assert.ok(s.now().getTime() < judged.nextUpdate.getTime());
      s.advance(29 * 60_000 + 59_000);
    }
    const { signed, presigned } = s.responder.counts();
    assert.ok(
      signed <= distinct.size + 4 && presigned > 0,
      `signed ${signed}, presigned ${presigned}, distinct ${distinct.size} of ${requests}`,
    );
    assert.ok(signed < requests, 'answers were reused');
  });

  it('docs/security.md FLT-25: a revocation through another store handle shows once the recheck bound has passed; forget() shows it at once', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const s = await setUp(t, new Date('2026-12-01T10:00:00Z'));
    assert.equal(judge(s.pki, await s.responder.respond(s.request), 'good').status, 'good');
    const other = await s.pki.openStoreAgain();
    t.after(() => other.close());
    await other.revoke(s.leaf.serialHex, { time: s.now(), reason: 'keyCompromise' });
    // Within the bound the pre-signed answer may still be served (this is the documented window) …
    s.advanceMonotonic(400);
    assert.equal(judge(s.pki, await s.responder.respond(s.request), 'within').status, 'good');
    // … and once the bound has passed, the status is read again and the answer is revoked.
    s.advanceMonotonic(600);
    assert.equal(judge(s.pki, await s.responder.respond(s.request), 'after').status, 'revoked');

    const t2 = await setUp(t, new Date('2026-12-01T10:00:00Z'));
    assert.equal(judge(t2.pki, await t2.responder.respond(t2.request), 'good2').status, 'good');
    await t2.pki.ca.revoke(t2.leaf.serialHex, 'keyCompromise');
    t2.responder.forget(t2.leaf.serialHex);
    assert.equal(
      judge(t2.pki, await t2.responder.respond(t2.request), 'forgotten').status,
      'revoked',
    );
  });

  it('RFC 5019 §6.2: GET answers carry ETag, max-age, Last-Modified and Expires, and If-None-Match gives 304', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    const s = await setUp(t, new Date('2026-12-01T10:00:00Z'));
    const path = `/ocsp/${encodeURIComponent(Buffer.from(s.request).toString('base64'))}`;
    const get = (headers: Record<string, string> = {}) =>
      s.responder.handler({ method: 'GET', path, headers, body: new Uint8Array(0) });
    const first = await get();
    assert.equal(first.status, 200);
    const judged = judge(s.pki, first.body, 'get');
    const etag = first.headers['etag'];
    assert.match(etag ?? '', /^"[A-Za-z0-9_-]+"$/);
    assert.equal(
      first.headers['cache-control'],
      'max-age=60, public, no-transform, must-revalidate',
    );
    assert.equal(first.headers['last-modified'], judged.thisUpdate.toUTCString());
    assert.equal(first.headers['expires'], judged.nextUpdate.toUTCString());
    const again = await get({ 'if-none-match': etag as string });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    // A POST is answered without caching headers.
    const post = await s.responder.handler({
      method: 'POST',
      path: '/ocsp',
      headers: { 'content-type': 'application/ocsp-request' },
      body: s.request,
    });
    assert.equal(post.headers['cache-control'], 'no-cache');
    assert.equal(post.headers['etag'], undefined);
  });
});
