/**
 * A small streaming ZIP writer (PKWARE APPNOTE 6.3.x): each entry is read when its turn comes,
 * deflated (§4.4.5 method 8, raw DEFLATE by node:zlib) or stored (method 0) when deflating does
 * not shrink it, and written as local header + data; the central directory (§4.3.12) and the end
 * of central directory record (§4.3.16) close the archive. Names are UTF-8 (general purpose bit
 * 11, APPNOTE Appendix D). No ZIP64: an archive past 4 GiB or 65 535 entries is refused.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { GatewayError } from '../errors.js';

/** One file of the archive; `read` is called once, when the entry is written. */
export interface ZipEntry {
  readonly name: string;
  read(): Promise<Uint8Array>;
}

const LIMIT = 0xffffffff;

/** MS-DOS date and time (APPNOTE §4.4.6), local fields taken in UTC. */
function dosDateTime(at: Date): { readonly time: number; readonly date: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

interface Written {
  readonly name: Buffer;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly offset: number;
}

const UTF8_FLAG = 0x0800;

function localHeader(e: Written, when: { time: number; date: number }): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
  h.writeUInt16LE(UTF8_FLAG, 6);
  h.writeUInt16LE(e.method, 8);
  h.writeUInt16LE(when.time, 10);
  h.writeUInt16LE(when.date, 12);
  h.writeUInt32LE(e.crc, 14);
  h.writeUInt32LE(e.compressedSize, 18);
  h.writeUInt32LE(e.size, 22);
  h.writeUInt16LE(e.name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, e.name]);
}

function centralHeader(e: Written, when: { time: number; date: number }): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE((3 << 8) | 20, 4); // made by: UNIX, 2.0 (so the external attributes are file modes)
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(UTF8_FLAG, 8);
  h.writeUInt16LE(e.method, 10);
  h.writeUInt16LE(when.time, 12);
  h.writeUInt16LE(when.date, 14);
  h.writeUInt32LE(e.crc, 16);
  h.writeUInt32LE(e.compressedSize, 20);
  h.writeUInt32LE(e.size, 24);
  h.writeUInt16LE(e.name.length, 28);
  h.writeUInt16LE(0, 30); // extra
  h.writeUInt16LE(0, 32); // comment
  h.writeUInt16LE(0, 34); // disk number start
  h.writeUInt16LE(0, 36); // internal attributes
  h.writeUInt32LE((0o100644 << 16) >>> 0, 38); // regular file, rw-r--r--
  h.writeUInt32LE(e.offset, 42);
  return Buffer.concat([h, e.name]);
}

function tooLarge(): never {
  throw new GatewayError('ERR_GATEWAY_JOB_LIMIT', 'the archive would exceed 4 GiB or 65 535 files (ZIP64 is not written)');
}

/**
 * Yields the archive's bytes entry by entry (only one entry's data is held at a time).
 *
 * @example
 * ```ts
 * for await (const chunk of writeZip(entries, clock.now())) response.write(chunk);
 * ```
 */
export async function* writeZip(entries: Iterable<ZipEntry> | AsyncIterable<ZipEntry>, modified: Date): AsyncGenerator<Buffer> {
  const when = dosDateTime(modified);
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const data = await entry.read();
    const deflated = deflateRawSync(data);
    const stored = deflated.length >= data.length;
    const e: Written = {
      name: Buffer.from(entry.name, 'utf8'),
      method: stored ? 0 : 8,
      crc: crc32(data) >>> 0,
      compressedSize: stored ? data.length : deflated.length,
      size: data.length,
      offset,
    };
    if (written.length >= 0xffff || data.length > LIMIT || offset + 30 + e.name.length + e.compressedSize > LIMIT) tooLarge();
    const header = localHeader(e, when);
    yield header;
    yield stored ? Buffer.from(data.buffer, data.byteOffset, data.length) : deflated;
    offset += header.length + e.compressedSize;
    written.push(e);
  }
  const directory = Buffer.concat(written.map((e) => centralHeader(e, when)));
  if (offset + directory.length > LIMIT) tooLarge();
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  yield directory;
  yield end;
}
