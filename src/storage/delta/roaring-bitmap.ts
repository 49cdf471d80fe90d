/**
 * The sets of row indexes deletion vectors hold: Delta's `RoaringBitmapArray` (a magic number,
 * then a 64-bit "portable" RoaringBitmap: 64-bit bucket count, and per bucket a 32-bit key and
 * a standard 32-bit RoaringBitmap), the Z85 text inline vectors and UUIDs are written in, and
 * the deletion vector file framing (version byte; per vector a big-endian size, the bitmap and
 * its CRC-32).
 *
 * This is metadata decoding: it turns bytes into a {@link RowIndexSet}; rows are filtered in
 * DuckDB (see deletion-vectors.ts). Any malformed input throws a plain `Error` naming what is
 * wrong; callers wrap it with the table and vector it came from.
 */
import * as zlib from 'node:zlib';

/** zlib's CRC-32 (IEEE, as java.util.zip.CRC32) where this Node has it (20.15 and later). */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

/** Little-endian magic number of the portable `RoaringBitmapArray` format. */
export const PORTABLE_ROARING_MAGIC = 1681511377;

/** Magic number of the older native `RoaringBitmapArray` format. */
export const NATIVE_ROARING_MAGIC = 1681511376;

/** The Z85 alphabet (ZeroMQ RFC 32), in digit order. */
export const Z85_ALPHABET =
  '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

/** Cookie of a 32-bit RoaringBitmap with run containers (low 16 bits). */
const SERIAL_COOKIE = 12347;
/** Cookie of a 32-bit RoaringBitmap without run containers. */
export const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
/** With run containers, the offset header is only written from this many containers on. */
const NO_OFFSET_THRESHOLD = 4;
/** An array container holds at most this many values; more is a bitmap container. */
export const ARRAY_CONTAINER_MAX = 4096;

/**
 * Decodes Z85 text (length a multiple of 5) to bytes; `length` keeps that many. Writers differ
 * in how they encode a last block of fewer than 4 bytes: Delta's JVM codec pads the bytes with
 * zeros at the end (the padding is dropped through `length`), while delta-rs pads them at the
 * front and marks each padding byte by turning the group's leading `0` into `#` (a digit no
 * 4-byte group can start with, so the two never mix up).
 */
export function decodeZ85(text: string, length?: number): Uint8Array {
  if (text.length % 5 !== 0) throw new Error(`Z85 text of length ${text.length} is not a multiple of 5`);
  const out = new Uint8Array((text.length / 5) * 4);
  let size = out.length;
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let group = text.slice(i, i + 5);
    let padding = 0;
    if (i + 5 === text.length) {
      while (padding < 3 && group[padding] === '#') padding++;
      group = '0'.repeat(padding) + group.slice(padding);
    }
    let value = 0;
    for (let j = 0; j < 5; j++) {
      const digit = Z85_ALPHABET.indexOf(group[j] as string);
      if (digit < 0) throw new Error(`'${group[j]}' is not a Z85 character`);
      value = value * 85 + digit;
    }
    if (value > 0xffffffff) throw new Error(`Z85 group '${text.slice(i, i + 5)}' is out of range`);
    const bytes = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].slice(padding);
    out.set(bytes, o);
    size = o + bytes.length;
  }
  const decoded = out.subarray(0, size);
  if (length === undefined) return decoded;
  if (length > decoded.length) throw new Error(`Z85 text holds ${decoded.length} bytes, not ${length}`);
  return decoded.subarray(0, length);
}

