/**
 * Deletion vectors: which rows of a data file are no longer in the table.
 *
 * A descriptor (`add.deletionVector`) names the vector: inline in the log (`i`, Z85 text), in a
 * file next to the data named by a UUID (`u`, `<table>/<prefix>/deletion_vector_<uuid>.bin`),
 * or in a file at an absolute path (`p`). Loading one reads and checks its bytes (magic number,
 * size, CRC) and decodes the row indexes — metadata work, done here in TypeScript.
 *
 * Filtering rows happens in DuckDB: a data file with a vector is read on its own with
 * `file_row_number` (the 0-based position of the row in the file, which is what vectors index)
 * and a predicate on it — an IN list or ranges when the vector is small, else a test of a bit in
 * a BIT constant — written so that DuckDB pushes it into the Parquet scan.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SluiceError } from '../../errors/index.ts';
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

/**
 * Parse cost (in DuckDB, roughly) of one literal of an IN list or a range bound, in the units
 * of one byte of base64 bitmap text: large lists bind slowly, long string literals parse fast.
 */
const LIST_ITEM_COST = 200;
/** `get_bit` takes an INTEGER position. */
const MAX_BITMAP_BITS = 2 ** 31 - 1;

/**
 * A SQL predicate over {@link ROW_INDEX_COLUMN} that is TRUE exactly for rows whose index is in
 * `set` (never NULL). Small or clustered sets become `IN` lists and `BETWEEN` ranges; others a
 * bit test against a BIT constant of `max + 1` bits.
 */
export function rowIndexInSql(set: RowIndexSet, column = ROW_INDEX_COLUMN): string {
  if (set.cardinality === 0) return 'false';
  const max = set.max;
  const points: number[] = [];
  const ranges: [number, number][] = [];
  let items = 0;
  const bitmapCost = Math.ceil((max + 1) / 6);
  for (const [s, e] of set.runs()) {
    if (e - s >= 2) {
      ranges.push([s, e]);
      items += 2;
    } else {
      for (let v = s; v <= e; v++) points.push(v);
      items += e - s + 1;
    }
    // Stop building the list as soon as the bitmap is known to be cheaper.
    if (items > 8 && items * LIST_ITEM_COST > bitmapCost && max < MAX_BITMAP_BITS)
      return bitmapSql(set, max + 1, column);
  }
  const terms: string[] = [];
  if (points.length === 1) terms.push(`${column} = ${points[0]}`);
  else if (points.length > 1) terms.push(`${column} IN (${points.join(', ')})`);
  for (const [s, e] of ranges) terms.push(`${column} BETWEEN ${s} AND ${e}`);
  return terms.length === 1 ? (terms[0] as string) : `(${terms.join(' OR ')})`;
}

function bitmapSql(set: RowIndexSet, length: number, column: string): string {
  const bits = Buffer.from(set.toMsbBitset(length)).toString('base64');
  // CASE keeps get_bit from ever seeing a position past the end of the bitmap.
  return `(CASE WHEN ${column} < ${length} THEN get_bit(from_base64('${bits}')::BIT, ${column}::INTEGER) = 1 ELSE false END)`;
}
