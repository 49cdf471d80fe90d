/**
 * Spark casts with ANSI mode on (Spark 4.1's default): values, result types, and the errors
 * Spark raises. Expected values are Spark's documented results (the ANSI compliance page, the
 * cast examples, and Spark's behaviour for its own cast tables); each case runs both on a typed
 * column (the type is only known when the query runs) and, where it is written as a literal,
 * as compiled.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError, toSluiceError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';
import { db, runBound } from './helpers.ts';
import { formatRows } from './spark-examples/format.ts';

/** Runs DuckDB SQL and prints its single row as Spark prints it, with the DuckDB result types. */
async function run(sql: string): Promise<{ shown: string; types: string }> {
  const reader = await (await db()).runAndReadAll(sql);
  return {
    shown: formatRows(reader.getRows(), reader.columnTypes(), 'UTC'),
    types: reader.columnTypes().map(String).join(','),
  };
}

/** `spark` (reading column `x`) over one row where `x` is `value` of DuckDB type `type`. */
async function onColumn(
  type: string,
  value: string,
  spark: string,
): Promise<{ shown: string; types: string }> {
  const q = await session.sql.compileQuery(`SELECT ${spark} AS v FROM t`);
  await (await db()).run(
    `CREATE OR REPLACE TEMP VIEW __sluice_input_0 AS SELECT CAST(${value} AS ${type}) AS x`,
  );
  return run(q.sql);
}

/** The error code a query fails with (compile or run), or undefined. */
async function failure(sql: string, input?: [string, string]): Promise<string | undefined> {
  try {
    const q = await session.sql.compileQuery(sql);
    if (input) await runBound(q.sql, [`SELECT CAST(${input[1]} AS ${input[0]}) AS x`]);
    else await run(q.sql);
    return undefined;
  } catch (e) {
    return isSluiceError(e) ? e.code : toSluiceError(e, 'INTERNAL').code;
  }
}