/** The canonical textual form (8-4-4-4-12 hex digits) of a UUID written as 20 Z85 characters. */
export function decodeZ85Uuid(text: string): string {
  if (text.length !== 20) throw new Error(`a Z85 UUID has 20 characters, not ${text.length}`);
  const hex = Buffer.from(decodeZ85(text)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One 2^16-value chunk of the set: values `key * 65536 + low` for the lows it holds. */
type Container =
  | { readonly key: number; readonly kind: 'array'; readonly values: Uint16Array }
  | { readonly key: number; readonly kind: 'run'; readonly runs: Uint16Array }
  | {
      readonly key: number;
      readonly kind: 'bitmap';
      readonly bits: Uint8Array;
      /** Set bits, when known (a decoded container's header states it); else counted. */
      readonly cardinality?: number;
    };

/**
 * A set of row indexes (non-negative integers below 2^53), kept in its roaring containers.
 * Ascending iteration; cardinality and bounds without materializing the values.
 */
export class RowIndexSet {
  readonly #containers: readonly Container[];
  readonly cardinality: number;

  constructor(containers: readonly Container[]) {
    this.#containers = containers;
    let n = 0;
    for (const c of containers) n += containerCardinality(c);
    this.cardinality = n;
  }

  /** The set of `values` (any order, duplicates ignored). */
  static of(values: Iterable<number>): RowIndexSet {
    const byKey = new Map<number, number[]>();
    for (const v of values) {
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${v} is not a row index`);
      const key = Math.floor(v / 65536);
      const list = byKey.get(key) ?? [];
      list.push(v % 65536);
      byKey.set(key, list);
    }
    const containers: Container[] = [...byKey.entries()]
      .sort(([a], [b]) => a - b)
      .map(([key, lows]) => ({
        key,
        kind: 'array' as const,
        values: Uint16Array.from(new Set(lows)).sort(),
      }));
    return new RowIndexSet(containers);
  }

  /** The largest index, or -1 when empty. */
  get max(): number {
    for (let i = this.#containers.length - 1; i >= 0; i--) {
      const c = this.#containers[i] as Container;
      const low = containerMax(c);
      if (low >= 0) return c.key * 65536 + low;
    }
    return -1;
  }

  /** Maximal runs `[start, end]` (inclusive) of consecutive indexes, ascending. */
  *runs(): Generator<readonly [number, number]> {
    let start = -1;
    let end = -2;
    for (const v of this.values()) {
      if (v === end + 1) {
        end = v;
        continue;
      }
      if (start >= 0) yield [start, end];
      start = v;
      end = v;
    }
    if (start >= 0) yield [start, end];
  }

  /** Number of maximal runs (see {@link runs}). */
  countRuns(): number {
    let n = 0;
    for (const _ of this.runs()) n++;
    return n;
  }

  /** The indexes, ascending. */
  *values(): Generator<number> {
    for (const c of this.#containers) {
      const base = c.key * 65536;
      switch (c.kind) {
        case 'array':
          for (const low of c.values) yield base + low;
          break;
        case 'run':
          for (let r = 0; r < c.runs.length; r += 2) {
            const s = c.runs[r] as number;
            const e = s + (c.runs[r + 1] as number);
            for (let low = s; low <= e; low++) yield base + low;
          }
          break;
        case 'bitmap':
          for (let byte = 0; byte < c.bits.length; byte++) {
            const b = c.bits[byte] as number;
            if (b === 0) continue;
            for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) yield base + byte * 8 + bit;
          }
          break;
        default: {
          const never: never = c;
          return never;
        }
      }
    }
  }

  /** True when `index` is in the set. */
  has(index: number): boolean {
    const key = Math.floor(index / 65536);
    const low = index % 65536;
    const c = this.#containers.find((x) => x.key === key);
    if (!c) return false;
    switch (c.kind) {
      case 'array':
        return c.values.includes(low);
      case 'run':
        for (let r = 0; r < c.runs.length; r += 2) {
          const s = c.runs[r] as number;
          if (low >= s && low <= s + (c.runs[r + 1] as number)) return true;
        }
        return false;
      case 'bitmap':
        return ((c.bits[low >> 3] as number) & (1 << (low & 7))) !== 0;
      default: {
        const never: never = c;
        return never;
      }
    }
  }

  /**
   * The indexes in `[from, from + length)` as `ceil(length / 8)` bytes, most significant bit
   * first (the layout of DuckDB's BIT type): bit `i` is set when index `from + i` is in the set.
   * `from` must be a multiple of 8.
   */
  toMsbBitset(length: number, from = 0): Uint8Array {
    if (from % 8 !== 0) throw new Error(`bitset start ${from} is not a multiple of 8`);
    const out = new Uint8Array(Math.ceil(length / 8));
    const end = from + length;
    const set = (v: number) => {
      if (v >= from && v < end) {
        const i = v - from;
        out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
      }
    };
    for (const c of this.#containers) {
      const base = c.key * 65536;
      if (base >= end) break;
      if (base + 65536 <= from) continue;
      if (c.kind === 'bitmap') {
        // Whole bytes at once: container bytes are least significant bit first. `base - from`
        // is a multiple of 8 (both are), so byte `byte` lands on output byte `shift + byte`.
        const bits = c.bits;
        const shift = (base - from) / 8;
        const lo = Math.max(0, -shift);
        const hi = Math.min(bits.length, out.length - shift);
        for (let byte = lo; byte < hi; byte++) {
          const b = bits[byte] as number;
          if (b !== 0) out[shift + byte] = (out[shift + byte] as number) | (REVERSED_BITS[b] as number);
        }
        continue;
      }
      if (c.kind === 'array') {
        const values = c.values;
        const lo = from - base;
        const hi = end - base;
        for (let j = 0; j < values.length; j++) {
          const low = values[j] as number;
          if (low >= lo && low < hi) {
            const i = low - lo;
            out[i >> 3] = (out[i >> 3] as number) | (0x80 >> (i & 7));
          }
        }
        continue;
      }
      for (let r = 0; r < c.runs.length; r += 2) {
        const s = c.runs[r] as number;
        const e = s + (c.runs[r + 1] as number);
        for (let low = s; low <= e; low++) set(base + low);
      }
    }
    // A partial last byte must not carry indexes ≥ end from a bitmap container.
    const spare = out.length * 8 - length;
    if (spare > 0 && out.length > 0) out[out.length - 1] = (out.at(-1) as number) & ((0xff << spare) & 0xff);
    return out;
  }

  /** The indexes in this set but not in `other`. */
  minus(other: RowIndexSet): RowIndexSet {
    return RowIndexSet.of([...this.values()].filter((v) => !other.has(v)));
  }
}

/** Byte → the byte with its bits in reverse order (constant after it is built). */
const REVERSED_BITS: Readonly<Uint8Array> = (() => {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    let r = 0;
    for (let i = 0; i < 8; i++) if (b & (1 << i)) r |= 0x80 >> i;
    table[b] = r;
  }
  return table;
})();

/** Byte → number of bits set (constant after it is built). */
const BITS_SET: Readonly<Uint8Array> = (() => {
  const table = new Uint8Array(256);
  for (let b = 1; b < 256; b++) table[b] = (b & 1) + (table[b >> 1] as number);
  return table;
})();

/** CRC-32 (IEEE) of each byte value (constant after it is built). */
const CRC_TABLE: Readonly<Uint32Array> = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function containerCardinality(c: Container): number {
  switch (c.kind) {
    case 'array':
      return c.values.length;
    case 'run': {
      let n = 0;
      for (let r = 1; r < c.runs.length; r += 2) n += (c.runs[r] as number) + 1;
      return n;
    }
    case 'bitmap': {
      if (c.cardinality !== undefined) return c.cardinality;
      let n = 0;
      for (let i = 0; i < c.bits.length; i++) n += BITS_SET[c.bits[i] as number] as number;
      return n;
    }
    default: {
      const never: never = c;
      return never;
    }
  }
}

function containerMax(c: Container): number {
  switch (c.kind) {
    case 'array':
      return c.values.length === 0 ? -1 : (c.values.at(-1) as number);
    case 'run':
      return c.runs.length === 0 ? -1 : (c.runs.at(-2) as number) + (c.runs.at(-1) as number);
    case 'bitmap':
      for (let byte = c.bits.length - 1; byte >= 0; byte--) {
        const b = c.bits[byte] as number;
        if (b !== 0) return byte * 8 + (31 - Math.clz32(b));
      }
      return -1;
    default: {
      const never: never = c;
      return never;
    }
  }
}

/** A bounds-checked little-endian reader over a byte range. */
class ByteReader {
  #pos: number;
  constructor(
    private readonly view: DataView,
    start: number,
    private readonly end: number,
  ) {
    this.#pos = start;
  }
  get pos(): number {
    return this.#pos;
  }
  private take(n: number): number {
    if (this.#pos + n > this.end)
      throw new Error(`truncated roaring bitmap (needs ${n} bytes at ${this.#pos})`);
    const p = this.#pos;
    this.#pos += n;
    return p;
  }
  u16(): number {
    return this.view.getUint16(this.take(2), true);
  }
  u32(): number {
    return this.view.getUint32(this.take(4), true);
  }
  u64(): number {
    const p = this.take(8);
    const lo = this.view.getUint32(p, true);
    const hi = this.view.getUint32(p + 4, true);
    if (hi > 0x1fffff) throw new Error('roaring bucket count out of range');
    return hi * 2 ** 32 + lo;
  }
  bytes(n: number): Uint8Array {
    const p = this.take(n);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + p, n).slice();
  }
  u16s(n: number): Uint16Array {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u16();
    return out;
  }
  skip(n: number): void {
    this.take(n);
  }
}

/** Reads one standard 32-bit RoaringBitmap; its containers get keys `high * 65536 + key16`. */
function readRoaring32(r: ByteReader, high: number, out: Container[]): void {
  const cookie = r.u32();
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    runFlags = r.bytes(Math.ceil(size / 8));
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    size = r.u32();
  } else {
    throw new Error(`unknown roaring cookie ${cookie}`);
  }
  if (size > 65536) throw new Error(`a 32-bit roaring bitmap has at most 65536 containers, not ${size}`);
  const keys: number[] = [];
  const cards: number[] = [];
  for (let i = 0; i < size; i++) {
    keys.push(r.u16());
    cards.push(r.u16() + 1);
  }
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) r.skip(4 * size);
  for (let i = 0; i < size; i++) {
    const key = high * 65536 + (keys[i] as number);
    const isRun = runFlags !== undefined && ((runFlags[i >> 3] as number) & (1 << (i & 7))) !== 0;
    if (isRun) {
      const n = r.u16();
      out.push({ key, kind: 'run', runs: r.u16s(2 * n) });
    } else if ((cards[i] as number) <= ARRAY_CONTAINER_MAX) {
      out.push({ key, kind: 'array', values: r.u16s(cards[i] as number) });
    } else {
      out.push({ key, kind: 'bitmap', bits: r.bytes(8192), cardinality: cards[i] as number });
    }
  }
}

/**
 * Decodes a `RoaringBitmapArray` — the bytes of an inline vector, or of one vector inside a
 * deletion vector file. Two layouts exist, told apart by the magic number:
 * - portable (what the protocol specifies and Databricks writes): magic 1681511377, a 64-bit
 *   bucket count, then per bucket its 32-bit key and a 32-bit RoaringBitmap, all little-endian;
 * - native (older Delta writers; the protocol's inline example is one): magic 1681511376, a
 *   32-bit bitmap count, then per bitmap its 32-bit size and a 32-bit RoaringBitmap whose key
 *   is its position. Its header is read in whichever byte order the magic number appears in.
 */
export function decodeRoaringBitmapArray(bytes: Uint8Array): RowIndexSet {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) throw new Error('a deletion vector needs at least 4 bytes');
  const magicLe = view.getUint32(0, true);
  const magicBe = view.getUint32(0, false);
  const r = new ByteReader(view, 4, bytes.byteLength);
  const containers: Container[] = [];
  if (magicLe === PORTABLE_ROARING_MAGIC) {
    const buckets = r.u64();
    let previous = -1;
    for (let b = 0; b < buckets; b++) {
      const high = r.u32();
      if (high > 0x7fffffff) throw new Error(`deletion vector bucket key ${high} has its top bit set`);
      if (high <= previous) throw new Error('deletion vector buckets are not in ascending order');
      previous = high;
      if (high >= 2 ** 21) throw new Error(`row indexes of bucket ${high} are beyond 2^53`);
      readRoaring32(r, high, containers);
    }
  } else if (magicLe === NATIVE_ROARING_MAGIC || magicBe === NATIVE_ROARING_MAGIC) {
    const littleEndian = magicLe === NATIVE_ROARING_MAGIC;
    const header = (at: number) => view.getUint32(at, littleEndian);
    if (bytes.byteLength < 8) throw new Error('truncated native deletion vector');
    const count = header(4);
    if (count >= 2 ** 21) throw new Error(`row indexes of bitmap ${count - 1} are beyond 2^53`);
    let at = 8;
    for (let high = 0; high < count; high++) {
      if (at + 4 > bytes.byteLength) throw new Error('truncated native deletion vector');
      const size = header(at);
      const bitmap = new ByteReader(view, at + 4, Math.min(at + 4 + size, bytes.byteLength));
      readRoaring32(bitmap, high, containers);
      if (bitmap.pos !== at + 4 + size) throw new Error(`bitmap ${high} is not ${size} bytes long`);
      at += 4 + size;
    }
    r.skip(at - 4);
  } else {
    throw new Error(
      `deletion vector magic number is ${magicLe}, not ${PORTABLE_ROARING_MAGIC} (portable) or ${NATIVE_ROARING_MAGIC} (native)`,
    );
  }
  if (r.pos !== bytes.byteLength) {
    throw new Error(`${bytes.byteLength - r.pos} bytes after the deletion vector bitmap`);
  }
  return new RowIndexSet(containers);
}

/** CRC-32 (IEEE 802.3, as java.util.zip.CRC32) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  // Node's zlib computes the same checksum natively (Node ≥ 20.15); the table loop is the fallback.
  if (nativeCrc32) return nativeCrc32(bytes) >>> 0;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The bitmap bytes of the vector at `offset` in a deletion vector file (`file` holds at least
 * the bytes from `offset`): checks its big-endian size against `sizeInBytes` and its CRC-32.
 * `fileStart` is the position of `file[0]` in the whole file (the version byte is at 0).
 */
export function unframeDeletionVector(
  file: Uint8Array,
  fileStart: number,
  offset: number,
  sizeInBytes: number,
): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (fileStart === 0 && file.byteLength > 0 && file[0] !== 1) {
    throw new Error(`deletion vector file format version ${file[0]} (sluice reads version 1)`);
  }
  const at = offset - fileStart;
  if (at < 0 || at + 4 + sizeInBytes + 4 > file.byteLength) {
    throw new Error(
      `deletion vector at offset ${offset} (${sizeInBytes} bytes) is beyond the end of its file`,
    );
  }
  const size = view.getUint32(at, false);
  if (size !== sizeInBytes)
    throw new Error(`deletion vector at offset ${offset} has ${size} bytes, the log says ${sizeInBytes}`);
  const data = file.subarray(at + 4, at + 4 + size);
  const expected = view.getUint32(at + 4 + size, false);
  const actual = crc32(data);
  if (actual !== expected) throw new Error(`deletion vector at offset ${offset} fails its checksum`);
  return data;
}
