/**
 * docs/security.md KEY-05, no export path: every route the assembled server registers (Fastify's own
 * route list) is called with every kind of caller (anonymous, a signer's bearer token, Basic
 * credentials, an admin token) and with the real ids in its path and body, after a real
 * authorize + signHash; then `signet` runs against the data directory: every command's help,
 * every read-only command, and the commands that create users, credentials and keys. No response body, header or CLI output may contain the private key material of any key the
 * server holds — the credentials' keys and the CA, TSA and OCSP keys, learnt here by opening their
 * envelopes with the KEK (PKCS#8 DER raw, base64, hex; the private scalar; the data keys; the KEK).
 * The source-level half of the row is test/architecture/private-key-export.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash, createPrivateKey } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { Db } from '../../src/store/index.js';
import { ECDSA_SHA256_OID, SHA256_OID, apiServer, someHashes } from './support/api-fixture.js';
import { captureIo } from './support/server-fixture.js';

interface Needle {
  readonly name: string;
  readonly bytes: Buffer;
}

function open(key: Uint8Array, box: { iv: string; ciphertext: string }, aad: string): Buffer {
  const ct = Buffer.from(box.ciphertext, 'base64');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(box.iv, 'base64'));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(ct.subarray(ct.length - 16));
  return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
}

function keyFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? keyFiles(p) : n.endsWith('.key.json') ? [p] : [];
  });
}

function forms(name: string, bytes: Buffer): Needle[] {
  return [
    { name: `${name} (raw)`, bytes },
    { name: `${name} (base64)`, bytes: Buffer.from(bytes.toString('base64').slice(0, 40)) },
    { name: `${name} (base64url)`, bytes: Buffer.from(bytes.toString('base64url').slice(0, 40)) },
    { name: `${name} (hex)`, bytes: Buffer.from(bytes.toString('hex').slice(0, 48)) },
    { name: `${name} (HEX)`, bytes: Buffer.from(bytes.toString('hex').slice(0, 48).toUpperCase()) },
  ];
}

/**
 * Every private key under `dataDir` and in the database (issue 16: the service keeps its keys
 * there), opened with the KEK the way the keystore format is specified.
 */
async function secretsOf(dataDir: string, db: Db, kek: Buffer): Promise<{ needles: Needle[]; keys: number; samplePem: string }> {
  const needles: Needle[] = [...forms('KEK', kek), { name: 'PEM private key marker', bytes: Buffer.from('PRIVATE KEY') }];
  const rows = await db.selectFrom('wrapped_keys').select('envelope').execute();
  const envelopes = [...keyFiles(dataDir).map((f) => readFileSync(f, 'utf8')), ...rows.map((r) => Buffer.from(r.envelope).toString('utf8'))];
  let samplePem = '';
  for (const envelope of envelopes) {
    const json = JSON.parse(envelope) as {
      ref: string;
      publicKey: string;
      dataKey: { iv: string; ciphertext: string };
      privateKey: { iv: string; ciphertext: string };
    };
    const dataKey = open(kek, json.dataKey, `signet-keystore-v1\u0000data-key\u0000${json.ref}`);
    const spkiHash = createHash('sha256').update(Buffer.from(json.publicKey, 'base64')).digest('hex');
    const pkcs8 = open(dataKey, json.privateKey, `signet-keystore-v1\u0000private-key\u0000${json.ref}\u0000${spkiHash}`);
    const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    samplePem ||= key.export({ format: 'pem', type: 'pkcs8' }).toString();
    const jwk = key.export({ format: 'jwk' });
    needles.push(...forms(`${json.ref} PKCS#8`, pkcs8), ...forms(`${json.ref} data key`, dataKey));
    // The scalar (EC d, RSA d and primes) as JWK has it: base64url, and raw.
    for (const part of ['d', 'p', 'q'] as const) {
      const v = jwk[part];
      if (typeof v === 'string') needles.push(...forms(`${json.ref} ${part}`, Buffer.from(v, 'base64url')));
    }
  }
  // A key moved into the database keeps its file aside (*.imported): count each key once.
  return { needles, keys: new Set(envelopes.map((e) => (JSON.parse(e) as { ref: string }).ref)).size, samplePem };
}

