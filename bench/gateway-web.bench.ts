/**
 * The web gateway end to end (issue 13, bench line): 200 one-page PDFs through the web API of a
 * real listening Signet (SQLite) — sign in, create the job, upload each PDF, Sign (phase one and
 * the consent push of every document), approve at the authorization server, callback, the
 * signing run (signHash in chunks over HTTP, embedding, sealed storage), and the signed ZIP —
 * timed against 200 raw RSA-2048 signatures plus SHA-256 over the same 200 files measured in the
 * same run, printed as a ratio. BENCH_WEB_DOCS changes the count.
 */
import { createHash, generateKeyPairSync, sign as rawSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { generateTotp } from '../src/auth/index.js';
import { buildServer, createLogger, createServices, loadServerConfig } from '../src/server/index.js';
import { credentialOperationsFor, serverSurfaces } from '../src/server/surfaces.js';
import { makeBasePdf } from '../test/support/pdf-fixtures.js';
import { Browser, hiddenFields } from '../test/gateway/support/web-jobs-env.js';

const count = Number(process.env['BENCH_WEB_DOCS'] ?? 200);

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-web-'));
  // A clock the bench moves one TOTP step per code (RFC 6238 §5.2: each step is accepted once).
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  const config = loadServerConfig({ dataDir: join(dir, 'data'), port: 0, env: { SIGNET_FAILED_REQUESTS_PER_MINUTE: '0' } });
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const services = await createServices(config, { clock, logger: createLogger('warn', quiet), scrypt: { N: 2 ** 14, r: 8, p: 1 }, credentials: credentialOperationsFor });
  const app = await buildServer(services, { surfaces: serverSurfaces(services) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  services.baseUrl.set(url);
  try {
    const password = 'bench password of the web gateway';
    const userId = await services.authenticator.createUser({ username: 'bench', password });
    const { secret } = await services.authenticator.enrollTotp({ userId });
    let step = Math.floor(Date.now() / 30_000);
    await services.authenticator.confirmTotp({ userId, code: generateTotp(secret, clock.now()) });
    const nextOtp = (): string => {
      step++;
      offset = step * 30_000 + 1_000 - Date.now();
      return generateTotp(secret, clock.now());
    };
    const { credentialID } = await credentialOperationsFor(services).create(
      { userId, backend: 'software', algorithm: 'RSA-2048', commonName: 'Bench signer', pin: '123456', multisign: 1000 },
      { via: 'api' },
    );
    const pdfs = Array.from({ length: count }, (_, i) => makeBasePdf({ text: `Bench document ${i}` }));

    const browser = new Browser();
    const json = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
      const res = await browser.request(`${url}/api/v1${path}`, {
        method,
        headers: { 'x-signet-request': '1', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300) fail(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, unknown>;
    };
    await json('POST', '/session', { username: 'bench', password, otp: nextOtp() });

    const started = performance.now();
    const { id } = (await json('POST', '/jobs', { credentialID, level: 'B-B' })) as { id: string };
    for (const [i, pdf] of pdfs.entries()) {
      const res = await browser.request(`${url}/api/v1/jobs/${id}/documents?name=doc-${i}.pdf`, { method: 'POST', headers: { 'content-type': 'application/pdf', 'x-signet-request': '1' }, body: pdf });
      if (res.status !== 201) fail(`upload ${i}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    const uploaded = performance.now();
    const { authorizationUrl } = (await json('POST', `/jobs/${id}/sign`)) as { authorizationUrl: string };
    const prepared = performance.now();
    // The person's approval (the web session carries over: consent, PIN and a fresh code).
    const consent = await browser.request(authorizationUrl);
    const html = await consent.text();
    const approved = await browser.request(`${url}/oauth2/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...hiddenFields(html), decision: 'approve', pin: '123456', ...(/<input name="otp"/.test(html) ? { otp: nextOtp() } : {}) }).toString(),
    });
    if (approved.status !== 303) fail(`approval: ${approved.status} ${await approved.text()}`);
    const consentDone = performance.now();
    const back = await browser.request(String(approved.headers.get('location')));
    if (back.status !== 303) fail(`callback: ${back.status} ${await back.text()}`);
    for (;;) {
      const job = await json('GET', `/jobs/${id}`);
      if (job['state'] === 'done' || job['state'] === 'failed') {
        if (job['signed'] !== count) fail(`job ended ${String(job['state'])} with ${String(job['signed'])} of ${count} signed`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const signedAt = performance.now();
    const zip = await browser.request(`${url}/api/v1/jobs/${id}/signed.zip`);
    const zipBytes = (await zip.arrayBuffer()).byteLength;
    const total = performance.now() - started;
    const interaction = consentDone - prepared;

    // The machine's floor for the same work, measured now: 200 raw RSA-2048 signatures + SHA-256 of each file.
    const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const rawStart = performance.now();
    for (const pdf of pdfs) rawSign('sha256', createHash('sha256').update(pdf).digest(), key);
    const raw = performance.now() - rawStart;

    const ms = (n: number): string => `${n.toFixed(0).padStart(6)} ms`;
    console.log(`web gateway, ${count} one-page PDFs (upload → signed ZIP, RSA-2048, B-B, SQLite):`);
    console.log(`  upload ${count} PDFs:                       ${ms(uploaded - started)}`);
    console.log(`  Sign (prepare + consent push + PAR):    ${ms(prepared - uploaded)}`);
    console.log(`  approval pages (consent + PIN + code):  ${ms(interaction)}`);
    console.log(`  signing run to done:                    ${ms(signedAt - consentDone)}`);
    console.log(`  signed ZIP (${(zipBytes / 1024).toFixed(0)} KiB):                  ${ms(performance.now() - signedAt - (performance.now() - started - total))}`);
    console.log(`  total:                                  ${ms(total)}  (${(count / (total / 1000)).toFixed(1)} documents/s)`);
    console.log(`raw: ${count} RSA-2048 signatures + SHA-256 of each file: ${ms(raw)}`);
    console.log(`ratio web / raw: ${(total / raw).toFixed(1)}×   (without the approval pages: ${((total - interaction) / raw).toFixed(1)}×)`);
  } finally {
    await app.close();
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
