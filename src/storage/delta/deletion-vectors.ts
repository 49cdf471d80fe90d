/**
 * Deletion vectors: which rows of a data file are no longer in the table.
 *
 * A descriptor (`add.deletionVector`) names the vector: inline in the log (`i`, Z85 text), in a
 * file next to the data named by a UUID (`u`, `<table>/<prefix>/deletion_vector_<uuid>.bin`),
 * or in a file at an absolute path (`p`). Loading one reads and checks its bytes (magic number,
 * size, CRC) and decodes the row indexes — metadata work, done here in TypeScript.
 *
 * Filtering rows happens in DuckDB: the files of a scan that has vectors are read with
 * `file_row_number` (the 0-based position of a row in its file, which is what vectors index),
 * and each row is tested against its file's vector, a BIT constant (util/bit-constants.ts) that
 * DuckDB tests inside the Parquet scan (scan.ts).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
import { bitConstantSql } from '../../util/index.ts';
import { decodeAddPath } from './partitions.ts';
import {
  decodeRoaringBitmapArray,
  decodeZ85,
  decodeZ85Uuid,
  type RowIndexSet,
  unframeDeletionVector,
} from './roaring-bitmap.ts';

/** `add.deletionVector` / `remove.deletionVector` as the log writes it. */
export interface DeletionVectorDescriptor {
  readonly storageType: 'u' | 'i' | 'p';
  readonly pathOrInlineDv: string;
  readonly offset?: number | null;
  readonly sizeInBytes: number;
  readonly cardinality: number;
}

/** The name of DuckDB's row-position column of `read_parquet(…, file_row_number = true)`. */
export const ROW_INDEX_COLUMN = 'file_row_number';

/** The descriptor of an action's `deletionVector` field, or undefined when it has none. */
export function deletionVectorOf(action: {
  readonly deletionVector?: unknown;
}): DeletionVectorDescriptor | undefined {
  const dv = action.deletionVector;
  if (dv === null || dv === undefined) return undefined;
  return dv as DeletionVectorDescriptor;
}

/**
 * The protocol's `uniqueId` of a vector: `<storageType><pathOrInlineDv>[@<offset>]`. Together
 * with the data file path it identifies a logical file in log replay.
 */
