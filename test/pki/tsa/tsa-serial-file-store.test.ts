/**
 * RFC 3161 §2.4.2 serialNumber "MUST be unique for each TimeStampToken issued by a given TSA", on
 * the file CaStore (issue 19): serial numbers come in blocks, each persisted (fsync, rename, fsync
 * of the directory) before any of its serials is used, the next one reserved in the background.
 * Node A is a real `signet pki serve` (default blocks of 256) killed with SIGKILL mid-workload and
 * started again; node B is a TSA in this process on the same CA directory with blocks of 3. Every
 * token verifies with `openssl ts -verify`; no serial is seen twice; the restarted A starts after
 * the high-water mark the killed one had persisted (run `npm run build` first).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SignedData } from '@peculiar/asn1-cms';
import { PKIStatus, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';
import { systemClock } from '../../../src/core/clock.js';
import { initCaDirectory, openCaDirectory } from '../../../src/pki/index.js';
import { requireTools, runTool } from '../../support/tools.js';
import { tempDir } from '../../support/tmp.js';
import { runToolAsync } from '../support/pki-server.js';

const bin = join(process.cwd(), 'bin', 'signet.js');

function serialOf(reply: Uint8Array): bigint {
  const resp = AsnConvert.parse(reply, TimeStampResp);
  assert.equal(resp.status.status, PKIStatus.granted);
  const sd = AsnConvert.parse(resp.timeStampToken?.content ?? new ArrayBuffer(0), SignedData);
  const tst = AsnConvert.parse(sd.encapContentInfo.eContent?.single?.buffer ?? new ArrayBuffer(0), TSTInfo);
  return BigInt(`0x${Buffer.from(tst.serialNumber).toString('hex')}`);
}

/** The TSA serial counter as persisted in the directory's ca-store.json. */
function persistedCounter(ca: string): bigint {
  const doc = JSON.parse(readFileSync(join(ca, 'ca-store.json'), 'utf8')) as { counters: Record<string, string> };
  return BigInt(doc.counters['tsa-serial'] ?? '0');
}

async function startServe(ca: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [bin, 'pki', 'serve', '--dir', ca, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`signet pki serve exited ${code}`)));
  });
  return { child, url };
}

describe('docs/security.md FLT-23 TSA serial blocks on the file CA store (RFC 3161 §2.4.2, issue 19)', () => {
  it('unique across a `signet pki serve`, a TSA in process, a SIGKILL and a restart; each token verifies', async (t) => {
    if (!requireTools(t, 'openssl')) return;
    assert.ok(existsSync(join(process.cwd(), 'dist', 'cli', 'commands', 'pki.js')), 'run npm run build before the CLI tests');
    const dir = tempDir(t, 'signet-tsa-file-blocks-');
    const ca = join(dir, 'ca');
    await initCaDirectory({ dir: ca, clock: systemClock });
    const children: ChildProcess[] = [];
    t.after(() => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
    const opened = await openCaDirectory(ca, { clock: systemClock });
    t.after(() => opened.close());
    const b = opened.createTimestampAuthority({ blockSize: 3, reservedBy: 'B' });

    const data = join(dir, 'data.txt');
    writeFileSync(data, 'stamped by two processes\n');
    const tsq = join(dir, 'request.tsq');
    assert.equal(runTool('openssl', ['ts', '-query', '-data', data, '-sha256', '-cert', '-out', tsq]).status, 0);
    const query = new Uint8Array(readFileSync(tsq));
    const replies: { node: string; reply: Uint8Array }[] = [];
    const fromA = async (url: string, node: string): Promise<void> => {
      try {
        const res = await fetch(`${url}/tsa`, { method: 'POST', headers: { 'content-type': 'application/timestamp-query' }, body: query });
        replies.push({ node, reply: new Uint8Array(await res.arrayBuffer()) });
      } catch {
        // the request the SIGKILL cut off: no token was delivered
      }
    };
    const fromB = async (): Promise<void> => {
      replies.push({ node: 'B', reply: await b.respond(query) });
    };

    let a = await startServe(ca);
    children.push(a.child);
    for (let i = 0; i < 6; i++) await Promise.all([fromA(a.url, 'A1'), fromB()]);
    // SIGKILL with requests in flight: what A had reserved and not used is skipped, never reused.
    const killed = a.child;
    const exit = new Promise((resolve) => killed.once('exit', resolve));
    const inFlight = [fromA(a.url, 'A1'), fromA(a.url, 'A1'), fromB()];
    killed.kill('SIGKILL');
    await Promise.all([...inFlight, exit]);
    const highWater = persistedCounter(ca);
    const beforeRestart = replies.filter((r) => r.node === 'A1').map((r) => serialOf(r.reply));
    assert.ok(beforeRestart.length >= 6 && beforeRestart.every((s) => s <= highWater), 'A used serials of its persisted block');

    a = await startServe(ca);
    children.push(a.child);
    for (let i = 0; i < 6; i++) await Promise.all([fromA(a.url, 'A2'), fromB()]);
    a.child.kill('SIGTERM');

    const serials = replies.map((r) => serialOf(r.reply));
    assert.equal(new Set(serials).size, serials.length, `a serial was issued twice: ${serials.join(' ')}`);
    const afterRestart = replies.filter((r) => r.node === 'A2').map((r) => serialOf(r.reply));
    assert.ok(afterRestart.length === 6 && afterRestart.every((s) => s > highWater), 'the restarted node starts after the persisted high-water mark');
    assert.ok(serials.every((s) => s <= persistedCounter(ca)), 'every serial lies in a persisted block');

    // Each token verifies (openssl is the judge), four at a time.
    for (let i = 0; i < replies.length; i += 4) {
      await Promise.all(
        replies.slice(i, i + 4).map(async ({ reply }, j) => {
          const file = join(dir, `reply-${i + j}.tsr`);
          writeFileSync(file, reply);
          const v = await runToolAsync('openssl', ['ts', '-verify', '-data', data, '-in', file, '-CAfile', join(ca, 'root.pem'), '-untrusted', join(ca, 'chain.pem')]);
          assert.match(v.stdout, /Verification: OK/, `token ${i + j}: ${v.stderr}`);
        }),
      );
    }
  });
});
