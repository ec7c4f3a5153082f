/**
 * `signet serve` nodes as child processes on one database behind a round-robin TCP proxy on
 * loopback (issue 17, "Done means"), and a signing load through it: several clients each sending
 * signHash calls of one hash, on one SAD of up to 1,000 hashes obtained with the demo account's
 * PIN and TOTP. Used by test/server/cluster-signing.test.ts and bench/nodes.bench.ts.
 */
import { createHash, randomBytes, X509Certificate, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../../../src/auth/totp.js';
import type { DemoAccount } from '../../../src/server/demo.js';
import { startServe, type ServeProcess } from './serve-process.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const ES256 = '1.2.840.10045.4.3.2';

/** A TCP proxy handing each new connection to the next target in turn. */
export interface RoundRobinProxy {
  readonly port: number;
  /** Connections handed to each target so far. */
  readonly connections: number[];
  close(): Promise<void>;
}

/** Starts the proxy on 127.0.0.1 (port 0) in front of `targets` (ports on 127.0.0.1). */
export async function startRoundRobinProxy(targets: readonly number[]): Promise<RoundRobinProxy> {
  const connections = targets.map(() => 0);
  let next = 0;
  const server: Server = createServer((client) => {
    const i = next++ % targets.length;
    connections[i] = (connections[i] ?? 0) + 1;
    const upstream = createConnection({ host: '127.0.0.1', port: targets[i] as number });
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    connections,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.emit('close');
      }),
  };
}

/** Nodes and the proxy in front of them. */
export interface SignetCluster {
  readonly nodes: readonly ServeProcess[];
  readonly proxy: RoundRobinProxy;
  /** The proxy's base URL. */
  readonly url: string;
  readonly demo: DemoAccount;
  stop(): Promise<void>;
}

/**
 * Starts `count` nodes on one data directory and the database of `env` (DATABASE_URL or the
 * SQLite file): the first with `--demo` (it creates the demo account), the others after it.
 */
export async function startSignetCluster(
  count: number,
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<SignetCluster> {
  const nodes: ServeProcess[] = [];
  try {
    nodes.push(
      await startServe(
        ['--data', dataDir, '--demo'],
        { ...env, SIGNET_NODE_ID: 'node-1' },
        120_000,
      ),
    );
    for (let i = 2; i <= count; i++)
      nodes.push(
        await startServe(['--data', dataDir], { ...env, SIGNET_NODE_ID: `node-${i}` }, 120_000),
      );
  } catch (err) {
    for (const n of nodes) await n.stop();
    throw err;
  }
  const proxy = await startRoundRobinProxy(nodes.map((n) => n.port));
  const demo = await withBatchCredential(
    (nodes[0] as ServeProcess).url,
    (nodes[0] as ServeProcess).stdout(),
    JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoAccount,
  );
  return {
    nodes,
    proxy,
    url: `http://127.0.0.1:${proxy.port}`,
    demo,
    stop: async () => {
      await proxy.close();
      for (const n of nodes) await n.stop();
    },
  };
}

/**
 * The demo account with a further credential of the demo user that one authorization may use
 * for 1,000 signatures (CSC `multisign`; the demo credential allows 100), created through the
 * admin API with the first start's set-up token.
 */
async function withBatchCredential(
  url: string,
  firstStdout: string,
  demo: DemoAccount,
): Promise<DemoAccount> {
  const setupToken = /set-up token \(shown once\): (\S+)/.exec(firstStdout)?.[1];
  if (setupToken === undefined) throw new Error(`no set-up token in:\n${firstStdout}`);
  const json = { 'content-type': 'application/json' };
  const setup = await fetch(`${url}/admin/v1/setup`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ setupToken }),
  });
  if (setup.status !== 200) throw new Error(`admin setup: ${setup.status} ${await setup.text()}`);
  const admin = `Bearer ${String(((await setup.json()) as Record<string, unknown>)['access_token'])}`;
  const created = await fetch(`${url}/admin/v1/credentials`, {
    method: 'POST',
    headers: { ...json, authorization: admin },
    body: JSON.stringify({
      user: demo.username,
      commonName: 'Signet cluster batch',
      pin: demo.pin,
      algorithm: 'EC-P256',
      multisign: 1000,
    }),
  });
  if (created.status !== 201)
    throw new Error(`credential: ${created.status} ${await created.text()}`);
  return {
    ...demo,
    credentialID: String(((await created.json()) as Record<string, unknown>)['credentialID']),
  };
}

