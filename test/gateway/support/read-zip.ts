/** A ZIP reader over node:zlib for tests (central directory → local entries), a cross-check of `unzip`. */
import assert from 'node:assert/strict';
import { inflateRawSync } from 'node:zlib';

/** The entries of `zip`, by name, in central-directory order. */
export function readZip(zip: Uint8Array): Map<string, Uint8Array> {
  const buf = Buffer.from(zip);
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'end of central directory');
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50);
    const method = buf.readUInt16LE(at + 10);
    const csize = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const offset = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const localName = buf.readUInt16LE(offset + 26);
    const localExtra = buf.readUInt16LE(offset + 28);
    const data = buf.subarray(offset + 30 + localName + localExtra, offset + 30 + localName + localExtra + csize);
    out.set(name, new Uint8Array(method === 8 ? inflateRawSync(data) : data));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

