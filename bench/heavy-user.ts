/**
 * One heavy user signing through the whole RSSP path (issue 16 §2): a `signet serve` node built as
 * the server builds it (SQLite), its credential on 1, 2 or 4 SoftHSM2 tokens each behind its own
 * `signet token-server` process (mutual TLS), or on the software keystore; credentials/authorize
 * once, then signHash with `signet_key: "any"` from several callers, each call a batch of hashes.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { decodeBase32, generateTotp } from '../src/auth/index.js';
import { ensureDemoAccount } from '../src/server/demo.js';
import {
  startTokenServerProcess,
  tokenServersEnv,
  tokenTlsFiles,
  type TokenServerProcess,
} from '../test/keys/support/token-server-process.js';
import {
  post,
  SHA256,
  ES256,
  sharedClock,
  startNode,
  type CscNode,
} from '../test/server/support/csc-nodes.js';

/** What one run measures. */
export interface HeavyUserOptions {
  readonly dir: string;
  /** Token counts to measure, e.g. [1, 2, 4]. */
  readonly tokens: readonly number[];
  /** Signatures per configuration (one authorization; at most 1000). */
  readonly signatures: number;
  /** Hashes per signHash call. */
  readonly batch: number;
  /** Concurrent signHash callers. */
  readonly callers: number;
}

/** Signatures per second by configuration (`software`, `1 token`, `2 tokens` …). */
export type HeavyUserRates = ReadonlyMap<string, number>;

/** Runs every configuration on one node and closes everything it started. */
export async function heavyUserRates(options: HeavyUserOptions): Promise<HeavyUserRates> {
  const closers: (() => unknown)[] = [];
  const hooks = { after: (fn: () => unknown) => void closers.push(fn) };
  try {
    const files = tokenTlsFiles(join(options.dir, 'tls'));
    const most = Math.max(...options.tokens);
    const servers: TokenServerProcess[] = await Promise.all(
      Array.from({ length: most }, (_, i) =>
        startTokenServerProcess(join(options.dir, `hsm-${i + 1}`), [`card-${i + 1}`], files),
      ),
    );
    closers.push(() => Promise.all(servers.map((s) => s.stop())));
    const clock = sharedClock();
    const node = await startNode(
      hooks,
      { dataDir: join(options.dir, 'data'), env: {} },
      'bench-node',
      clock,
      tokenServersEnv(files, Object.fromEntries(servers.map((s, i) => [`t${i + 1}`, s.url]))),
    );
    const { demo } = await ensureDemoAccount(node.services);
    const login = await post(
      node,
      'auth/login',
      {},
      `Basic ${Buffer.from(`${demo.username}:${demo.password}`).toString('base64')}`,
    );
    const bearer = `Bearer ${login.body['access_token'] as string}`;
    const rates = new Map<string, number>();
    const configurations: [string, string[]][] = [
      ['software', ['software']],
      ...options.tokens.map((n): [string, string[]] => [
        `${n} token${n === 1 ? '' : 's'}`,
        Array.from({ length: n }, (_, i) => `remote:t${i + 1}`),
      ]),
    ];
    for (const [name, backends] of configurations) {
      const credentialID = await credentialOn(node, demo.username, backends);
      const hashes = Array.from({ length: options.signatures }, (_, i) =>
        createHash('sha256').update(`${name} ${i}`).digest('base64'),
      );
      clock.advance(30_000);
      const authorized = await post(
        node,
        'credentials/authorize',
        {
          credentialID,
          numSignatures: hashes.length,
          hashes,
          hashAlgorithmOID: SHA256,
          authData: [
            { id: 'PIN', value: '112233' },
            { id: 'OTP', value: generateTotp(decodeBase32(demo.totpSecret), clock.now()) },
          ],
        },
        bearer,
      );
      if (authorized.status !== 200)
        throw new Error(`authorize: ${JSON.stringify(authorized.body)}`);
      const SAD = authorized.body['SAD'] as string;
      const batches: string[][] = [];
      for (let i = 0; i < hashes.length; i += options.batch)
        batches.push(hashes.slice(i, i + options.batch));
      let next = 0;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: options.callers }, async () => {
          while (next < batches.length) {
            const batch = batches[next++] as string[];
            const r = await post(
              node,
              'signatures/signHash',
              {
                credentialID,
                SAD,
                hashes: batch,
                hashAlgorithmOID: SHA256,
                signAlgo: ES256,
                signet_key: 'any',
              },
              bearer,
            );
            if (r.status !== 200) throw new Error(`signHash: ${JSON.stringify(r.body)}`);
          }
        }),
      );
      rates.set(name, hashes.length / ((performance.now() - start) / 1000));
    }
    return rates;
  } finally {
    for (const close of closers.reverse()) await close();
  }
}

/** A credential of `user` with one key on each of `backends` (the first at creation, the others added). */
async function credentialOn(
  node: CscNode,
  user: string,
  backends: readonly string[],
): Promise<string> {
  const origin = { via: 'cli' } as const;
  const { credentialID } = await node.services.admin.createCredential(
    {
      user,
      backend: backends[0] as string,
      algorithm: 'EC-P256',
      pin: '112233',
      commonName: 'Heavy User',
      multisign: 1000,
    },
    origin,
  );
  for (const backend of backends.slice(1))
    await node.services.admin.addCredentialKey(credentialID, backend, origin);
  return credentialID;
}
