/**
 * The atomic write of a signed file on the calling thread (pades/signature-sink.ts,
 * writeFileAtomicallySync; issue 18 §4): original ‖ parts in order through a temporary file and a
 * rename, and nothing left behind — no output, no temporary file — when the rename fails.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeFileAtomicallySync } from '../../src/pades/signature-sink.js';

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
