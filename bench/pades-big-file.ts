/**
 * Child process of bench/pades.bench.ts for one big file (issue 18 §5): one SHA-256 pass over
 * the file, then signPdfFile of it, in a fresh process so the peak RSS growth is this signing's
 * alone. Prints one JSON line: the pass and the signing in seconds (wall and CPU), and the RSS
 * before signing and the process's peak after.
 */
import { createHash, sign as rawSign } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync } from 'node:fs';
import type { Signer } from '../src/cms/index.js';
import { signPdfFile } from '../src/pades/index.js';
import { buildTestPki } from '../test/support/pki.js';

const [path, out] = process.argv.slice(2) as [string, string];

function hashFile(): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.alloc(1024 * 1024);
  const h = createHash('sha256');
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    h.update(buf.subarray(0, n));
  }
  closeSync(fd);
  h.digest();
}

async function timed(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - start) / 1000, cpu: (used.user + used.system) / 1e6 };
}

const pki = await buildTestPki({ leaves: ['rsa'] });
const key = pki.leaves.rsa.privateKey;
const signer: Signer = {
  certificateChain: pki.chain('rsa'),
  signatureAlgorithm: { scheme: 'RSASSA-PKCS1-v1_5', digest: 'SHA-256' },
  sign: async (data) => new Uint8Array(rawSign('sha256', data, key)),
  maxSignatureSize: () => 256,
};
const signingTime = new Date('2026-11-23T12:00:00Z');
const hash = await timed(hashFile);
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const peakBefore = process.resourceUsage().maxRSS * 1024;
const sign = await timed(() => signPdfFile(path, out, signer, { signingTime }));
const peakAfter = process.resourceUsage().maxRSS * 1024;
rmSync(out);
console.log(JSON.stringify({ hash, sign, rssBefore, peakBefore, peakAfter }));
