/**
 * The whole server as `signet serve` assembles it (buildServer + the CSC and OAuth2 surfaces) on a
 * store of either kind, with a clock tests move (TOTP steps), signers with a password, a confirmed
 * TOTP and a credential, and small helpers to log in, authorize and sign through inject().
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generateTotp } from '../../../src/auth/index.js';
import type { Clock } from '../../../src/core/clock.js';
import { buildServer, type Services } from '../../../src/server/index.js';
import { credentialOperationsFor, serverSurfaces } from '../../../src/server/surfaces.js';
import type { StoreKind } from '../../../src/store/index.js';
import { openServices, serverEnv } from './server-fixture.js';

/** A clock tests move forward. */
export interface MovableClock extends Clock {
  advance(ms: number): void;
  /**
   * From now on the clock reads the real time: for what a test does after its last OTP with the
   * in-process TSA, whose genTime is checked against the database's clock (docs/security.md FLT-17).
   */
  followRealTime(): void;
}

function movableClock(): MovableClock {
  let t = Math.floor(Date.now() / 30_000) * 30_000 + 1_000;
  let real = false;
  return { now: () => (real ? new Date() : new Date(t)), advance: (ms) => void (t += ms), followRealTime: () => void (real = true) };
}

/** A user with password, TOTP and one EC-P256 credential (PIN 123456). */
export interface Signer {
  readonly userId: string;
  readonly username: string;
  readonly password: string;
  readonly totpSecret: Uint8Array;
  readonly credentialId: string;
  readonly pin: string;
}

/** The assembled server. */
export interface ApiServer {
  readonly app: FastifyInstance;
  readonly services: Services;
  readonly clock: MovableClock;
  addSigner(username: string): Promise<Signer>;
  /** A fresh TOTP code (the clock moves one step first: codes are single-use, RFC 6238 §5.2). */
  nextOtp(signer: Signer): string;
  /** POST /csc/v2/<operation> with a JSON body. */
  csc(operation: string, body: unknown, options?: CallOptions): Promise<LightMyRequestResponse>;
  /** auth/login → a service access token. */
  login(signer: Signer, options?: Omit<CallOptions, 'bearer'>): Promise<string>;
  /** credentials/authorize with the right PIN and OTP → SAD for `hashes`. */
  authorize(signer: Signer, token: string, hashes: readonly string[], options?: Omit<CallOptions, 'bearer'>): Promise<string>;
}

/** Per-call transport options. */
export interface CallOptions {
  readonly bearer?: string;
  readonly remoteAddress?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export const SHA256_OID = '2.16.840.1.101.3.4.2.1';
export const ECDSA_SHA256_OID = '1.2.840.10045.4.3.2';

/** `n` distinct base64 SHA-256 digests. */
export function someHashes(n: number, salt = randomBytes(8).toString('hex')): string[] {
  return Array.from({ length: n }, (_, i) => createHash('sha256').update(`${salt}:${i}`).digest('base64'));
}

/** Opens the full server on `kind` with extra environment; undefined when PostgreSQL is skipped. */
export async function apiServer(
  t: TestContext,
  kind: StoreKind,
  env: NodeJS.ProcessEnv = {},
): Promise<ApiServer | undefined> {
  const base = await serverEnv(t, kind);
  if (!base) return undefined;
  const clock = movableClock();
  const services = await openServices(t, { ...base, env: { ...base.env, ...env } }, { clock, credentials: credentialOperationsFor });
  const app = await buildServer(services, { surfaces: serverSurfaces(services) });
  t.after(() => app.close());
  const credentials = credentialOperationsFor(services);

  const csc: ApiServer['csc'] = (operation, body, options = {}) =>
    app.inject({
      method: 'POST',
      url: `/csc/v2/${operation}`,
      headers: {
        'content-type': 'application/json',
        ...(options.bearer !== undefined ? { authorization: `Bearer ${options.bearer}` } : {}),
        ...options.headers,
      },
      ...(options.remoteAddress !== undefined ? { remoteAddress: options.remoteAddress } : {}),
      payload: JSON.stringify(body),
    });

  const server: ApiServer = {
    app,
    services,
    clock,
    async addSigner(username) {
      const password = `pw-${username}-${randomBytes(4).toString('hex')}`;
      const userId = await services.authenticator.createUser({ username, password });
      const { secret } = await services.authenticator.enrollTotp({ userId });
      await services.authenticator.confirmTotp({ userId, code: generateTotp(secret, clock.now()) });
      const { credentialID } = await credentials.create(
        { userId, backend: 'software', algorithm: 'EC-P256', commonName: `${username} signer`, pin: '123456' },
        { via: 'api' },
      );
      return { userId, username, password, totpSecret: secret, credentialId: credentialID, pin: '123456' };
    },
    nextOtp(signer) {
      clock.advance(30_000);
      return generateTotp(signer.totpSecret, clock.now());
    },
    csc,
    async login(signer, options = {}) {
      const basic = Buffer.from(`${signer.username}:${signer.password}`).toString('base64');
      const r = await csc('auth/login', {}, { ...options, headers: { authorization: `Basic ${basic}` } });
      if (r.statusCode !== 200) throw new Error(`login failed: ${r.body}`);
      return r.json<{ access_token: string }>().access_token;
    },
    async authorize(signer, token, hashes, options = {}) {
      const r = await csc(
        'credentials/authorize',
        {
          credentialID: signer.credentialId,
          numSignatures: hashes.length,
          hashes,
          hashAlgorithmOID: SHA256_OID,
          authData: [
            { id: 'PIN', value: signer.pin },
            { id: 'OTP', value: server.nextOtp(signer) },
          ],
        },
        { ...options, bearer: token },
      );
      if (r.statusCode !== 200) throw new Error(`authorize failed: ${r.body}`);
      return r.json<{ SAD: string }>().SAD;
    },
  };
  return server;
}
