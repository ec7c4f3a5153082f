/** RFC 3161 TSA over HTTP, judged by `openssl ts -reply -text` and `openssl ts -verify`. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTools, runTool } from '../../support/tools.js';
import type { PkiFixture } from '../support/pki-fixture.js';
import { caStoreSuites } from '../support/ca-stores.js';
import { servedPki, type PkiServer } from '../support/pki-server.js';

for (const { kind, skip } of await caStoreSuites()) {
  describe(`Time-Stamp Authority (RFC 3161, RFC 5816) — ${kind} CA store`, { skip }, () => {
    let pki: PkiFixture;
    let server: PkiServer;
    let dataFile: string;
    servedPki({ before, after }, (p, s) => ((pki = p), (server = s)), { store: kind, policyOid: '2.25.77' });
    before(async () => {
      dataFile = join(pki.dir, 'data.txt');
      writeFileSync(dataFile, 'the document to be timestamped\n');
    });

    async function stamp(name: string, queryArgs: string[]): Promise<{ reply: string; text: string }> {
      const q = join(pki.dir, `${name}.tsq`);
      const r = runTool('openssl', ['ts', '-query', '-data', dataFile, ...queryArgs, '-out', q]);
      assert.equal(r.status, 0, r.stderr);
      const res = await fetch(`${server.host.url}/tsa`, {
        method: 'POST',
        headers: { 'content-type': 'application/timestamp-query' },
        body: readFileSync(q),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/timestamp-reply');
      const reply = join(pki.dir, `${name}.tsr`);
      writeFileSync(reply, new Uint8Array(await res.arrayBuffer()));
      const text = runTool('openssl', ['ts', '-reply', '-in', reply, '-text']);
      assert.equal(text.status, 0, text.stderr);
      return { reply, text: text.stdout };
    }

    it('grants tokens that openssl ts -verify accepts (with certReq, nonce, policy, accuracy, ESSCertIDv2)', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const { reply, text } = await stamp('a', ['-sha256', '-cert']);
      assert.match(text, /Status: Granted\./);
      assert.match(text, /Policy OID: 2\.25\.77/);
      assert.match(text, /Nonce: 0x[0-9A-F]+/);
      assert.match(text, /Accuracy: 0x01 seconds/);
      assert.match(text, /TSA: DirName:.*Timestamp Authority/);
      const v = runTool('openssl', ['ts', '-verify', '-data', dataFile, '-in', reply, '-CAfile', pki.files.root, '-untrusted', pki.files.issuing]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
      assert.match(v.stdout, /Verification: OK/);
      // ESSCertIDv2 (signing-certificate-v2) is in the signed attributes.
      const token = join(pki.dir, 'a.token');
      assert.equal(runTool('openssl', ['ts', '-reply', '-in', reply, '-token_out', '-out', token]).status, 0);
      const cms = runTool('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', token]).stdout;
      assert.match(cms, /id-smime-aa-signingCertificateV2|1\.2\.840\.113549\.1\.9\.16\.2\.47/);
    });

    it('without certReq the token carries no certificates and verifies with -untrusted tsa.pem', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const { reply } = await stamp('b', ['-sha384']);
      const untrusted = join(pki.dir, 'untrusted.pem');
      writeFileSync(untrusted, readFileSync(pki.files.tsa, 'utf8') + readFileSync(pki.files.issuing, 'utf8'));
      const v = runTool('openssl', ['ts', '-verify', '-data', dataFile, '-in', reply, '-CAfile', pki.files.root, '-untrusted', untrusted]);
      assert.match(v.stdout, /Verification: OK/, v.stderr);
    });

    it('issues unique, increasing serial numbers', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const serials: bigint[] = [];
      for (const n of ['s1', 's2', 's3']) {
        const { text } = await stamp(n, ['-sha256']);
        serials.push(BigInt(/Serial number: (0x[0-9A-F]+)/.exec(text)?.[1] ?? '0'));
      }
      assert.ok((serials[0] ?? 0n) < (serials[1] ?? 0n) && (serials[1] ?? 0n) < (serials[2] ?? 0n), String(serials));
    });

    it('rejects SHA-1 with PKIFailureInfo badAlg and a foreign policy with unacceptedPolicy', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const sha1 = await stamp('sha1', ['-sha1']);
      assert.match(sha1.text, /Status: Rejected/);
      assert.match(sha1.text, /unrecognized or unsupported algorithm identifier/);
      const policy = await stamp('pol', ['-sha256', '-tspolicy', '1.2.3.4']);
      assert.match(policy.text, /Status: Rejected/);
      assert.match(policy.text, /requested TSA policy is not supported/);
    });

    it('answers garbage with badDataFormat and wrong media types with 415', async (t) => {
      if (!requireTools(t, 'openssl')) return;
      const res = await fetch(`${server.host.url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: new Uint8Array([0x30, 0x82, 0xff]) });
      const f = join(pki.dir, 'garbage.tsr');
      writeFileSync(f, new Uint8Array(await res.arrayBuffer()));
      const text = runTool('openssl', ['ts', '-reply', '-in', f, '-text']).stdout;
      assert.match(text, /Status: Rejected/);
      assert.match(text, /the data submitted has the wrong format/);
      const wrong = await fetch(`${server.host.url}/tsa`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
      assert.equal(wrong.status, 415);
    });
  });
}
