/**
 * Spark with ANSI mode off (`spark.sql.ansi.enabled = false`): casts, parses, divisions and
 * indexes give Spark's non-ANSI values. Expected values are Spark's documented facts (the ANSI
 * compliance page and the Databricks ANSI_MODE table: `1/0`, `1 % 0`, `1 div 0`, an invalid
 * array index → NULL; an invalid cast → NULL) and Spark's non-ANSI cast rules (`Cast` with
 * `ansiEnabled` false, `UTF8String.toInt` / `toLong`). Each runs once on a literal and once on a
 * typed column (the type only known when the query runs); the same text with ANSI mode on keeps
 * failing with the ANSI code.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDuckDBError, isSluiceError, toSluiceError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';
import { rows, runTyped } from './helpers.ts';

const LEGACY = { configuration: { 'spark.sql.ansi.enabled': 'false' } } as const;

const show = (v: unknown): string => (v === null ? 'NULL' : String(v));

/** `spark` compiled with ANSI mode off, as the value it gives (a literal query). */
async function legacyValue(spark: string): Promise<string> {
  const q = await session.sql.compileQuery(`SELECT ${spark} AS v`, LEGACY);
  return show((await rows(q.sql))[0]?.v);
}

/** `spark` over column `x` of DuckDB type `type` holding `value`, with ANSI mode off. */
async function legacyOnColumn(type: string, value: string, spark: string): Promise<string> {
  const q = await session.sql.compileQuery(`SELECT ${spark} AS v FROM t`, LEGACY);
  return show((await runTyped(q.sql, [`SELECT CAST(${value} AS ${type}) AS x`])).rows[0]?.v);
}

/** The code a query fails with (compile or run), or undefined. */
async function failure(
  spark: string,
  configuration: Record<string, string> = {},
): Promise<string | undefined> {
  try {
    const q = await session.sql.compileQuery(`SELECT ${spark} AS v`, { configuration });
    await rows(q.sql);
    return undefined;
  } catch (e) {
    if (isSluiceError(e)) return e.code;
    return (
      classifyDuckDBError(e instanceof Error ? e.message : String(e))?.code ??
      toSluiceError(e, 'INTERNAL').code
    );
  }
}

