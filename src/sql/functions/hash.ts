/**
 * Spark functions: hashes of bytes (md5, sha1, sha2, crc32). A string is hashed as its UTF-8
 * bytes, as Spark's implicit cast to binary does. See `index.ts` for how rules work.
 * Spark's `hash` and `xxhash64` are in `hash-spark.ts`.
 */
import { constantText } from '../ast.ts';
import { asBytes, cast, col, fn, int, lambda, list, listItem, nul, op, text } from './builders.ts';
import { SPARK_HASH_FUNCTIONS } from './hash-spark.ts';
import { arity, type FunctionCall, type FunctionRule } from './rules.ts';

/** The CRC-32 (IEEE 802.3, reflected) table, one entry per byte value. */
const CRC_TABLE: readonly number[] = Object.freeze(
  Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }),
);

/**
 * Spark's crc32: the CRC-32 of the bytes as a BIGINT. Computed byte by byte over the hex digits:
 * crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8), starting from 0xFFFFFFFF, inverted at the end.
 */
function crc32(c: FunctionCall) {
  arity(c, 1);
  const h = '__sluice_h';
  const bytes = fn(
    'list_transform',
    fn('regexp_extract_all', fn('hex', asBytes(c.args[0]!)), text('[0-9A-F]{2}')),
    lambda([h], cast(op('||', text('0x'), col(h)), 'BIGINT')),
  );
  const table = list(...CRC_TABLE.map((v) => cast(text(String(v)), 'BIGINT')));
  const crc = '__sluice_crc';
  const b = '__sluice_b';
  const step = fn(
    'xor',
    listItem(table, op('+', op('&', fn('xor', col(crc), col(b)), int(255)), int(1))),
    op('>>', col(crc), int(8)),
  );
  const folded = fn(
    'list_reduce',
    fn('list_prepend', cast(text('4294967295'), 'BIGINT'), bytes),
    lambda([crc, b], step),
  );
  return fn('xor', folded, cast(text('4294967295'), 'BIGINT'));
}

/** Spark's sha2(x, bits): hex SHA-2; 0 means 256. DuckDB has SHA-256 only. */
function sha2(c: FunctionCall) {
  arity(c, 2);
  const bits = constantText(c.args[1]!);
  if (bits === undefined) return c.unsupported('the bit length must be a literal');
  if (bits === '256' || bits === '0') return fn('sha256', asBytes(c.args[0]!));
  if (['224', '384', '512'].includes(bits))
    return c.unsupported(`sha2 with ${bits} bits is not supported (only 256)`);
  // Spark returns NULL for a bit length it does not know.
  return cast(nul(), 'VARCHAR');
}

const bytesHash =
  (name: string): FunctionRule =>
  (c) => {
    arity(c, 1);
    return fn(name, asBytes(c.args[0]!));
  };

export const HASH_FUNCTIONS: Readonly<Record<string, FunctionRule>> = {
  ...SPARK_HASH_FUNCTIONS,
  md5: bytesHash('md5'),
  sha: bytesHash('sha1'),
  sha1: bytesHash('sha1'),
  sha2,
  crc32,
};
