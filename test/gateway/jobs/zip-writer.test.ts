/** The streaming ZIP writer (APPNOTE 6.3.x) read back by Debian's `unzip -t` and by node:zlib. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeZip } from '../../../src/gateway/index.js';
import { tempDir } from '../../support/tmp.js';
import { requireTools } from '../../support/tools.js';
import { readZip } from '../support/read-zip.js';

describe('gateway/jobs writeZip', () => {
  it('writes deflated and stored entries with UTF-8 names that unzip and node:zlib read back byte for byte', async (t) => {
    const files: [string, Uint8Array][] = [
      ['compressible.pdf', new TextEncoder().encode('%PDF-1.7\n'.repeat(2000))],
      ['random.bin', new Uint8Array(randomBytes(5000))],
      ['Zürich (2).pdf', new Uint8Array(0)],
    ];
    let reads = 0;
    const chunks: Buffer[] = [];
    for await (const c of writeZip(files.map(([name, data]) => ({ name, read: async () => (reads++, data) })), new Date('2026-12-06T10:20:30Z'))) chunks.push(c);
    assert.equal(reads, 3);
    const zip = Buffer.concat(chunks);
    // The deflated entry is smaller, the random one stored (method 0) as deflate would grow it.
    assert.ok(zip.length < 5000 + 18000 / 10);
    const back = readZip(zip);
    assert.deepEqual([...back.keys()], files.map(([n]) => n));
    for (const [name, data] of files) assert.deepEqual(back.get(name), data);
    if (!requireTools(t, 'unzip')) return;
    const dir = tempDir(t);
    writeFileSync(join(dir, 'a.zip'), zip);
    const test = execFileSync('unzip', ['-t', join(dir, 'a.zip')], { encoding: 'utf8' });
    assert.match(test, /No errors detected/);
    execFileSync('unzip', ['-q', join(dir, 'a.zip'), '-d', join(dir, 'out')]);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'out', 'compressible.pdf'))), files[0]?.[1]);
    const listing = execFileSync('unzip', ['-l', join(dir, 'a.zip')], { encoding: 'utf8' });
    assert.match(listing, /2026-12-06 10:20 +compressible\.pdf/);
  });
});