// [DuckDB type of x, its value, the Spark expression, Spark's result as printed, result type]
const ON_COLUMNS: [string, string, string, string, string][] = [
  // Fractions truncate toward zero (DuckDB rounds); strings trim blanks and control bytes.
  ['DOUBLE', '1.7', 'CAST(x AS INT)', '1', 'INTEGER'],
  ['DOUBLE', '-1.7', 'CAST(x AS INT)', '-1', 'INTEGER'],
  ['DECIMAL(5,2)', '-2.99', 'CAST(x AS BIGINT)', '-2', 'BIGINT'],
  ['FLOAT', '2.5', 'CAST(x AS SMALLINT)', '2', 'SMALLINT'],
  ['VARCHAR', "' 1\t'", 'CAST(x AS TINYINT)', '1', 'TINYINT'],
  ['VARCHAR', "'-2147483648'", 'CAST(x AS INT)', '-2147483648', 'INTEGER'],
  ['VARCHAR', "'+007'", 'CAST(x AS BIGINT)', '7', 'BIGINT'],
  ['BOOLEAN', 'true', 'CAST(x AS INT)', '1', 'INTEGER'],
  // A TIMESTAMP is seconds since the epoch: BIGINT rounds down, DOUBLE keeps the fraction.
  ['TIMESTAMPTZ', "'1969-12-31 23:59:59.5+00'", 'CAST(x AS BIGINT)', '-1', 'BIGINT'],
  ['TIMESTAMPTZ', "'2020-01-01 00:00:00.5+00'", 'CAST(x AS DOUBLE)', '1.5778368005E9', 'DOUBLE'],
  // … and a number cast to TIMESTAMP is seconds since the epoch, fractions kept.
  ['BIGINT', '1650000000', 'CAST(x AS TIMESTAMP)', '2022-04-15 05:20:00', 'TIMESTAMP WITH TIME ZONE'],
  ['DOUBLE', '-1.5', 'CAST(x AS TIMESTAMP)', '1969-12-31 23:59:58.5', 'TIMESTAMP WITH TIME ZONE'],
  [
    'DECIMAL(10,7)',
    '1.1234567',
    'CAST(x AS TIMESTAMP)',
    '1970-01-01 00:00:01.123456',
    'TIMESTAMP WITH TIME ZONE',
  ],
  // Booleans: Spark's words, any case, trimmed; numbers are true when not zero.
  ['VARCHAR', "'\t\t true \n\r '", 'CAST(x AS BOOLEAN)', 'true', 'BOOLEAN'],
  ['VARCHAR', "'YES'", 'CAST(x AS BOOLEAN)', 'true', 'BOOLEAN'],
  ['VARCHAR', "'n'", 'CAST(x AS BOOLEAN)', 'false', 'BOOLEAN'],
  ['VARCHAR', "'0'", 'CAST(x AS BOOLEAN)', 'false', 'BOOLEAN'],
  ['DECIMAL(3,2)', '0.01', 'CAST(x AS BOOLEAN)', 'true', 'BOOLEAN'],
  ['DOUBLE', "'NaN'", 'CAST(x AS BOOLEAN)', 'true', 'BOOLEAN'],
  // Numbers as text: DOUBLE and FLOAT as Java prints them, DECIMAL in plain notation.
  ['DOUBLE', '1e10', 'CAST(x AS STRING)', '1.0E10', 'VARCHAR'],
  ['DOUBLE', '0.1', 'CAST(x AS STRING)', '0.1', 'VARCHAR'],
  ['DOUBLE', '1', 'CAST(x AS STRING)', '1.0', 'VARCHAR'],
  ['DOUBLE', '0.0001', 'CAST(x AS STRING)', '1.0E-4', 'VARCHAR'],
  ['DOUBLE', '0.001', 'CAST(x AS STRING)', '0.001', 'VARCHAR'],
  ['DOUBLE', '1234567.5', 'CAST(x AS STRING)', '1234567.5', 'VARCHAR'],
  ['DOUBLE', '12345678.9', 'CAST(x AS STRING)', '1.23456789E7', 'VARCHAR'],
  ['DOUBLE', '-0.000123', 'CAST(x AS STRING)', '-1.23E-4', 'VARCHAR'],
  ['DOUBLE', '1e300', 'CAST(x AS STRING)', '1.0E300', 'VARCHAR'],
  ['DOUBLE', "'-Infinity'", 'CAST(x AS STRING)', '-Infinity', 'VARCHAR'],
  ['DOUBLE', "'NaN'", 'CAST(x AS STRING)', 'NaN', 'VARCHAR'],
  ['DOUBLE', '-(0.0::DOUBLE)', 'CAST(x AS STRING)', '-0.0', 'VARCHAR'],
  ['FLOAT', '0.1', 'CAST(x AS STRING)', '0.1', 'VARCHAR'],
  ['FLOAT', '3.4028235e38', 'CAST(x AS STRING)', '3.4028235E38', 'VARCHAR'],
  ['FLOAT', '0.1', 'CAST(CAST(x AS DOUBLE) AS STRING)', '0.10000000149011612', 'VARCHAR'],
  ['DECIMAL(4,2)', '1.50', 'CAST(x AS STRING)', '1.50', 'VARCHAR'],
  ['BIGINT', '-42', 'CAST(x AS STRING)', '-42', 'VARCHAR'],
  ['BOOLEAN', 'false', 'CAST(x AS STRING)', 'false', 'VARCHAR'],
  ['DATE', "'2020-01-05'", 'CAST(x AS STRING)', '2020-01-05', 'VARCHAR'],
  ['TIMESTAMPTZ', "'2020-01-01 10:00:00.120+00'", 'CAST(x AS STRING)', '2020-01-01 10:00:00.12', 'VARCHAR'],
  ['TIMESTAMP', "'2020-01-01 10:00:00'", 'CAST(x AS STRING)', '2020-01-01 10:00:00', 'VARCHAR'],
  ['BLOB', "'abc'", 'CAST(x AS STRING)', 'abc', 'VARCHAR'],
  ['INTEGER[]', '[1, NULL, 3]', 'CAST(x AS STRING)', '[1, null, 3]', 'VARCHAR'],
  ['DOUBLE[]', '[1.0, 1e10]', 'CAST(x AS STRING)', '[1.0, 1.0E10]', 'VARCHAR'],
  ['VARCHAR[]', "['a', 'b']", 'CAST(x AS STRING)', '[a, b]', 'VARCHAR'],
  // Text to numbers: Java's grammar (suffixes, exponents, Spark's words for infinities).
  ['VARCHAR', "' 1.5e3 '", 'CAST(x AS DOUBLE)', '1500.0', 'DOUBLE'],
  ['VARCHAR', "'2.5d'", 'CAST(x AS DOUBLE)', '2.5', 'DOUBLE'],
  ['VARCHAR', "'-inf'", 'CAST(x AS DOUBLE)', '-Infinity', 'DOUBLE'],
  ['VARCHAR', "'Infinity'", 'CAST(x AS FLOAT)', 'Infinity', 'FLOAT'],
  ['VARCHAR', "'1e400'", 'CAST(x AS DOUBLE)', 'Infinity', 'DOUBLE'],
  ['VARCHAR', "'23.45'", 'CAST(x AS DECIMAL(4,2))', '23.45', 'DECIMAL(4,2)'],
  ['VARCHAR', "'1.5e1'", 'CAST(x AS DECIMAL(10,2))', '15.00', 'DECIMAL(10,2)'],
  ['VARCHAR', "'1.005'", 'CAST(x AS DECIMAL(4,2))', '1.01', 'DECIMAL(4,2)'],
  // DECIMAL rounds HALF_UP; a DOUBLE's shortest digits are rounded, not its binary value.
  ['DECIMAL(4,3)', '-1.125', 'CAST(x AS DECIMAL(3,2))', '-1.13', 'DECIMAL(3,2)'],
  ['DOUBLE', '0.15', 'CAST(x AS DECIMAL(2,1))', '0.2', 'DECIMAL(2,1)'],
  ['DOUBLE', '2.675', 'CAST(x AS DECIMAL(4,2))', '2.68', 'DECIMAL(4,2)'],
  ['DOUBLE', "'NaN'", 'CAST(x AS DECIMAL(4,2))', 'NULL', 'DECIMAL(4,2)'],
  ['BOOLEAN', 'true', 'CAST(x AS DECIMAL(3,1))', '1.0', 'DECIMAL(3,1)'],
  // A DOUBLE too large for FLOAT is Infinity (Java's narrowing), not an error.
  ['DOUBLE', '1e300', 'CAST(x AS FLOAT)', 'Infinity', 'FLOAT'],
  ['DECIMAL(20,1)', '0.3', 'CAST(x AS DOUBLE)', '0.3', 'DOUBLE'],
  // Dates: `yyyy`, `yyyy-[m]m`, `yyyy-[m]m-[d]d`, then anything after a space or `T`.
  ['VARCHAR', "'2020-1-5'", 'CAST(x AS DATE)', '2020-01-05', 'DATE'],
  ['VARCHAR', "'2020'", 'CAST(x AS DATE)', '2020-01-01', 'DATE'],
  ['VARCHAR', "'2020-02'", 'CAST(x AS DATE)', '2020-02-01', 'DATE'],
  ['VARCHAR', "' 2020-01-05T10:00 garbage'", 'CAST(x AS DATE)', '2020-01-05', 'DATE'],
  ['TIMESTAMPTZ', "'2020-01-05 23:59:59+00'", 'CAST(x AS DATE)', '2020-01-05', 'DATE'],
  // Timestamps: the same dates, times from `h` to `h:m:s.fraction`, and a zone after the seconds.
  [
    'VARCHAR',
    "'2020-01-01T10:00:00Z'",
    'CAST(x AS TIMESTAMP)',
    '2020-01-01 10:00:00',
    'TIMESTAMP WITH TIME ZONE',
  ],
  [
    'VARCHAR',
    "'2020-01-01 10:00:00.123456789+01:30'",
    'CAST(x AS TIMESTAMP)',
    '2020-01-01 08:30:00.123456',
    'TIMESTAMP WITH TIME ZONE',
  ],
  [
    'VARCHAR',
    "'2020-01-01 10:00:00 UTC+1'",
    'CAST(x AS TIMESTAMP)',
    '2020-01-01 09:00:00',
    'TIMESTAMP WITH TIME ZONE',
  ],
  [
    'VARCHAR',
    "'2020-01-01 10:00:00 EST'",
    'CAST(x AS TIMESTAMP)',
    '2020-01-01 15:00:00',
    'TIMESTAMP WITH TIME ZONE',
  ],
  [
    'VARCHAR',
    "'2020-01-01 10:00:00-1:5'",
    'CAST(x AS TIMESTAMP)',
    '2020-01-01 11:05:00',
    'TIMESTAMP WITH TIME ZONE',
  ],
  ['VARCHAR', "'2020-1-5 7'", 'CAST(x AS TIMESTAMP)', '2020-01-05 07:00:00', 'TIMESTAMP WITH TIME ZONE'],
  ['VARCHAR', "'2020'", 'CAST(x AS TIMESTAMP)', '2020-01-01 00:00:00', 'TIMESTAMP WITH TIME ZONE'],
  ['VARCHAR', "'2020-01-01 10:00:00+05:00'", 'CAST(x AS TIMESTAMP_NTZ)', '2020-01-01 10:00:00', 'TIMESTAMP'],
  ['DATE', "'2020-01-05'", 'CAST(x AS TIMESTAMP)', '2020-01-05 00:00:00', 'TIMESTAMP WITH TIME ZONE'],
  // Binary and text are UTF-8 bytes of each other.
  ['VARCHAR', "'abc'", 'hex(CAST(x AS BINARY))', '616263', 'VARCHAR'],
  // Arrays cast element by element.
  ['DOUBLE[]', '[1.5, -2.7]', 'CAST(x AS ARRAY<INT>)', '[1,-2]', 'INTEGER[]'],
  ['VARCHAR[]', "['1', ' 2', NULL]", 'CAST(x AS ARRAY<BIGINT>)', '[1,2,null]', 'BIGINT[]'],
  ['VARCHAR[]', "['x', '1']", 'TRY_CAST(x AS ARRAY<INT>)', '[null,1]', 'INTEGER[]'],
  ['INTEGER[]', 'NULL', 'CAST(x AS ARRAY<STRING>)', 'NULL', 'VARCHAR[]'],
  // A NULL array prints as NULL, not as an empty array.
  ['VARCHAR[]', 'NULL', 'CAST(x AS STRING)', 'NULL', 'VARCHAR'],
  ['INTEGER[]', 'NULL', 'CAST(x AS STRING)', 'NULL', 'VARCHAR'],
  ['DECIMAL(3,1)[]', 'NULL', 'CAST(x AS STRING)', 'NULL', 'VARCHAR'],
  ['VARCHAR[]', "['a', NULL]", 'CAST(x AS STRING)', '[a, null]', 'VARCHAR'],
  ['VARCHAR[]', '[]', 'CAST(x AS STRING)', '[]', 'VARCHAR'],
  // TRY_CAST is NULL where CAST fails.
  ['VARCHAR', "'1.23'", 'TRY_CAST(x AS INT)', 'NULL', 'INTEGER'],
  ['VARCHAR', "''", 'TRY_CAST(x AS BIGINT)', 'NULL', 'BIGINT'],
  ['VARCHAR', "'a'", 'TRY_CAST(x AS DATE)', 'NULL', 'DATE'],
  ['INTEGER', '300', 'TRY_CAST(x AS TINYINT)', 'NULL', 'TINYINT'],
  ['VARCHAR', "'123.45'", 'TRY_CAST(x AS DECIMAL(4,2))', 'NULL', 'DECIMAL(4,2)'],
  ['VARCHAR', 'NULL', 'CAST(x AS DATE)', 'NULL', 'DATE'],
  ['INTEGER', 'NULL', 'CAST(x AS STRING)', 'NULL', 'VARCHAR'],
  // The type-name functions are the same casts.
  ['DOUBLE', '-3.9', 'int(x)', '-3', 'INTEGER'],
  ['VARCHAR', "' 42 '", 'bigint(x)', '42', 'BIGINT'],
  ['DOUBLE', '1e10', 'string(x)', '1.0E10', 'VARCHAR'],
  ['VARCHAR', "'7.25'", 'decimal(x)', '7', 'DECIMAL(10,0)'],
  ['VARCHAR', "'t'", 'boolean(x)', 'true', 'BOOLEAN'],
  ['VARCHAR', "'2024-01-01T00:00:04'", 'timestamp(x)', '2024-01-01 00:00:04', 'TIMESTAMP WITH TIME ZONE'],
  ['BIGINT', '1650000000', 'timestamp(x)', '2022-04-15 05:20:00', 'TIMESTAMP WITH TIME ZONE'],
  ['VARCHAR', "'2024-01-01T00:00:04'", 'date(x)', '2024-01-01', 'DATE'],
];

