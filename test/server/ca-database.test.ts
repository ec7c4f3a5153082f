/**
 * `signet serve` keeps the CA's records in its database (issue 6, docs/security.md SAD-16): a fresh data
 * directory starts there, an older one (ca-store.json) is imported once and audited, and a
 * revocation at the CA — without the credential revocation path — stops signing with an
 * already-issued SAD at once, shows in credentials/info and in OCSP. On SQLite and PostgreSQL.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyAuditStore } from '../../src/audit/index.js';
import { decodeBase32, generateTotp } from '../../src/auth/index.js';
import { systemClock } from '../../src/core/clock.js';
import {
  OcspClient,
  PkiError,
  handlerFetch,
  initCaDirectory,
  openCaDirectory,
  parseCertificate,
  serialToHex,
  tsaSerialCounter,
} from '../../src/pki/index.js';
import { bootstrapDataDir, buildServer, type Services } from '../../src/server/index.js';
import { ensureDemoAccount } from '../../src/server/demo.js';
import { credentialOperationsFor, serverSurfaces } from '../../src/server/surfaces.js';
import { storeKinds } from '../support/stores.js';
import { configFor, openServices, serverEnv } from './support/server-fixture.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ES256 = '1.2.840.10045.4.3.2';
const b64 = (label: string): string => createHash('sha256').update(label).digest('base64');

async function auditOf(services: Services, type: string) {
  const rows = await services.store.db.selectFrom('audit_log').selectAll().where('event_type', '=', type).orderBy('seq').execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}

function ocspClient(services: Services): OcspClient {
  return new OcspClient({ clock: services.clock, url: 'http://in-process/pki/ocsp', fetch: handlerFetch(services.ocsp.handler) });
}

describe('signet serve: the CA records in the service database', () => {
  for (const kind of storeKinds) {
    it(`${kind}: a fresh data directory records its CA in the database (audited), ca.json says so and file-store tools refuse it`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const services = await openServices(t, env);
      const caDir = join(env.dataDir, 'ca');
      assert.equal(existsSync(join(caDir, 'ca-store.json')), false, 'no file store');
      assert.equal((JSON.parse(readFileSync(join(caDir, 'ca.json'), 'utf8')) as { store?: string }).store, 'database');
      const tsaSerial = serialToHex(new Uint8Array(parseCertificate(services.caDirectory.tsaCertificate).tbsCertificate.serialNumber));
      assert.equal((await services.caStore.getCertificate(tsaSerial))?.profile, 'tsa');
      const issued = await auditOf(services, 'ca.certificate.issue');
      assert.ok(issued.some((e) => e.subject === `certificate:${tsaSerial}`), 'the TSA certificate issuance is audited');
      await assert.rejects(
        openCaDirectory(caDir, { clock: systemClock, kekFile: join(env.dataDir, 'kek') }),
        (e: unknown) => e instanceof PkiError && e.code === 'ERR_PKI_CA_DIR_INVALID',
      );
    });

    it(`${kind}: an older data directory's ca-store.json is imported once (audited), revocations and counters included; credential serials are backfilled`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      // The layout signet serve wrote before the database store: a CA directory with ca-store.json.
      const boot = await bootstrapDataDir(configFor(env));
      await initCaDirectory({ dir: boot.layout.caDir, clock: systemClock, organization: 'Signet', ...boot.kekChoice });
      const legacy = await openCaDirectory(boot.layout.caDir, { clock: systemClock, ...boot.kekChoice });
      const key = await legacy.keystore.generateKey({ type: 'EC', curve: 'P-256' });
      const lee = await legacy.ca.issue({ subject: { commonName: 'Legacy Lee' }, subjectPublicKey: key.publicKey, profile: 'signing' });
      await legacy.ca.revoke(lee.serialHex, 'keyCompromise');
      await legacy.store.nextCounter(tsaSerialCounter, 7);
      await legacy.close();
      assert.ok(existsSync(join(boot.layout.caDir, 'ca-store.json')));

      const first = await openServices(t, env, { credentials: credentialOperationsFor });
      assert.equal(existsSync(join(boot.layout.caDir, 'ca-store.json')), false);
      assert.ok(existsSync(join(boot.layout.caDir, 'ca-store.json.imported')));
      assert.deepEqual((await first.caStore.getCertificate(lee.serialHex))?.revocation?.reason, 'keyCompromise');
      const status = await ocspClient(first).check(lee.der, first.ca.certificate);
      assert.equal(status.status, 'revoked');
      assert.equal(await first.caStore.nextCounter(tsaSerialCounter), 8n, 'the TSA serial continues after the imported block');
      const imports = await auditOf(first, 'ca.store.import');
      assert.equal(imports.length, 1);
      assert.ok(Number(imports[0]?.details['certificates']) >= 3, JSON.stringify(imports[0]?.details));
      // A credential whose row predates certificate_serial gets it back at the next start.
      const user = await first.admin.createUser({ username: 'carol', password: 'password-carol' }, { via: 'cli' });
      const { credentialID } = await first.admin.createCredential(
        { user: user.userId, backend: 'software', algorithm: 'EC-P256', pin: '123456', commonName: 'Carol' },
        { via: 'cli' },
      );
      const serialOf = async (s: Services) =>
        (await s.store.db.selectFrom('credentials').select('certificate_serial').where('id', '=', credentialID).executeTakeFirstOrThrow()).certificate_serial;
      const serial = await serialOf(first);
      assert.match(serial ?? '', /^[0-9a-f]+$/);
      await first.store.db.updateTable('credentials').set({ certificate_serial: null }).where('id', '=', credentialID).execute();
      await first.close();

      const second = await openServices(t, env, { credentials: credentialOperationsFor });
      assert.equal((await auditOf(second, 'ca.store.import')).length, 1, 'imported once');
      assert.equal(await serialOf(second), serial, 'backfilled');
      const report = await verifyAuditStore(second.store, second.auditKey);
      assert.equal(report.ok, true, JSON.stringify(report.problems));
    });

    it(`${kind}: SAD-16 a revocation at the CA alone (CertificateAuthority.revoke) refuses the next signHash on an issued SAD, audited; info says revoked; OCSP answers revoked`, async (t) => {
      const env = await serverEnv(t, kind);
      if (!env) return;
      const services = await openServices(t, env, { credentials: credentialOperationsFor });
      const app = await buildServer(services, { surfaces: serverSurfaces(services) });
      t.after(() => app.close());
      const { demo } = await ensureDemoAccount(services);
      const call = async (operation: string, body: unknown, authorization: string) => {
        const res = await app.inject({ method: 'POST', url: `/csc/v2/${operation}`, headers: { authorization, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        return { status: res.statusCode, body: res.json<Record<string, any>>() }; // eslint-disable-line @typescript-eslint/no-explicit-any
      };
      const login = await call('auth/login', {}, `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`);
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const bearer = `Bearer ${login.body['access_token'] as string}`;
      const otp = generateTotp(decodeBase32(demo.totpSecret), services.clock.now());
      const authorized = await call('credentials/authorize', {
        credentialID: demo.credentialID,
        numSignatures: 3,
        hashes: [b64('1'), b64('2'), b64('3')],
        hashAlgorithmOID: SHA256,
        authData: [{ id: 'PIN', value: demo.pin }, { id: 'OTP', value: otp }],
      }, bearer);
      assert.equal(authorized.status, 200, JSON.stringify(authorized.body));
      const SAD = authorized.body['SAD'] as string;
      const signHash = (hash: string) => call('signatures/signHash', { credentialID: demo.credentialID, SAD, hashes: [hash], hashAlgorithmOID: SHA256, signAlgo: ES256 }, bearer);
      assert.equal((await signHash(b64('1'))).status, 200);

      const info = await call('credentials/info', { credentialID: demo.credentialID, certInfo: true, certificates: 'chain' }, bearer);
      const serialHex = (info.body['cert']['serialNumber'] as string).toLowerCase();
      const leaf = new Uint8Array(Buffer.from(info.body['cert']['certificates'][0] as string, 'base64'));
      assert.equal(info.body['cert']['status'], 'valid');

      // Revoked at the CA only (as an administrator by serial, or another node, would): the credential row stays active.
      await services.ca.revoke(serialHex, 'keyCompromise');
      const refused = await signHash(b64('2'));
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body['error'], 'invalid_request');
      assert.equal(refused.body['error_description'], 'Signing certificate is revoked');
      const row = await services.store.db.selectFrom('credentials').select(['status']).where('id', '=', demo.credentialID).executeTakeFirstOrThrow();
      assert.equal(row.status, 'active', 'the credential revocation path was not used');
      const left = await services.store.db.selectFrom('sads').select('remaining').where('credential_id', '=', demo.credentialID).executeTakeFirstOrThrow();
      assert.equal(Number(left.remaining), 2, 'the refused call consumed nothing');

      const failures = (await auditOf(services, 'sad.consume')).filter((e) => e.outcome === 'failure');
      assert.equal(failures.length, 1);
      assert.equal(failures[0]?.details['error'], 'ERR_SAD_CERTIFICATE_REVOKED');
      assert.equal((await auditOf(services, 'ca.certificate.revoke')).at(-1)?.subject, `certificate:${serialHex}`);

      const after = await call('credentials/info', { credentialID: demo.credentialID, certInfo: true }, bearer);
      assert.equal(after.body['cert']['status'], 'revoked');
      const ocsp = await ocspClient(services).check(leaf, services.ca.certificate);
      assert.equal(ocsp.status, 'revoked');
      assert.equal(ocsp.revocationReason, 'keyCompromise');
    });
  }
});