async function csc(
  url: string,
  operation: string,
  body: unknown,
  authorization: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/csc/v2/${operation}`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What a signing run gives back. */
export interface SigningRun {
  /** Base64 hash → base64 signature. */
  readonly signatures: ReadonlyMap<string, string>;
  /** Base64 hash → the random bytes it is the SHA-256 of (to verify the signature). */
  readonly preimages: ReadonlyMap<string, Buffer>;
  /** Each signHash call's latency in milliseconds, in completion order. */
  readonly latenciesMs: readonly number[];
  /** Wall time of the signHash calls (authorization excluded). */
  readonly elapsedMs: number;
  /** The credential's certificate (to verify the signatures). */
  readonly certificate: X509Certificate;
  /** Answers other than 200, with their bodies. */
  readonly failures: readonly string[];
}

/**
 * Logs the demo user in, authorizes `count` random hashes on one SAD (PIN + the TOTP of now), and
 * signs them through `url` from `clients` concurrent clients, one hash per signHash call.
 */
export async function signThroughCluster(
  url: string,
  demo: DemoAccount,
  count: number,
  clients: number,
): Promise<SigningRun> {
  const basic = `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`;
  const login = await csc(url, 'auth/login', {}, basic);
  if (login.status !== 200)
    throw new Error(`auth/login: ${login.status} ${JSON.stringify(login.body)}`);
  const bearer = `Bearer ${String(login.body['access_token'])}`;
  const info = await csc(
    url,
    'credentials/info',
    { credentialID: demo.credentialID, certInfo: true, certificates: 'single' },
    bearer,
  );
  const cert = (info.body['cert'] as { certificates: string[] }).certificates[0] as string;
  const preimages = new Map<string, Buffer>();
  const hashes = Array.from({ length: count }, () => {
    const data = randomBytes(32);
    const hash = createHash('sha256').update(data).digest('base64');
    preimages.set(hash, data);
    return hash;
  });
  const authorize = await csc(
    url,
    'credentials/authorize',
    {
      credentialID: demo.credentialID,
      numSignatures: count,
      hashes,
      hashAlgorithmOID: SHA256,
      authData: [
        { id: 'PIN', value: demo.pin },
        { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), new Date()) },
      ],
    },
    bearer,
  );
  if (authorize.status !== 200)
    throw new Error(`credentials/authorize: ${authorize.status} ${JSON.stringify(authorize.body)}`);
  const SAD = String(authorize.body['SAD']);
  const signatures = new Map<string, string>();
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < hashes.length; i = next++) {
        const hash = hashes[i] as string;
        const t0 = performance.now();
        const r = await csc(
          url,
          'signatures/signHash',
          {
            credentialID: demo.credentialID,
            SAD,
            hashes: [hash],
            hashAlgorithmOID: SHA256,
            signAlgo: ES256,
          },
          bearer,
        );
        latenciesMs.push(performance.now() - t0);
        if (r.status === 200) signatures.set(hash, (r.body['signatures'] as string[])[0] as string);
        else failures.push(`${r.status} ${JSON.stringify(r.body)}`);
      }
    }),
  );
  return {
    signatures,
    preimages,
    latenciesMs,
    elapsedMs: performance.now() - started,
    certificate: new X509Certificate(Buffer.from(cert, 'base64')),
    failures,
  };
}

/** True when `signature` (DER ECDSA, RFC 5758 §3.2) is the credential key's ecdsa-with-SHA256 over `data`. */
export function verifiesOver(
  certificate: X509Certificate,
  data: Buffer,
  signature: string,
): boolean {
  return verify(
    'sha256',
    data,
    { key: certificate.publicKey, dsaEncoding: 'der' },
    Buffer.from(signature, 'base64'),
  );
}

/** The q-quantile (0–1) of `values` (nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
  );
}