test('casts on columns give Spark’s values and types for every source type', async () => {
  const wrong: string[] = [];
  for (const [type, value, spark, shown, resultType] of ON_COLUMNS) {
    const got = await onColumn(type, value, spark).catch((e: Error) => ({
      shown: `error: ${e.message}`,
      types: '',
    }));
    if (got.shown !== shown || got.types !== resultType) {
      wrong.push(
        `${spark} of ${type} ${value}: got ${got.shown} (${got.types}), want ${shown} (${resultType})`,
      );
    }
  }
  assert.deepEqual(wrong, []);
});

// Literals: the value's type is known when compiling, so only its conversion is written.
const LITERALS: [string, string][] = [
  ["CAST('10' AS INT)", '10'],
  ["'10' :: INT", '10'],
  ['CAST(1.7 AS INT)', '1'],
  ['CAST(-1.7 AS INT)', '-1'],
  ["CAST('2022-01-01' AS DATE)", '2022-01-01'],
  ["CAST('2022-01-01 00:00:00' AS TIMESTAMP)", '2022-01-01 00:00:00'],
  ["DATE '2020-1-5'", '2020-01-05'],
  ["TIMESTAMP '2020-01-01T10:00:00Z'", '2020-01-01 10:00:00'],
  ["CAST(TIMESTAMP '1969-12-31 23:59:59.5' AS BIGINT)", '-1'],
  ['CAST(1.5 AS TIMESTAMP)', '1970-01-01 00:00:01.5'],
  ['CAST(0.1D AS STRING)', '0.1'],
  ["CAST('1.0 ' AS DECIMAL(10,0))", '1'],
  ['CAST(NULL AS INT)', 'NULL'],
  ['true', 'true'],
  ["CAST('t' AS BOOLEAN)", 'true'],
  ['CAST(NULL AS ARRAY<INT>)', 'NULL'],
  ['CAST(NULL AS MAP<STRING, INT>)', 'NULL'],
];

