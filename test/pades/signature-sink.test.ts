/**
 * The atomic write of a signed file on the calling thread (pades/signature-sink.ts,
 * writeFileAtomicallySync; issue 18 §4) and through the libuv pool (writeFileAtomically, whose
 * in-memory form uses the callback calls since issue 19): original ‖ parts in order through a
 * temporary file and a rename, a short write resumed, and nothing left behind — no output, no
 * temporary file — when the rename fails.
 */
import assert from 'node:assert/strict';
import fs, { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, mock } from 'node:test';
import { writeFileAtomically, writeFileAtomicallySync } from '../../src/pades/signature-sink.js';

describe('writeFileAtomicallySync', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-sink-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes original ‖ parts in order, replacing the file at the path', () => {
    const out = join(dir, 'out.pdf');
    const original = new Uint8Array(200_000).map((_, i) => i % 251);
    writeFileAtomicallySync(out, new Uint8Array([9]), []);
    writeFileAtomicallySync(out, original, [
      Uint8Array.of(1, 2, 3),
      new Uint8Array(0),
      Uint8Array.of(4),
    ]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), new Uint8Array([...original, 1, 2, 3, 4]));
    assert.deepEqual(readdirSync(dir), ['out.pdf']);
  });

  it('a failed rename leaves neither the output nor a temporary file', () => {
    const sub = join(dir, 'failing');
    const target = join(sub, 'taken');
    mkdirSync(join(target, 'not-empty'), { recursive: true });
    assert.throws(() => writeFileAtomicallySync(target, Uint8Array.of(1), [Uint8Array.of(2)]), {
      code: 'EISDIR',
    });
    assert.deepEqual(readdirSync(sub), ['taken']);
    assert.deepEqual(readdirSync(target), ['not-empty']);
  });
});

describe('writeFileAtomically with the original in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-sink-async-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const original = new Uint8Array(200_000).map((_, i) => i % 251);

  it('writes original ‖ parts in order, replacing the file at the path', async () => {
    const out = join(dir, 'out.pdf');
    await writeFileAtomically(out, new Uint8Array([9]), []);
    await writeFileAtomically(out, original, [
      Uint8Array.of(1, 2, 3),
      new Uint8Array(0),
      Uint8Array.of(4),
    ]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), new Uint8Array([...original, 1, 2, 3, 4]));
    await writeFileAtomically(join(dir, 'empty.pdf'), new Uint8Array(0), []);
    assert.equal(readFileSync(join(dir, 'empty.pdf')).length, 0);
    assert.deepEqual(readdirSync(dir).sort(), ['empty.pdf', 'out.pdf']);
  });

  it('resumes a short writev until every part is written', async (t) => {
    // writev(2) may write less than asked on a regular file: here every call writes at most 7000 bytes.
    const real = fs.writev;
    const calls = mock.method(
      fs,
      'writev',
      (
        fd: number,
        buffers: Uint8Array[],
        callback: (err: NodeJS.ErrnoException | null, written: number) => void,
      ) => {
        let budget = 7000;
        const cut: Uint8Array[] = [];
        for (const b of buffers) {
          if (budget === 0) break;
          cut.push(b.subarray(0, Math.min(b.length, budget)));
          budget -= Math.min(b.length, budget);
        }
        real(fd, cut, callback);
      },
    );
    syncBuiltinESMExports();
    t.after(() => {
      calls.mock.restore();
      syncBuiltinESMExports();
    });
    const out = join(dir, 'short.pdf');
    await writeFileAtomically(out, original, [Uint8Array.of(1, 2, 3)]);
    assert.deepEqual(new Uint8Array(readFileSync(out)), new Uint8Array([...original, 1, 2, 3]));
    assert.ok(
      calls.mock.callCount() >= Math.ceil(original.length / 7000),
      `${calls.mock.callCount()} writev calls`,
    );
  });

  it('a failed rename leaves neither the output nor a temporary file', async () => {
    const sub = join(dir, 'failing');
    const target = join(sub, 'taken');
    mkdirSync(join(target, 'not-empty'), { recursive: true });
    await assert.rejects(writeFileAtomically(target, Uint8Array.of(1), [Uint8Array.of(2)]), {
      code: 'EISDIR',
    });
    assert.deepEqual(readdirSync(sub), ['taken']);
    assert.deepEqual(readdirSync(target), ['not-empty']);
  });
});
