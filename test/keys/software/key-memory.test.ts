/**
 * docs/security.md KEY-04, key lifetime in memory: a child process signs with software-keystore keys
 * (on the calling thread and on a signing worker), forces GC and writes a V8 heap snapshot; the
 * snapshot (strings: PEM, base64, hex) and the child's whole readable memory (/proc/<pid>/mem:
 * Buffer backing stores, freed heap, OpenSSL's allocations, worker heaps) must not contain the
 * test keys' private DER (PKCS#8; for RSA also the PKCS#1 key inside it), nor the JWK string of
 * the EC private scalar (which ECDSA over a pre-hash used to make, on every signature). Control children that keep
 * the DER in a Buffer and its PEM in a string, or load the key from a DER Buffer they never zero
 * and drop (the bug this row guards against), are caught by the same search.
 * The KeyObject itself holds the key in OpenSSL's form while it is cached: that is the point of
 * decrypting straight into a KeyObject.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kek, SoftwareKeystore } from '../../../src/keys/index.js';
import { tempDir } from '../../support/tmp.js';
import { repoPath } from '../../support/repo-path.js';

interface Needle {
  readonly name: string;
  readonly bytes: Buffer;
}

function needlesOf(label: string, key: KeyObject): Needle[] {
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  if (key.asymmetricKeyType === 'rsa') {
    return [
      { name: `${label} PKCS#8 DER`, bytes: pkcs8 },
      { name: `${label} PKCS#1 DER`, bytes: key.export({ format: 'der', type: 'pkcs1' }) },
    ];
  }
  // EC: the SEC1 DER is not searched on its own: ECDSA over a pre-hash reads the scalar through
  // KeyObject.export(sec1), and OpenSSL's export buffer is freed without being wiped (a known
  // gap, see ecdsa-prehash.ts). The scalar must not become a string (JWK) either.
  return [
    { name: `${label} PKCS#8 DER`, bytes: pkcs8 },
    { name: `${label} private scalar as JWK base64url`, bytes: Buffer.from(key.export({ format: 'jwk' }).d ?? '') },
  ];
}

/** The text forms a key takes when it becomes a string (what a heap snapshot can hold). */
function textForms(n: Needle): Needle[] {
  const b64 = n.bytes.toString('base64');
  return [
    { name: `${n.name} (base64/PEM body)`, bytes: Buffer.from(b64.slice(0, 64)) },
    { name: `${n.name} (hex)`, bytes: Buffer.from(n.bytes.toString('hex').slice(0, 96)) },
  ];
}

/** Readable mappings of `pid` that contain any needle (skips what cannot be read, e.g. [vvar]). */
function searchMemory(pid: number, needles: readonly Needle[]): { found: string[]; scannedBytes: number } {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').filter(Boolean);
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const found = new Set<string>();
  let scannedBytes = 0;
  try {
    for (const line of maps) {
      const [range, perms] = line.split(/\s+/);
      if (!range || !perms?.startsWith('r')) continue;
      const [start, end] = range.split('-').map((h) => Number.parseInt(h, 16)) as [number, number];
      if (end - start > 1 << 30) continue; // reserved address space (V8 cage), never backed
      const buf = Buffer.alloc(end - start);
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, start);
      } catch {
        continue;
      }
      scannedBytes += n;
      const view = buf.subarray(0, n);
      for (const needle of needles) if (view.includes(needle.bytes)) found.add(needle.name);
    }
  } finally {
    closeSync(fd);
  }
  return { found: [...found], scannedBytes };
}

/** Runs the child, then searches its heap snapshot and memory while it waits. */
async function inspectChild(args: readonly string[], needles: readonly Needle[], snapshot: string) {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', repoPath('test', 'keys', 'software', 'fixtures', 'key-memory-child.ts'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new RangeError(`child exited early (${code})`)));
    });
    const heap = readFileSync(snapshot);
    const inSnapshot = needles.flatMap((n) => [n, ...textForms(n)]).filter((n) => heap.includes(n.bytes)).map((n) => n.name);
    const memory = searchMemory(child.pid as number, needles);
    return { inSnapshot, inMemory: memory.found, scannedBytes: memory.scannedBytes };
  } finally {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(undefined)));
  }
}

describe('docs/security.md KEY-04: key lifetime in memory (software keystore)', { skip: process.platform !== 'linux' && 'needs /proc' }, () => {
  it('the control is found: a live Buffer of the PKCS#8 DER in memory, its PEM string in the heap snapshot', async (t) => {
    const dir = tempDir(t);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [pkcs8] = needlesOf('control', privateKey) as [Needle];
    writeFileSync(join(dir, 'control.der'), pkcs8.bytes);
    const r = await inspectChild(['control', dir, '', join(dir, 'control.heapsnapshot'), '0', join(dir, 'control.der')], [pkcs8], join(dir, 'control.heapsnapshot'));
    assert.deepEqual(r.inMemory, ['control PKCS#8 DER']);
    assert.ok(r.inSnapshot.includes('control PKCS#8 DER (base64/PEM body)'), r.inSnapshot.join(', '));
  });

  it('the control is found: DER loaded from a Buffer that was not zeroed lingers in freed memory after GC', async (t) => {
    const dir = tempDir(t);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const [pkcs8] = needlesOf('dropped', privateKey) as [Needle];
    writeFileSync(join(dir, 'dropped.der'), pkcs8.bytes);
    const r = await inspectChild(['dropped', dir, '', join(dir, 'dropped.heapsnapshot'), '0', join(dir, 'dropped.der')], [pkcs8], join(dir, 'dropped.heapsnapshot'));
    assert.deepEqual(r.inMemory, ['dropped PKCS#8 DER']);
  });

  for (const threads of [0, 1]) {
    it(`after signing (${threads === 0 ? 'on the calling thread' : 'on a signing worker'}) and GC, no private DER (nor EC scalar string) of the EC or RSA key is in the heap snapshot or the process memory`, async (t) => {
      const dir = tempDir(t);
      const kek = randomBytes(32);
      const keystore = await SoftwareKeystore.open({ dir: join(dir, 'keys'), kek: Kek.fromBytes(kek) });
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const ecRef = (await keystore.importKey(ec, 'key04-ec')).ref;
      const rsaRef = (await keystore.importKey(rsa, 'key04-rsa')).ref;
      await keystore.close();
      const needles = [...needlesOf('EC', ec), ...needlesOf('RSA', rsa)];
      const snapshot = join(dir, 'child.heapsnapshot');
      const r = await inspectChild(
        ['keystore', join(dir, 'keys'), kek.toString('hex'), snapshot, String(threads), `${ecRef}|ECDSA`, `${rsaRef}|RSASSA-PKCS1-v1_5`],
        needles,
        snapshot,
      );
      t.diagnostic(`scanned ${(r.scannedBytes / 2 ** 20).toFixed(0)} MiB of child memory`);
      assert.ok(r.scannedBytes > 16 * 2 ** 20, 'the child memory was read');
      assert.deepEqual(r.inSnapshot, [], 'heap snapshot');
      assert.deepEqual(r.inMemory, [], 'process memory');
    });
  }
});
