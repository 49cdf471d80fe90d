/**
 * Writing deletion vectors: Z85 text, the portable `RoaringBitmapArray` and the deletion vector
 * file framing — the inverse of roaring-bitmap.ts. Row-level changes of a table with
 * `delta.enableDeletionVectors = true` write them (row-changes.ts); tests and the `dv` benchmark
 * build tables with them too.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { putIfAbsent } from '../../util/index.ts';
import type { DeletionVectorDescriptor } from './deletion-vectors.ts';
import {
  ARRAY_CONTAINER_MAX,
  crc32,
  PORTABLE_ROARING_MAGIC,
  type RowIndexSet,
  SERIAL_COOKIE_NO_RUNCONTAINER,
  Z85_ALPHABET,
} from './roaring-bitmap.ts';

/** Encodes bytes as Z85 text, zero-padding a last block of fewer than 4 bytes (as Delta's JVM codec). */
export function encodeZ85(bytes: Uint8Array): string {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  const view = new DataView(padded.buffer);
  let out = '';
  for (let o = 0; o < padded.length; o += 4) {
    let value = view.getUint32(o, false);
    let group = '';
    for (let j = 0; j < 5; j++) {
      group = (Z85_ALPHABET[value % 85] as string) + group;
      value = Math.floor(value / 85);
    }
    out += group;
  }
  return out;
}

/**
 * Encodes row indexes as a portable `RoaringBitmapArray` (what {@link decodeRoaringBitmapArray}
 * reads): array containers up to 4096 values, bitmap containers above, no run containers.
 */
export function encodeRoaringBitmapArray(set: RowIndexSet): Uint8Array {
  const buckets = new Map<number, Map<number, number[]>>();
  for (const v of set.values()) {
    const high = Math.floor(v / 2 ** 32);
    const key = Math.floor((v % 2 ** 32) / 65536);
    let bucket = buckets.get(high);
    if (!bucket) {
      bucket = new Map();
      buckets.set(high, bucket);
    }
    const lows = bucket.get(key) ?? [];
    lows.push(v % 65536);
    bucket.set(key, lows);
  }
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.writeUInt32LE(PORTABLE_ROARING_MAGIC, 0);
  head.writeUInt32LE(buckets.size, 4);
  parts.push(head);
  for (const [high, containers] of [...buckets.entries()].sort(([a], [b]) => a - b)) {
    const entries = [...containers.entries()].sort(([a], [b]) => a - b);
    const header = Buffer.alloc(4 + 4 + 4 + entries.length * 8);
    header.writeUInt32LE(high, 0);
    header.writeUInt32LE(SERIAL_COOKIE_NO_RUNCONTAINER, 4);
    header.writeUInt32LE(entries.length, 8);
    const bodies: Buffer[] = [];
    let offset = 4 + 4 + entries.length * 8;
    entries.forEach(([key, lows], i) => {
      header.writeUInt16LE(key, 12 + i * 4);
      header.writeUInt16LE(lows.length - 1, 12 + i * 4 + 2);
      header.writeUInt32LE(offset, 12 + entries.length * 4 + i * 4);
      let body: Buffer;
      if (lows.length <= ARRAY_CONTAINER_MAX) {
        body = Buffer.alloc(lows.length * 2);
        for (const [j, low] of lows.entries()) body.writeUInt16LE(low, j * 2);
      } else {
        body = Buffer.alloc(8192);
        for (const low of lows) body[low >> 3] = (body[low >> 3] as number) | (1 << (low & 7));
      }
      bodies.push(body);
      offset += body.length;
    });
    parts.push(header, ...bodies);
  }
  return Buffer.concat(parts);
}

/**
 * A deletion vector file (format version 1) holding `vectors` in order, and the offset of each
 * (where its big-endian size starts), for `deletionVector.offset`.
 */
export function deletionVectorFile(vectors: readonly Uint8Array[]): { bytes: Uint8Array; offsets: number[] } {
  const parts: Buffer[] = [Buffer.from([1])];
  const offsets: number[] = [];
  let at = 1;
  for (const v of vectors) {
    offsets.push(at);
    const size = Buffer.alloc(4);
    size.writeUInt32BE(v.length, 0);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(v), 0);
    parts.push(size, Buffer.from(v), crc);
    at += 8 + v.length;
  }
  return { bytes: Buffer.concat(parts), offsets };
}

/**
 * Writes one deletion vector file (`deletion_vector_<uuid>.bin` in the table's folder, published
 * durably before the commit that names it) holding `sets` in order, and returns their
 * descriptors (storage type `u`, the file's UUID in Z85, each vector's offset, size and
 * cardinality). Nothing is written for no sets.
 */
export async function writeDeletionVectors(
  tablePath: string,
  sets: readonly RowIndexSet[],
): Promise<DeletionVectorDescriptor[]> {
  if (sets.length === 0) return [];
  const uuid = randomUUID();
  const encoded = sets.map(encodeRoaringBitmapArray);
  const file = deletionVectorFile(encoded);
  await putIfAbsent(join(tablePath, `deletion_vector_${uuid}.bin`), file.bytes);
  const id = encodeZ85(Buffer.from(uuid.replaceAll('-', ''), 'hex'));
  return sets.map((set, i) => ({
    storageType: 'u',
    pathOrInlineDv: id,
    offset: file.offsets[i] as number,
    sizeInBytes: (encoded[i] as Uint8Array).length,
    cardinality: set.cardinality,
  }));
}
