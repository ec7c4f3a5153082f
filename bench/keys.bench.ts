/**
 * Key backend throughput: signatures/s of the software keystore, PKCS#11 on SoftHSM and the
 * remote token server (→ SoftHSM), with 1 and N concurrent callers, next to raw node:crypto
 * signs/s measured in the same run (the ratio is what to watch).
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
import { makeMutualTls } from '../test/keys/support/tls.js';

const seconds = Number(process.env['BENCH_SECONDS'] ?? 1.5);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 8);

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
      console.log(
        `${name.padEnd(16)} ${c.name.padEnd(9)} ${c.request.scheme.padEnd(20)} ${one.toFixed(0).padStart(7)} (${(one / c.raw).toFixed(2)})` +
          `       ${many.toFixed(0).padStart(7)} (${(many / c.raw).toFixed(2)})`,
      );
    }
  }
} finally {
  for (const close of cleanup) await close();
  rmSync(dir, { recursive: true, force: true });
}