// [DuckDB type of x, its value, the Spark expression over x, Spark's non-ANSI result]
const CASES: [string, string, string, string][] = [
  // Text Spark cannot read is NULL (ANSI: CAST_INVALID_INPUT).
  ['VARCHAR', "''", 'CAST(x AS INT)', 'NULL'],
  ['VARCHAR', "'abc'", 'CAST(x AS BIGINT)', 'NULL'],
  ['VARCHAR', "'1e3'", 'CAST(x AS INT)', 'NULL'],
  ['VARCHAR', "'-'", 'CAST(x AS INT)', 'NULL'],
  ['VARCHAR', "'abc'", 'CAST(x AS DOUBLE)', 'NULL'],
  ['VARCHAR', "'maybe'", 'CAST(x AS BOOLEAN)', 'NULL'],
  ['VARCHAR', "'03-21-2020'", 'CAST(x AS DATE)', 'NULL'],
  ['VARCHAR', "'2020-13-01'", 'CAST(x AS DATE)', 'NULL'],
  ['VARCHAR', "'2020-01-01 25:00'", 'CAST(x AS TIMESTAMP)', 'NULL'],
  ['VARCHAR', "'N/A'", 'CAST(x AS DECIMAL(10,2))', 'NULL'],
  // UTF8String.toInt: blanks trimmed, the fraction after `.` dropped, `.` alone is 0.
  ['VARCHAR', "' 1.9 '", 'CAST(x AS INT)', '1'],
  ['VARCHAR', "'-7.99'", 'CAST(x AS BIGINT)', '-7'],
  ['VARCHAR', "'.'", 'CAST(x AS INT)', '0'],
  ['VARCHAR', "'+.5'", 'CAST(x AS SMALLINT)', '0'],
  ['VARCHAR', "'1.5x'", 'CAST(x AS INT)', 'NULL'],
  // Out of the type's range: NULL (toShort / toByte read an INT, then check it fits).
  ['VARCHAR', "'2147483648'", 'CAST(x AS INT)', 'NULL'],
  ['VARCHAR', "'128'", 'CAST(x AS TINYINT)', 'NULL'],
  ['VARCHAR', "'123.456'", 'CAST(x AS DECIMAL(4,2))', 'NULL'],
  // Numeric narrowing keeps the low bits (Java's (int) long); a DECIMAL is truncated first.
  ['BIGINT', '3000000000', 'CAST(x AS INT)', '-1294967296'],
  ['INTEGER', '128', 'CAST(x AS TINYINT)', '-128'],
  ['INTEGER', '-32769', 'CAST(x AS SMALLINT)', '32767'],
  ['DECIMAL(5,1)', '-129.9', 'CAST(x AS TINYINT)', '127'],
  ['DECIMAL(20,0)', '18446744073709551617', 'CAST(x AS BIGINT)', '1'],
  // DOUBLE → INT / BIGINT saturates, NaN is 0; TINYINT / SMALLINT take the low bits of the INT.
  ['DOUBLE', '1e20', 'CAST(x AS INT)', '2147483647'],
  ['DOUBLE', '-1e20', 'CAST(x AS BIGINT)', '-9223372036854775808'],
  ['DOUBLE', "'NaN'", 'CAST(x AS INT)', '0'],
  ['DOUBLE', '300.7', 'CAST(x AS TINYINT)', '44'],
  ['FLOAT', '-2.5', 'CAST(x AS INT)', '-2'],
  // A TIMESTAMP's seconds that do not fit: NULL (Spark 4).
  ['TIMESTAMPTZ', "'2100-01-01 00:00:00+00'", 'CAST(x AS INT)', 'NULL'],
  // BigDecimal.toString: scientific below an exponent of -6.
  ['DECIMAL(10,8)', '0.00000001', 'CAST(x AS STRING)', '1E-8'],
  ['DECIMAL(10,8)', '0', 'CAST(x AS STRING)', '0E-8'],
  ['DECIMAL(12,10)', '-0.0000001200', 'CAST(x AS STRING)', '-1.200E-7'],
  ['DECIMAL(10,8)', '-0.0000012', 'CAST(x AS STRING)', '-0.00000120'],
  ['DECIMAL(10,2)', '12.5', 'CAST(x AS STRING)', '12.50'],
  ['DECIMAL(10,8)', '0.00000001', "'v=' || x", 'v=1E-8'],
  // Parse failures are NULL (Spark 4: time parser policy CORRECTED, ANSI off).
  ['VARCHAR', "'03-21-2020'", 'to_date(x)', 'NULL'],
  ['VARCHAR', "'03-21-2020'", "to_date(x, 'yyyy-MM-dd')", 'NULL'],
  ['VARCHAR', "'21/03/2020'", "to_date(x, 'dd/MM/yyyy')", '2020-03-21'],
  ['VARCHAR', "'x'", "to_timestamp(x, 'yyyy-MM-dd HH:mm')", 'NULL'],
  ['VARCHAR', "'x'", 'to_timestamp(x)', 'NULL'],
  ['VARCHAR', "'nope'", 'unix_timestamp(x)', 'NULL'],
  ['VARCHAR', "'bad'", 'date_add(x, 1)', 'NULL'],
  // Division and remainder by zero, `div`, mod, pmod: NULL.
  ['INTEGER', '0', '1 / x', 'NULL'],
  ['INTEGER', '0', '1 % x', 'NULL'],
  ['INTEGER', '0', '7 div x', 'NULL'],
  ['DOUBLE', '0', 'mod(5.5, x)', 'NULL'],
  ['INTEGER', '0', 'pmod(-7, x)', 'NULL'],
  ['INTEGER', '2', '7 div x', '3'],
  // An array index out of range: NULL (index 0 of element_at still fails, see below).
  ['INTEGER', '5', 'array(1, 2)[x]', 'NULL'],
  ['INTEGER', '-1', 'array(1, 2)[x]', 'NULL'],
  ['INTEGER', '1', 'array(1, 2)[x]', '2'],
  ['INTEGER', '5', 'element_at(array(1, 2), x)', 'NULL'],
  ['INTEGER', '-5', 'element_at(array(1, 2), x)', 'NULL'],
  ['INTEGER', '3', "map(1, 'a')[x]", 'NULL'],
  // size of NULL is -1 (spark.sql.legacy.sizeOfNull applies with ANSI off); array_size NULL.
  ['INTEGER[]', 'NULL', 'size(x)', '-1'],
  ['INTEGER[]', 'NULL', 'array_size(x)', 'NULL'],
  // TRY_CAST is the same with ANSI mode on or off.
  ['VARCHAR', "'1.9'", 'TRY_CAST(x AS INT)', 'NULL'],
];

test('ANSI mode off: casts, parses, divisions and indexes give Spark non-ANSI values, on a column', async () => {
  const wrong: string[] = [];
  for (const [type, value, spark, expected] of CASES) {
    const got = await legacyOnColumn(type, value, spark).catch(
      (e) => `ERROR ${toSluiceError(e, 'INTERNAL').code}`,
    );
    if (got !== expected) wrong.push(`${spark} with x = ${value}::${type}: ${got}, expected ${expected}`);
  }
  assert.deepEqual(wrong, []);
});

test('ANSI mode off: the same cases written as literals', async () => {
  const wrong: string[] = [];
  for (const [type, value, spark, expected] of CASES) {
    const literal = spark.replace(
      /\bx\b/g,
      `CAST(${value} AS ${type === 'TIMESTAMPTZ' ? 'TIMESTAMP' : type})`,
    );
    if (type.endsWith('[]') || type === 'VARCHAR') {
      // Text literals (`'…'`) and NULL arrays: written as Spark literals.
      const text = spark.replace(/\bx\b/g, type === 'VARCHAR' ? value : 'CAST(NULL AS ARRAY<INT>)');
      const got = await legacyValue(text).catch((e) => `ERROR ${toSluiceError(e, 'INTERNAL').code}`);
      if (got !== expected) wrong.push(`${text}: ${got}, expected ${expected}`);
      continue;
    }
    const got = await legacyValue(literal).catch((e) => `ERROR ${toSluiceError(e, 'INTERNAL').code}`);
    if (got !== expected) wrong.push(`${literal}: ${got}, expected ${expected}`);
  }
  assert.deepEqual(wrong, []);
});

