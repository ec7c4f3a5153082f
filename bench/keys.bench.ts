/**
 * Key backend throughput: signatures/s of the software keystore, PKCS#11 on SoftHSM and the
 * remote token server (→ SoftHSM), with 1 and N concurrent callers, next to raw node:crypto
 * signs/s measured in the same run (the ratio is what to watch). Then one heavy user through the
 * whole RSSP (signHash with `signet_key: "any"`) on the software keystore and on 1, 2 and 4
 * SoftHSM2 tokens behind token-server processes (heavy-user.ts), next to the raw PKCS#11 rate of
 * one SoftHSM2 token in process from the first part (issue 16 §2).
 */
import { createHash, generateKeyPairSync, sign as rawSign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Kek,
  Pkcs11Backend,
  RemoteKeyBackend,
  SoftwareKeystore,
  TokenServer,
  type KeyBackend,
  type KeySpec,
  type SignRequest,
} from '../src/keys/index.js';
import { initSoftHsm, softhsmModule } from '../test/keys/support/softhsm.js';
import { heavyUserRates } from './heavy-user.js';
import { makeMutualTls } from '../test/keys/support/tls.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 1.5);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const heavy = {
  tokens: (process.env['BENCH_HEAVY_TOKENS'] ?? '1,2,4').split(',').map(Number),
  signatures: Number(process.env['BENCH_HEAVY_SIGNATURES'] ?? 400),
  batch: Number(process.env['BENCH_HEAVY_BATCH'] ?? 10),
};

function rawRate(type: 'rsa' | 'ec'): number {
  const { privateKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const data = Buffer.from('raw');
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  let n = 0;
  while (performance.now() < end) {
    rawSign('sha256', data, privateKey);
    n++;
  }
  return n / ((performance.now() - start) / 1000);
}

async function backendRate(
  backend: KeyBackend,
  ref: string,
  request: SignRequest,
  callers: number,
): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        await backend.sign(ref, request);
        n++;
      }
    }),
  );
  return n / ((performance.now() - start) / 1000);
}

const dir = mkdtempSync(join(tmpdir(), 'signet-bench-keys-'));
const cleanup: (() => Promise<void>)[] = [];
try {
  const tokens = initSoftHsm(join(dir, 'hsm'), ['bench-1', 'bench-2']);
  const [t1, t2] = tokens as [(typeof tokens)[0], (typeof tokens)[0]];
  const software = await SoftwareKeystore.open({ dir: join(dir, 'ks'), kek: Kek.generate() });
  const softhsm = await Pkcs11Backend.open({
    module: softhsmModule,
    tokens: [{ label: t1.label, pin: t1.pin, maxSessions: concurrency }],
  });
  const served = await Pkcs11Backend.open({
    module: softhsmModule,
    tokens: [{ label: t2.label, pin: t2.pin, maxSessions: concurrency }],
  });
  mkdirSync(join(dir, 'tls'));
  const tls = makeMutualTls(join(dir, 'tls'));
  const server = await TokenServer.start({ backend: served, tls: tls.server });
  const remote = new RemoteKeyBackend({
    url: server.url,
    tls: tls.client,
    maxSockets: concurrency,
  });
  cleanup.push(
    () => remote.close(),
    () => server.close(),
    () => served.close(),
    () => softhsm.close(),
    () => software.close(),
  );

  const raw = { rsa: rawRate('rsa'), ec: rawRate('ec') };
  console.log(
    `raw node:crypto (1 thread): RSA-2048 ${raw.rsa.toFixed(0)} signs/s, EC-P256 ${raw.ec.toFixed(0)} signs/s`,
  );
  console.log(
    `backend          key       scheme               1 caller (ratio)      ${concurrency} callers (ratio)`,
  );
  const cases: readonly { name: string; spec: KeySpec; request: SignRequest; raw: number }[] = [
    {
      name: 'RSA-2048',
      spec: { type: 'RSA', bits: 2048 },
      request: {
        scheme: 'RSASSA-PKCS1-v1_5',
        digestAlgorithm: 'SHA-256',
        digest: createHash('sha256').update('x').digest(),
      },
      raw: raw.rsa,
    },
    {
      name: 'EC-P256',
      spec: { type: 'EC', curve: 'P-256' },
      request: {
        scheme: 'ECDSA',
        digestAlgorithm: 'SHA-256',
        digest: createHash('sha256').update('x').digest(),
      },
      raw: raw.ec,
    },
  ];
  let rawPkcs11 = 0;
  for (const [name, backend] of [
    ['software', software],
    ['pkcs11/softhsm', softhsm],
    ['remote→softhsm', remote],
  ] as const) {
    for (const c of cases) {
      const { ref } = await backend.generateKey(c.spec, `bench-${c.name.toLowerCase()}`);
      await backend.sign(ref, c.request); // warm up sessions and connections
      const one = await backendRate(backend, ref, c.request, 1);
      const many = await backendRate(backend, ref, c.request, concurrency);
      if (name === 'pkcs11/softhsm' && c.name === 'EC-P256') rawPkcs11 = many;
      console.log(
        `${name.padEnd(16)} ${c.name.padEnd(9)} ${c.request.scheme.padEnd(20)} ${one.toFixed(0).padStart(7)} (${(one / c.raw).toFixed(2)})` +
          `       ${many.toFixed(0).padStart(7)} (${(many / c.raw).toFixed(2)})`,
      );
    }
  }

  // Issue 16 §2: one heavy user on several tokens, through signHash, in the same run.
  const rates = await heavyUserRates({ dir: join(dir, 'heavy'), ...heavy, callers: concurrency });
  console.log(
    `\nheavy user, EC-P256, signHash of ${heavy.batch} hashes × ${concurrency} callers, ${heavy.signatures} signatures each;` +
      ` raw PKCS#11 (one SoftHSM2 token in process, ${concurrency} callers): ${rawPkcs11.toFixed(0)} signs/s`,
  );
  console.log('credential on        signatures/s   ratio to raw PKCS#11   ratio to software');
  const softwareRate = rates.get('software') ?? Number.NaN;
  for (const [name, rate] of rates) {
    console.log(
      `${name.padEnd(20)} ${rate.toFixed(0).padStart(12)}   ${(rate / rawPkcs11).toFixed(2).padStart(20)}   ${(rate / softwareRate).toFixed(2).padStart(17)}`,
    );
  }
} finally {
  for (const close of cleanup) await close();
  rmSync(dir, { recursive: true, force: true });
}