test('casts of literals', async () => {
  const wrong: string[] = [];
  for (const [spark, shown] of LITERALS) {
    const sql = (await session.sql.compileQuery(`SELECT ${spark}`)).sql;
    const got = await run(sql).then(
      (r) => r.shown,
      (e: Error) => `error: ${e.message}`,
    );
    if (got !== shown) wrong.push(`${spark}: got ${got}, want ${shown}`);
  }
  assert.deepEqual(wrong, []);
});

test('casts fail where Spark fails with ANSI mode on', async () => {
  const cases: [string, [string, string] | undefined, string][] = [
    // Malformed text: Spark's CAST_INVALID_INPUT (DuckDB reads '1.23' as 1 and '' fails alike).
    ['SELECT CAST(x AS INT) FROM t', ['VARCHAR', "'1.23'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS INT) FROM t', ['VARCHAR', "''"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS INT) FROM t', ['VARCHAR', "'1中文'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS BIGINT) FROM t', ['VARCHAR', "'1_000'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS INT) FROM t', ['VARCHAR', "'0x10'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS BOOLEAN) FROM t', ['VARCHAR', "'\t\n xyz \t\r'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS DATE) FROM t', ['VARCHAR', "'a'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS DATE) FROM t', ['VARCHAR', "'2020-02-30'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS TIMESTAMP) FROM t', ['VARCHAR', "'2020-01-01 24:00:00'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS TIMESTAMP) FROM t', ['VARCHAR', "'2020-01-01 10:00Z'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS DOUBLE) FROM t', ['VARCHAR', "'abc'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS DECIMAL(4,2)) FROM t', ['VARCHAR', "'xyz'"], 'CAST_INVALID_INPUT'],
    ['SELECT CAST(x AS TIMESTAMP) FROM t', ['DOUBLE', "'Infinity'"], 'CAST_INVALID_INPUT'],
    // Values out of range: Spark's CAST_OVERFLOW / NUMERIC_VALUE_OUT_OF_RANGE.
    ['SELECT CAST(x AS INT) FROM t', ['BIGINT', '2147483648'], 'ARITHMETIC_OVERFLOW'],
    ['SELECT CAST(x AS TINYINT) FROM t', ['DOUBLE', '128.5'], 'ARITHMETIC_OVERFLOW'],
    ['SELECT CAST(x AS INT) FROM t', ['DOUBLE', "'NaN'"], 'ARITHMETIC_OVERFLOW'],
    ['SELECT CAST(x AS DECIMAL(4,2)) FROM t', ['VARCHAR', "'123.45'"], 'ARITHMETIC_OVERFLOW'],
    ['SELECT CAST(x AS DECIMAL(1,1)) FROM t', ['BOOLEAN', 'true'], 'ARITHMETIC_OVERFLOW'],
    ['SELECT CAST(x AS INT) FROM t', ['TIMESTAMPTZ', "'2100-01-01 00:00:00+00'"], 'ARITHMETIC_OVERFLOW'],
    // Casts Spark does not allow (DATE to INT: use UNIX_DATE) — at compile time when the type is
    // known, when the query runs otherwise.
    ["SELECT CAST(DATE '2020-01-01' AS INT)", undefined, 'DATATYPE_MISMATCH'],
    ['SELECT CAST(x AS INT) FROM t', ['DATE', "'2020-01-01'"], 'DATATYPE_MISMATCH'],
    ['SELECT TRY_CAST(x AS BIGINT) FROM t', ['TIMESTAMP', "'2020-01-01'"], 'DATATYPE_MISMATCH'],
    ['SELECT CAST(x AS DATE) FROM t', ['INTEGER', '1'], 'DATATYPE_MISMATCH'],
    ['SELECT CAST(x AS DATE) FROM t', ['INTEGER', 'NULL'], 'DATATYPE_MISMATCH'],
    ['SELECT CAST(x AS TIMESTAMP) FROM t', ['BOOLEAN', 'true'], 'DATATYPE_MISMATCH'],
    ['SELECT CAST(x AS BINARY) FROM t', ['INTEGER', '1'], 'DATATYPE_MISMATCH'],
    ["SELECT CAST(X'00' AS BOOLEAN)", undefined, 'DATATYPE_MISMATCH'],
    // What Spark computes but sluice cannot exactly: refused, never approximated.
    [
      'SELECT CAST(x AS TIMESTAMP) FROM t',
      ['VARCHAR', "'2020-01-01 10:00:00 Europe/Paris'"],
      'UNSUPPORTED_CAST',
    ],
    ['SELECT CAST(x AS TIMESTAMP) FROM t', ['VARCHAR', "'10:00:00'"], 'UNSUPPORTED_CAST'],
    ['SELECT TRY_CAST(x AS STRING) FROM t', ['BLOB', "'\\xFF'::BLOB"], 'UNSUPPORTED_CAST'],
    ['SELECT CAST(x AS STRING) FROM t', ['INTERVAL', "'1 day'"], 'UNSUPPORTED_CAST'],
    ["SELECT CAST(TIME '10:00:00' AS STRING)", undefined, 'UNSUPPORTED_CAST'],
    ['SELECT CAST(x AS ARRAY<INT>) FROM t', ['DECIMAL(3,1)[]', '[1.5]'], 'UNSUPPORTED_CAST'],
    ['SELECT CAST(x AS ARRAY<INT>) FROM t', ['DATE[]', "['2020-01-01'::DATE]"], 'DATATYPE_MISMATCH'],
    ['SELECT CAST(x AS ARRAY<INT>) FROM t', ['VARCHAR[]', "['x']"], 'CAST_INVALID_INPUT'],
  ];
  const wrong: string[] = [];
  for (const [sql, input, code] of cases) {
    const got = await failure(sql, input);
    if (got !== code) wrong.push(`${sql} ${input?.join(' ') ?? ''}: got ${got}, want ${code}`);
  }
  assert.deepEqual(wrong, []);
});

test('a cast error names the value and the place of the cast', async () => {
  const q = await session.sql.compileQuery('SELECT\n  CAST(s AS INT) AS i FROM t', {
    location: { file: 'transformations/t.sql', line: 3, column: 1 },
  });
  await assert.rejects(runBound(q.sql, ["SELECT 'a b' AS s"]), (e: unknown) => {
    const err = toSluiceError(e, 'INTERNAL');
    assert.equal(err.code, 'CAST_INVALID_INPUT');
    assert.match(err.message, /The value 'a b' of the type "STRING" cannot be cast to "INT"/);
    assert.match(err.message, /\(transformations\/t\.sql:4:3\)/);
    return true;
  });
});

test('a volatile value is cast once: the dispatch reads it through one evaluation', async () => {
  const q = await session.sql.compileQuery(
    'SELECT CAST(rand() * 10 AS INT) AS i, CAST(rand() AS STRING) AS s',
  );
  assert.match(q.sql, /list_transform/);
  const [r] = await runBound(q.sql, []);
  assert.ok(Number(r!.i) >= 0 && Number(r!.i) <= 9);
  assert.match(String(r!.s), /^0\.\d+$|^\d\.\d+E-\d+$/);
});

test('grouping by a cast and selecting it match', async () => {
  const q = await session.sql.compileQuery(
    'SELECT CAST(ts AS DATE) AS d, count(*) AS n FROM t GROUP BY CAST(ts AS DATE) ORDER BY d',
  );
  const out = await runBound(q.sql, [
    "SELECT * FROM (VALUES ('2024-01-01T10:00:00Z'), ('2024-01-01 23:00'), ('2024-1-2')) v(ts)",
  ]);
  assert.deepEqual(
    out.map((r) => [String(r.d), Number(r.n)]),
    [
      ['2024-01-01', 2],
      ['2024-01-02', 1],
    ],
  );
});

test('a STRING compared with another type is read as that type (Spark’s string promotion)', async () => {
  const literals = await run(
    (
      await session.sql.compileQuery(
        "SELECT 5 = '5', '3' > 20, 5 = ' 5 ', 1.5D = '1.50', DATE '2024-01-05' = '2024-1-5', " +
          "TIMESTAMP '2024-01-01 10:00:00' < '2024-01-01T11:00:00Z', true = 'yes', 1.01BD = '1.005'",
      )
    ).sql,
  );
  assert.equal(literals.shown, 'true\tfalse\ttrue\ttrue\ttrue\ttrue\ttrue\ttrue');
  // Columns: the type is read when the query runs; both sides compare as BIGINT, DOUBLE, DECIMAL….
  const cases: [string, string, string, string][] = [
    ['INTEGER', '5', "x = '05'", 'true'],
    ['BIGINT', '5', "x > '4'", 'true'],
    ['VARCHAR', "'05'", 'x = 5', 'true'],
    ['VARCHAR', "' 7'", '7 = x', 'true'],
    ['VARCHAR', "'abc'", "x = 'abc'", 'true'],
    ['DOUBLE', '1.5', "x = '1.5e0'", 'true'],
    ['DECIMAL(10,2)', '1.01', "x = '1.005'", 'true'],
    ['DATE', "'2024-01-05'", "x = '2024-01-05 10:00'", 'true'],
    ['TIMESTAMPTZ', "'2024-01-05 10:00:00+00'", "x = '2024-01-05T11:00:00+01:00'", 'true'],
    ['BOOLEAN', 'false', "x = 'NO'", 'true'],
    ['INTEGER', 'NULL', "x = '1'", 'NULL'],
    // A STRING column against a typed literal: read as the literal's type.
    ['VARCHAR', "'2021-01-05'", "x > DATE '2020-12-31'", 'true'],
    ['VARCHAR', "'2019-01-05'", "x > CAST('2020-12-31' AS DATE)", 'false'],
    ['VARCHAR', "'2021-01-05'", "x < TIMESTAMP '2021-01-05 10:00:00'", 'true'],
    ['VARCHAR', "'1.5'", 'x > 1.25D', 'true'],
    ['DATE', "'2024-01-05'", "x > DATE '2024-01-01'", 'true'],
    ['TIMESTAMP', "'2024-01-05 10:00:00'", "x > DATE '2024-01-05'", 'true'],
  ];
  const wrong: string[] = [];
  for (const [type, value, spark, shown] of cases) {
    const got = await onColumn(type, value, spark).catch((e: Error) => ({ shown: `error: ${e.message}` }));
    if (got.shown !== shown) wrong.push(`${spark} with x ${type} ${value}: got ${got.shown}, want ${shown}`);
  }
  assert.deepEqual(wrong, []);
  assert.equal(await failure("SELECT 6 = '5.5'"), 'CAST_INVALID_INPUT');
  assert.equal(await failure('SELECT x = 5 FROM t', ['VARCHAR', "'5.5'"]), 'CAST_INVALID_INPUT');
  assert.equal(await failure("SELECT x = '1e2' FROM t", ['INTEGER', '100']), 'CAST_INVALID_INPUT');
  assert.equal(await failure("SELECT x = 'abc' FROM t", ['DECIMAL(4,1)', '1.5']), 'CAST_INVALID_INPUT');
});

test('|| with a STRING side prints the other side as Spark’s cast does', async () => {
  const cases: [string, string, string, string][] = [
    ['DOUBLE', '1e20', "'a' || x", 'a1.0E20'],
    ['TIMESTAMPTZ', "'2024-01-01 10:00:00+00'", "x || '!'", '2024-01-01 10:00:00!'],
    ['INTEGER', '5', "'x' || x || 'y'", 'x5y'],
    ['VARCHAR', 'NULL', "'a' || x", 'NULL'],
  ];
  const wrong: string[] = [];
  for (const [type, value, spark, shown] of cases) {
    const got = await onColumn(type, value, spark).catch((e: Error) => ({ shown: `error: ${e.message}` }));
    if (got.shown !== shown) wrong.push(`${spark} with x ${type} ${value}: got ${got.shown}, want ${shown}`);
  }
  assert.deepEqual(wrong, []);
});

test('a comparison with a string literal keeps DuckDB’s filter pushdown', async () => {
  const q = await session.sql.compileQuery("SELECT x FROM t WHERE x = '42'");
  const c = await db();
  await c.run('CREATE OR REPLACE TEMP TABLE __sluice_cast_pushdown AS SELECT range AS x FROM range(100)');
  await c.run('CREATE OR REPLACE TEMP VIEW __sluice_input_0 AS SELECT * FROM __sluice_cast_pushdown');
  const plan = await c.runAndReadAll(`EXPLAIN ${q.sql}`);
  assert.match(String(plan.getRowsJson()[0]![1]), /Filters: x=42/);
});