export function deletionVectorId(dv: DeletionVectorDescriptor): string {
  return dv.offset === undefined || dv.offset === null
    ? `${dv.storageType}${dv.pathOrInlineDv}`
    : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`;
}

/** The absolute local path of an on-disk vector (`u` or `p`) of the table at `tablePath`. */
export function deletionVectorPath(tablePath: string, dv: DeletionVectorDescriptor): string {
  if (dv.storageType === 'u') {
    const text = dv.pathOrInlineDv;
    if (text.length < 20) throw new Error(`'${text}' is too short for a Z85 UUID`);
    const prefix = text.slice(0, -20);
    const file = `deletion_vector_${decodeZ85Uuid(text.slice(-20))}.bin`;
    return prefix === '' ? join(tablePath, file) : join(tablePath, prefix, file);
  }
  if (dv.storageType === 'p') {
    const p = dv.pathOrInlineDv;
    if (/^[a-z][a-z0-9+.-]*:/i.test(p) && !p.startsWith('file:')) {
      throw new SluiceError(
        'DELTA_UNSUPPORTED_FEATURE',
        `deletion vector ${p} of Delta table at ${tablePath} is not on the local file system; sluice reads local files only — copy the table and its vectors to a local folder`,
        { params: { feature: 'remoteDeletionVector', table: tablePath, file: p } },
      );
    }
    const local = decodeAddPath(p);
    return isAbsolute(local) ? local : join(tablePath, local);
  }
  throw new Error(`an inline deletion vector has no path`);
}

/**
 * Reads and decodes a deletion vector. Throws DELTA_CORRUPT_DELETION_VECTOR when its file is
 * missing or its bytes are not a valid vector (bad magic number, size, checksum), or when it
 * does not hold `cardinality` rows.
 */
export function loadDeletionVector(
  tablePath: string,
  dv: DeletionVectorDescriptor,
  dataFile: string,
): RowIndexSet {
  let where = 'inline';
  try {
    let set: RowIndexSet;
    if (dv.storageType === 'i') {
      set = decodeRoaringBitmapArray(decodeZ85(dv.pathOrInlineDv, dv.sizeInBytes));
    } else if (dv.storageType === 'u' || dv.storageType === 'p') {
      const file = deletionVectorPath(tablePath, dv);
      where = file;
      const offset = dv.offset ?? 0;
      const bytes = readRange(file, offset, 4 + dv.sizeInBytes + 4);
      if (offset === 0) throw new Error('a deletion vector cannot start at offset 0 (the version byte)');
      const version = readRange(file, 0, 1);
      if (version[0] !== 1)
        throw new Error(`deletion vector file format version ${version[0]} (sluice reads version 1)`);
      set = decodeRoaringBitmapArray(unframeDeletionVector(bytes, offset, offset, dv.sizeInBytes));
    } else {
      throw new Error(`unknown storage type '${(dv as { storageType: string }).storageType}'`);
    }
    if (set.cardinality !== Number(dv.cardinality)) {
      throw new Error(`it holds ${set.cardinality} rows, the log says ${dv.cardinality}`);
    }
    return set;
  } catch (e) {
    if (e instanceof SluiceError) throw e;
    const reason =
      (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'its file is missing' : (e as Error).message;
    throw new SluiceError(
      'DELTA_CORRUPT_DELETION_VECTOR',
      `the deletion vector of data file ${dataFile} in Delta table at ${tablePath} cannot be read (${where}): ${reason}; its rows cannot be read correctly — restore the vector file or the table`,
      { params: { table: tablePath, file: dataFile, vector: where }, cause: e },
    );
  }
}

/** `length` bytes of `file` from `offset` (fewer only if the file ends first). */
function readRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** `get_bit` takes an INTEGER position: a bitmap spans at most this many rows. */
const MAX_BITMAP_BITS = 2 ** 31 - 1;

/** A row index set as a BIT constant (see {@link rowSetBitmap}). */
export interface RowBitmap {
  /** First index the bitmap covers (a multiple of 8). */
  readonly lo: number;
  /** Last index in the set. */
  readonly hi: number;
  /** SQL: a BIT constant of `hi - lo + 2` bits; bit `i` set when `lo + i` is in the set (the last bit is always 0). */
  readonly bits: string;
  /**
   * True when the bitmap spans every row of its file (`lo` 0, `hi` its last row): positions
   * need no clamping. Rows past the count the statistics gave are past every deleted row (kept,
   * rightly, while the byte padding lasts); beyond that the query fails (get_bit out of range).
   */
  readonly whole?: boolean;
}

/**
 * A row index set as a BIT constant spanning its lowest to highest index (so a vector deleting a
 * few rows at the end of a large file stays small), plus one always-clear bit that positions
 * outside the span are sent to; or, given the file's row count `rows` (its statistics), one bit
 * per row of the file, tested without clamping. Undefined for an empty set.
 */
export function rowSetBitmap(set: RowIndexSet, rows?: number): RowBitmap | undefined {
  if (set.cardinality === 0) return undefined;
  if (rows !== undefined && rows > set.max && rows < MAX_BITMAP_BITS) {
    // Every position of the file has its bit (the last one clear, never set by a vector).
    return { lo: 0, hi: rows - 1, bits: bitConstantSql(set.toMsbBitset(rows + 1)), whole: true };
  }
  // Starting at a multiple of 8 keeps bitmap containers copied byte by byte.
  const first = set.values().next().value as number;
  const lo = first - (first % 8);
  const hi = set.max;
  if (hi - lo + 2 > MAX_BITMAP_BITS) {
    throw new Error(`a deletion vector spans ${hi - lo + 1} rows (at most ${MAX_BITMAP_BITS - 1})`);
  }
  return { lo, hi, bits: bitConstantSql(set.toMsbBitset(hi - lo + 2, lo)) };
}

/**
 * SQL that is TRUE exactly when `column` (a non-negative row index) is in `bitmap` (`negated`:
 * exactly when it is not — one comparison, no NOT over it), never NULL
 * for a non-NULL index: one bit test per row, with positions outside the span sent to the
 * always-clear last bit (without a CASE when the span starts at 0, the common dense case).
 */
export function inBitmapSql(column: string, bitmap: RowBitmap, negated = false): string {
  const { lo, hi, bits } = bitmap;
  const pad = hi + 1 - lo;
  const position = bitmap.whole
    ? column
    : lo === 0
      ? `least(${column}, ${pad})`
      : `CASE WHEN ${column} BETWEEN ${lo} AND ${hi} THEN ${column} - ${lo} ELSE ${pad} END`;
  return `(get_bit(${bits}, (${position})::INTEGER) = ${negated ? 0 : 1})`;
}

/** A SQL predicate over `column` that is TRUE exactly for row indexes in `set` (never NULL). */
export function rowIndexInSql(set: RowIndexSet, column = ROW_INDEX_COLUMN): string {
  const b = rowSetBitmap(set);
  return b ? inBitmapSql(column, b) : 'false';
}