/**
 * Every route Fastify registered, with its full path, from `printRoutes()`'s tree: each line is
 * the suffix its parent line's path continues with (`└── /v1/users` under `admin`, `ed.zip` under
 * `/sign`), and its depth is where the branch marker stands.
 */
function registeredRoutes(tree: string): { method: string; path: string }[] {
  const stack: string[] = [];
  const out: { method: string; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[└├]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line.trimEnd());
    if (m === null) continue;
    const depth = (m[1] as string).length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + (m[2] as string);
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(', ')) {
      if (method !== '' && method !== 'HEAD') out.push({ method, path });
    }
  }
  return out;
}

function kekBytes(file: string): Buffer {
  const text = readFileSync(file);
  const s = text.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (text.length === 32) return text;
  return Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
}

function leaks(output: Buffer, needles: readonly Needle[]): string[] {
  return needles.filter((n) => output.includes(n.bytes)).map((n) => n.name);
}

describe('docs/security.md KEY-05: no route and no CLI command returns key material', () => {
  it('crawls every registered route with every caller, then every read-only signet command', async (t) => {
    const s = await apiServer(t, 'sqlite');
    if (!s) return;
    const dataDir = s.services.layout.root;
    const alice = await s.addSigner('kim');
    const token = await s.login(alice);
    const basic = Buffer.from(`${alice.username}:${alice.password}`).toString('base64');
    const admin = captureIo();
    assert.equal(await main(['admin', 'token', 'create', '--json', '--data', dataDir], admin), 0, admin.stderr.text);
    const adminToken = (JSON.parse(admin.stdout.text) as { access_token: string }).access_token;

    // A real signature first, so that every state a key goes through has happened.
    const hashes = someHashes(1);
    const sad = await s.authorize(alice, token, hashes);
    const signed = await s.csc('signatures/signHash', { credentialID: alice.credentialId, SAD: sad, hashes, hashAlgorithmOID: SHA256_OID, signAlgo: ECDSA_SHA256_OID }, { bearer: token });
    assert.equal(signed.statusCode, 200, signed.body);
    // The transparency log's key is made on first use: make it now, so that it is counted and
    // searched for like the others rather than appearing in the middle of the crawl.
    const logKey = await s.app.inject({ method: 'GET', url: '/api/v1/transparency/key' });
    assert.equal(logKey.statusCode, 200, logKey.body);

    const { needles, keys, samplePem } = await secretsOf(dataDir, s.services.store.db, kekBytes(s.services.layout.kekFile));
    assert.ok(keys >= 5, `the credential key and the CA keys were opened (${keys})`);
    // Control: a response carrying a key as PEM would be caught (base64 body, marker).
    assert.ok(leaks(Buffer.from(JSON.stringify({ key: samplePem })), needles).length >= 2);

    const routes = registeredRoutes(s.app.printRoutes({ commonPrefix: false }));
    // Control: the crawl names full paths, including nested ones (a regression once crawled
    // '/json' for '/documentation/json' when a route at '/' made every path a child of it).
    for (const path of ['/csc/v2/signatures/signHash', '/api/v1/me/audit/:seq', '/admin/v1/credentials/:id/revoke']) {
      assert.ok(routes.some((r) => r.path === path), `the crawl includes ${path}`);
    }
    assert.ok(routes.length >= 30, `${routes.length} routes`);
    const ids = [alice.credentialId, alice.userId, 'issuing'];
    // The web app's caller: a signed-in person's session cookie with the CSRF header.
    const signIn = await s.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json', 'x-signet-request': '1' },
      payload: JSON.stringify({ username: alice.username, password: alice.password, otp: s.nextOtp(alice) }),
    });
    assert.equal(signIn.statusCode, 200, signIn.body);
    const sessionCookie = String(signIn.headers['set-cookie']).split(';')[0] as string;
    const callers: Record<string, Record<string, string>> = {
      anonymous: {},
      session: { cookie: sessionCookie, 'x-signet-request': '1' },
      bearer: { authorization: `Bearer ${token}` },
      basic: { authorization: `Basic ${basic}` },
      admin: { authorization: `Bearer ${adminToken}` },
    };
    const found = new Map<string, string[]>();
    let calls = 0;
    let ok = 0;
    for (const { method, path } of routes) {
      for (const id of ids) {
        const url = path.replace(/:[A-Za-z_]+/g, encodeURIComponent(id)).replace(/\*/g, 'x');
        for (const [caller, headers] of Object.entries(callers)) {
          const body = { credentialID: alice.credentialId, credentialId: alice.credentialId, userId: alice.userId, certificates: 'chain', certInfo: true, authInfo: true, keyInfo: true };
          const r = await s.app.inject({
            method: method as 'GET',
            url,
            headers: { ...headers, ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }) },
            ...(method === 'GET' || method === 'DELETE' ? {} : { payload: JSON.stringify(body) }),
          });
          calls++;
          if (r.statusCode < 300) ok++;
          const output = Buffer.concat([r.rawPayload, Buffer.from(JSON.stringify(r.headers))]);
          const hit = leaks(output, needles);
          if (hit.length > 0) found.set(`${method} ${url} as ${caller}`, hit);
        }
        if (!path.includes(':')) break; // one round is enough without a path parameter
      }
    }
    t.diagnostic(`${routes.length} routes, ${calls} calls, ${ok} answered 2xx, ${needles.length} needles from ${keys} keys`);
    assert.deepEqual([...found], [], 'API responses');
    assert.ok(ok >= 15, 'the crawl reached real answers');

    // The CLI over the same data directory: every command's help, every read-only command, and the
    // commands that make keys (their new keys are opened afterwards and searched for too).
    const cli: string[][] = [
      ['admin', 'users', 'create', '--username', 'crawler', '--password', 'crawler-password-1', '--totp', '--data', dataDir],
      ['admin', 'credentials', 'create', '--user', 'crawler', '--pin', '246810', '--common-name', 'Crawler', '--data', dataDir],
      ['admin', 'credentials', 'create', '--user', 'crawler', '--algorithm', 'RSA-2048', '--json', '--data', dataDir],
      ['keys', 'generate', '--label', 'crawl-ec', '--algorithm', 'EC-P256', '--csr-subject', 'CN=Crawler', '--keystore', join(dataDir, 'keys'), '--kek-file', s.services.layout.kekFile],
      ['--help'],
      ...['admin', 'audit', 'ca', 'extend', 'keys', 'pki', 'serve', 'sign', 'sign-csc', 'token-server', 'verify'].map((c) => ['help', c]),
      ['admin', 'users', 'list', '--data', dataDir],
      ['admin', 'users', 'list', '--json', '--data', dataDir],
      ['admin', 'clients', 'list', '--json', '--data', dataDir],
      ['admin', 'credentials', 'list', '--data', dataDir],
      ['admin', 'credentials', 'list', '--json', '--data', dataDir],
      ['audit', 'verify', '--json', '--data', dataDir],
      ['keys', 'list', '--keystore', join(dataDir, 'keys'), '--kek-file', s.services.layout.kekFile],
      ['keys', 'list', '--keystore', join(dataDir, 'ca', 'keys'), '--kek-file', s.services.layout.kekFile],
      // Refused (the server's CA lives in the database), but its output is searched too.
      ['ca', 'crl', '--dir', join(dataDir, 'ca')],
    ];
    const outputs: { argv: string[]; text: string }[] = [];
    let cliOk = 0;
    for (const argv of cli) {
      const io = captureIo();
      const code = await main(argv, io);
      if (code === 0) cliOk++;
      t.diagnostic(`signet ${argv.join(' ').replaceAll(dataDir, 'DATA')} → ${code}${code === 0 ? '' : `: ${io.stderr.text.split('\n')[0] ?? ''}`}`);
      outputs.push({ argv, text: io.stdout.text + io.stderr.text });
    }
    const after = await secretsOf(dataDir, s.services.store.db, kekBytes(s.services.layout.kekFile));
    assert.equal(after.keys, keys + 3, 'the two credentials and the generated key were opened too');
    const cliFound = new Map<string, string[]>();
    for (const { argv, text } of outputs) {
      const hit = leaks(Buffer.from(text), after.needles);
      if (hit.length > 0) cliFound.set(argv.join(' '), hit);
    }
    t.diagnostic(`${cli.length} CLI invocations, ${cliOk} exited 0`);
    assert.deepEqual([...cliFound], [], 'CLI output');
    assert.equal(cliOk, cli.length - 1, 'every command but the refused ca crl ran');
  });
});