test('ANSI mode on (the default) keeps raising where ANSI Spark raises', async () => {
  assert.equal(await failure("CAST('' AS INT)"), 'CAST_INVALID_INPUT');
  assert.equal(await failure("CAST('1.9' AS INT)"), 'CAST_INVALID_INPUT');
  assert.equal(await failure("to_date('03-21-2020')"), 'CAST_INVALID_INPUT');
  assert.equal(await failure('1 / 0'), 'DIVIDE_BY_ZERO');
  // (Spark's INVALID_ARRAY_INDEX, raised by the query; not one of sluice's codes.)
  assert.notEqual(await failure('array(1, 2)[5]'), undefined);
  assert.equal(await failure('CAST(3000000000 AS INT)'), 'ARITHMETIC_OVERFLOW');
  assert.equal(await failure("CAST('2' AS INT)", { 'spark.sql.ansi.enabled': 'true' }), undefined);
  assert.equal(await failure("CAST('' AS INT)", { 'spark.sql.ansi.enabled': 'TRUE' }), 'CAST_INVALID_INPUT');
});

test('ANSI mode off: what sluice cannot compute exactly fails with a code, never another value', async () => {
  const off = { 'spark.sql.ansi.enabled': 'false' };
  // Spark saturates seconds past the range of microseconds; sluice refuses.
  assert.equal(await failure('CAST(9223372036854775807 AS TIMESTAMP)', off), 'LEGACY_MODE_UNSUPPORTED');
  // Non-ANSI Spark allows DATE → INT (NULL); sluice refuses it when compiling.
  assert.equal(await failure("CAST(DATE'2020-01-01' AS INT)", off), 'LEGACY_MODE_UNSUPPORTED');
  // An INT argument read from text with a fraction: Spark's non-ANSI reading, not translated.
  assert.equal(await failure("date_add(DATE'2020-01-01', '1.5')", off), 'LEGACY_MODE_UNSUPPORTED');
  // Index 0 of element_at fails with ANSI mode off too.
  assert.notEqual(await failure('element_at(array(1), 0)', off), undefined);
  // Integer overflow wraps in non-ANSI Spark: sluice fails (DuckDB checks every addition).
  assert.equal(await failure('2147483647 + 1', off), 'ARITHMETIC_OVERFLOW');
  assert.equal(await failure('1', { 'spark.sql.ansi.enabled': 'maybe' }), 'LEGACY_MODE_INVALID_SETTING');
});

test('ANSI mode off: a DECIMAL that a string function prints is Java text (BigDecimal.toString)', async () => {
  // Literals: typed when translated. (Java: an adjusted exponent below -6 prints as `dE-n`.)
  assert.equal(await legacyValue("concat('v=', CAST('0.00000001' AS DECIMAL(10,8)))"), 'v=1E-8');
  assert.equal(await legacyValue("concat('v=', CAST('12.5' AS DECIMAL(10,8)))"), 'v=12.50000000');
  assert.equal(await legacyValue("upper(CAST('0.000001' AS DECIMAL(10,8)))"), '0.00000100');
  // A column: typed when the query is bound; the text cast in GROUP BY and the select list stays
  // one expression.
  const q = await session.sql.compileQuery(
    'SELECT upper(x) AS u, count(*) AS n FROM t GROUP BY upper(x)',
    LEGACY,
  );
  const got = (await runTyped(q.sql, ["SELECT CAST('1.5' AS DECIMAL(10,8)) AS x"])).rows;
  assert.deepEqual(
    got.map((r) => [r.u, Number(r.n)]),
    [['1.50000000', 1]],
  );
  const tiny = (await runTyped(q.sql, ["SELECT CAST('-0.00000002' AS DECIMAL(10,8)) AS x"])).rows;
  assert.deepEqual(
    tiny.map((r) => [r.u, Number(r.n)]),
    [['-2E-8', 1]],
  );
});

test('ANSI mode off: a non-ANSI cast in GROUP BY and the select list is one expression', async () => {
  const q = await session.sql.compileQuery(
    'SELECT CAST(s AS INT) AS i, CAST(d AS TINYINT) AS b, CAST(f AS SMALLINT) AS h, count(*) AS n FROM t GROUP BY CAST(s AS INT), CAST(d AS TINYINT), CAST(f AS SMALLINT) ORDER BY 1',
    LEGACY,
  );
  const { rows: got } = await runTyped(q.sql, [
    "SELECT * FROM (VALUES (' 1.5', 300, 70000.9::DOUBLE), ('1', 300, 70000.2::DOUBLE), ('', 44, 4464.0::DOUBLE)) v(s, d, f)",
  ]);
  assert.deepEqual(
    got.map((r) => [show(r.i), show(r.b), show(r.h), Number(r.n)]),
    [
      ['1', '44', '4464', 2],
      ['NULL', '44', '4464', 1],
    ],
  );
});
