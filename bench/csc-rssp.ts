/**
 * Signet's RSSP assembled for benchmarks as `signet serve` assembles it (SQLite store, software
 * keystore, built-in CA, Authenticator with TOTP, SadService, createCscService, cscRoutes on
 * Fastify) and listening on 127.0.0.1:0. The clock is the system clock plus an offset the bench
 * moves forward one TOTP step per authorization (codes are single-use, RFC 6238 §5.2).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createAuditKey, type AuditContext } from '../src/audit/index.js';
import { Authenticator, SadService, createAesGcmSecretBox, createScryptHasher, generateTotp } from '../src/auth/index.js';
import type { Clock } from '../src/core/clock.js';
import { createCredential, createCscService, type CredentialAlgorithm } from '../src/csc/index.js';
import { Kek, SoftwareKeystore } from '../src/keys/index.js';
import { CertificateAuthority, FileCaStore, createCaHierarchy } from '../src/pki/index.js';
import { cscRoutes } from '../src/server/routes/csc-routes.js';
import { connectStore } from '../src/store/index.js';

/** A user as the bench client sees it (plain data: it crosses to the main thread). */
export interface BenchUserData {
  readonly username: string;
  readonly password: string;
  /** credentialID by algorithm. */
  readonly credentials: Readonly<Record<string, string>>;
  readonly pin: string;
  readonly totpSecret: Uint8Array;
}

export interface BenchUser extends BenchUserData {
  /** A fresh TOTP code (moves the server clock to the next step first). */
  nextOtp(): string;
}

/** The clock shared by server and client: system time plus `steps[0]` TOTP steps. */
export function offsetClock(steps: Int32Array): Clock {
  return { now: () => new Date(Date.now() + Atomics.load(steps, 0) * 30_000) };
}

/** Adds the fresh-code function to a user (moves the shared clock one TOTP step). */
export function withOtp(user: BenchUserData, steps: Int32Array): BenchUser {
  const clock = offsetClock(steps);
  return {
    ...user,
    nextOtp: () => {
      Atomics.add(steps, 0, 1);
      return generateTotp(user.totpSecret, clock.now());
    },
  };
}

export interface BenchRssp {
  readonly url: string;
  readonly users: readonly BenchUser[];
  readonly rootCertificate: Uint8Array;
  close(): Promise<void>;
}

/** Starts the RSSP with `userCount` users, each with one credential per algorithm (multisign 1000). */
export async function startBenchRssp(
  userCount: number,
  algorithms: readonly CredentialAlgorithm[],
  steps: Int32Array = new Int32Array(new SharedArrayBuffer(4)),
): Promise<BenchRssp> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-csc-'));
  const clock = offsetClock(steps);
  const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.generate(), clock });
  mkdirSync(join(dir, 'ca'));
  const caStore = new FileCaStore(join(dir, 'ca'));
  const urls = {};
  const hierarchy = await createCaHierarchy({ backend: keystore, store: caStore, clock, urls, organization: 'Signet Bench', country: 'BE' });
  const ca = new CertificateAuthority({ id: 'issuing', key: { backend: keystore, ref: hierarchy.issuing.keyRef, algorithm: hierarchy.algorithm }, certificate: hierarchy.issuing.certificate, store: caStore, clock, urls });
  const store = await connectStore({ kind: 'sqlite', file: join(dir, 'signet.db') });
  const audit: AuditContext = { key: createAuditKey(randomBytes(32)), nodeId: 'bench', clock };
  const hasher = createScryptHasher({ N: 2 ** 14, r: 8, p: 1 });
  const authenticator = new Authenticator({ store, clock, audit, hasher, secretBox: createAesGcmSecretBox(randomBytes(32)) });
  const sads = new SadService({ store, clock, audit });
  const keyBackends = new Map([['software', keystore]]);
  const csc = createCscService({
    store,
    clock,
    audit,
    sads,
    authenticator,
    keyBackends,
    ca,
    info: { name: 'Signet bench', logo: 'https://signet.invalid/logo.png', region: 'BE', lang: 'en-US', description: 'benchmark RSSP' },
  });
  const app = Fastify({ logger: false });
  await app.register(cscRoutes, { csc, bodyLimit: 1024 * 1024 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const lifecycle = { store, clock, audit, hasher, keyBackends, ca, caChain: [hierarchy.issuing.certificate, hierarchy.root.certificate] };

  const users: BenchUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const username = `bench-${i}`;
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const userId = await authenticator.createUser({ username, password });
    const { secret } = await authenticator.enrollTotp({ userId });
    await authenticator.confirmTotp({ userId, code: generateTotp(secret, clock.now()) });
    const pin = '246813';
    const credentials: Record<string, string> = {};
    for (const algorithm of algorithms) {
      const { credentialID } = await createCredential(lifecycle, { userId, backend: 'software', algorithm, pin, subject: { commonName: `${username} ${algorithm}`, country: 'BE' }, multisign: 1000 });
      credentials[algorithm] = credentialID;
    }
    users.push(withOtp({ username, password, credentials, pin, totpSecret: secret }, steps));
  }
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/csc/v2`,
    users,
    rootCertificate: hierarchy.root.certificate,
    async close() {
      await app.close();
      await store.close();
      await keystore.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
