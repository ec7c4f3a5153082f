/**
 * Signet's RSSP for benchmarks, assembled exactly as `signet serve` assembles it: createServices
 * on a fresh data dir (SQLite, software keystore, built-in CA and TSA), buildServer with every
 * surface (security headers, trace ids, request limits, request logging at the configured level
 * to a log file written the way `signet serve` writes its stdout), listening on 127.0.0.1:0. Users and credentials come from the admin service.
 * The only difference is the clock: system time plus an offset the bench moves forward one TOTP
 * step per authorization (codes are single-use, RFC 6238 §5.2).
 * BENCH_CSC_STORE=postgres runs it on a fresh PostgreSQL database (created on the server of
 * SIGNET_TEST_PG, default postgres://postgres@127.0.0.1:5432/postgres, and dropped at close).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { decodeBase32, generateTotp } from '../src/auth/index.js';
import type { Clock } from '../src/core/clock.js';
import type { CredentialAlgorithm } from '../src/csc/index.js';
import { buildServer, createServices, loadServerConfig, type CreateServicesOptions } from '../src/server/index.js';
import { credentialOperationsFor, serverSurfaces } from '../src/server/surfaces.js';

/**
 * The log file, written as `signet serve` writes its log to stdout: synchronously, one write(2)
 * per line from the calling thread (Node's stdout is synchronous on Linux for files, pipes and
 * sockets). An fs.WriteStream, as before, hands every line to the libuv thread pool and wakes a
 * thread per request, which production does not pay.
 */
function syncLogFile(path: string): Writable {
  const fd = openSync(path, 'a');
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      writeSync(fd, chunk);
      done();
    },
    final(done) {
      closeSync(fd);
      done();
    },
  });
}

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
  /** The CPU time of the server's own thread so far, in ms (worker only: inline it shares the client's). */
  serverCpuMs?(): Promise<number | undefined>;
  /** The server thread's id (worker only, Linux). */
  serverThreadId?(): Promise<number | undefined>;
  close(): Promise<void>;
}

/** Starts the RSSP with `userCount` users, each with one credential per algorithm (multisign 1000). */
export async function startBenchRssp(
  userCount: number,
  algorithms: readonly CredentialAlgorithm[],
  steps: Int32Array = new Int32Array(new SharedArrayBuffer(4)),
  without?: CreateServicesOptions['benchmarkWithout'],
): Promise<BenchRssp> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bench-csc-'));
  // SIGNET_SIGNING_THREADS passes through, to compare signing on the event loop with the pool.
  const threads = process.env['SIGNET_SIGNING_THREADS'];
  const database = process.env['BENCH_CSC_STORE'] === 'postgres' ? await createBenchDatabase() : undefined;
  const env: Record<string, string> = {
    ...(threads === undefined ? {} : { SIGNET_SIGNING_THREADS: threads }),
    ...(database === undefined ? {} : { DATABASE_URL: database.url }),
  };
  const config = loadServerConfig({ dataDir: join(dir, 'data'), port: 0, env });
  const log = syncLogFile(join(dir, 'server.log'));
  const services = await createServices(config, {
    clock: offsetClock(steps),
    logDestination: log,
    scrypt: { N: 2 ** 14, r: 8, p: 1 },
    credentials: credentialOperationsFor,
    ...(without === undefined ? {} : { benchmarkWithout: without }),
  });
  const app = await buildServer(services, { surfaces: serverSurfaces(services) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  services.baseUrl.set(base);

  const origin = { via: 'cli' as const };
  const users: BenchUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const username = `bench-${i}`;
    const password = `pw-bench-${i}-${process.pid}`;
    const created = await services.admin.createUser({ username, password, totp: true }, origin);
    const pin = '246813';
    const credentials: Record<string, string> = {};
    for (const algorithm of algorithms) {
      const { credentialID } = await services.admin.createCredential(
        { user: created.userId, backend: 'software', algorithm, pin, commonName: `${username} ${algorithm}`, multisign: 1000 },
        origin,
      );
      credentials[algorithm] = credentialID;
    }
    const totpSecret = decodeBase32(created.totp?.secret ?? '');
    users.push(withOtp({ username, password, credentials, pin, totpSecret }, steps));
  }
  return {
    url: `${base}/csc/v2`,
    users,
    rootCertificate: services.rootCertificate,
    async close() {
      await app.close();
      await services.close();
      log.end();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh PostgreSQL database for one bench run, on the server of SIGNET_TEST_PG. */
async function createBenchDatabase(): Promise<{ readonly url: string; drop(): Promise<void> }> {
  const admin = process.env['SIGNET_TEST_PG'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `signet_bench_${randomBytes(6).toString('hex')}`;
  const run = async (text: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}
