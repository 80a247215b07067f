/**
 * A zip file written as a stream (PKWARE APPNOTE 6.3: local headers with data descriptors, deflated
 * by Node's zlib, one entry after the other, the central directory at the end). zlib runs natively
 * with bounded buffers and backpressure, so a zip of any size streams in constant memory. No ZIP64:
 * entries and the archive stay under 4 GiB (an xlsx sheet caps at 1,048,576 rows long before that).
 */
import { once } from 'node:events';
import { createDeflateRaw, crc32 } from 'node:zlib';

export interface ZipEntry {
  name: string;
  chunks: () => AsyncIterable<Buffer | string> | Iterable<Buffer | string>;
}

const flags = 0x0808; // bit 3: sizes in a data descriptor; bit 11: UTF-8 names

function dosTime(date: Date): { time: number; day: number } {
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    day: ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function localHeader(name: Buffer, when: { time: number; day: number }): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(flags, 6);
  header.writeUInt16LE(8, 8);
  header.writeUInt16LE(when.time, 10);
  header.writeUInt16LE(when.day, 12);
  header.writeUInt16LE(name.length, 26);
  return Buffer.concat([header, name]);
}

interface Written {
  name: Buffer;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

function centralHeader(entry: Written, when: { time: number; day: number }): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(20, 6);
  header.writeUInt16LE(flags, 8);
  header.writeUInt16LE(8, 10);
  header.writeUInt16LE(when.time, 12);
  header.writeUInt16LE(when.day, 14);
  header.writeUInt32LE(entry.crc >>> 0, 16);
  header.writeUInt32LE(entry.compressed, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt32LE(entry.offset, 42);
  return Buffer.concat([header, entry.name]);
}

/** Deflates one entry's chunks, yielding compressed data as zlib produces it; counts and checksums the input. */
async function* deflated(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  level: number,
  sums: { crc: number; size: number },
): AsyncIterable<Buffer> {
  const deflate = createDeflateRaw({ level });
  const feed = (async () => {
    for await (const chunk of source) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      sums.crc = crc32(data, sums.crc);
      sums.size += data.length;
      if (!deflate.write(data)) await once(deflate, 'drain');
    }
    deflate.end();
  })().catch((error: unknown) => deflate.destroy(error as Error));
  for await (const out of deflate) yield out as Buffer;
  await feed;
}

export async function* zipStream(entries: readonly ZipEntry[], level = 1): AsyncIterable<Buffer> {
  const when = dosTime(new Date());
  const written: Written[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const header = localHeader(name, when);
    yield header;
    const sums = { crc: 0, size: 0 };
    let compressed = 0;
    for await (const out of deflated(entry.chunks(), level, sums)) {
      compressed += out.length;
      yield out;
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(sums.crc >>> 0, 4);
    descriptor.writeUInt32LE(compressed, 8);
    descriptor.writeUInt32LE(sums.size, 12);
    yield descriptor;
    if (sums.size >= 2 ** 32 || offset + header.length + compressed + 16 >= 2 ** 32)
      throw new Error(`zip entry ${entry.name} is over 4 GiB: ZIP64 is not written`);
    written.push({ name, crc: sums.crc, compressed, size: sums.size, offset });
    offset += header.length + compressed + descriptor.length;
  }
  const central = Buffer.concat(written.map((entry) => centralHeader(entry, when)));
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(central.length, 12);
  end.writeUInt32LE(offset, 16);
  yield central;
  yield end;
}
