import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rejects } from '../helpers/errors.ts';
import { session } from '../helpers/session.ts';
import { rows } from './helpers.ts';

// Spark SQL syntax: operators, literals, intervals and expression forms. Expected values are
// Spark 4.1's (ANSI mode), from its documentation where it gives them.

/** Compiles a Spark query reading no table and returns its rows, every value as text. */
async function spark(sql: string): Promise<Record<string, unknown>[]> {
  const q = await session.sql.compileQuery(sql);
  return rows(`SELECT COLUMNS(*)::VARCHAR FROM (${q.sql})`);
}

/** The single value of a one-row, one-column Spark query, as text. */
async function one(sql: string): Promise<unknown> {
  const [r] = await spark(sql);
  return Object.values(r!)[0];
}

/** DuckDB's type of the single column of a Spark query. */
async function typeOf(sql: string): Promise<string> {
  const q = await session.sql.compileQuery(sql);
  const [r] = await rows(`SELECT typeof(COLUMNS(*)) AS t FROM (${q.sql}) LIMIT 1`);
  return String(r!.t);
}

const at = { location: { file: 'f.sql', line: 1, column: 1 } };

test('^ is bitwise XOR (DuckDB: power); &, ^, | and shifts keep Spark precedence', async () => {
  assert.equal(await one('SELECT 3 ^ 5'), '6');
  assert.equal(await typeOf('SELECT 3 ^ 5'), 'INTEGER');
  assert.equal(await one('SELECT 3 & 5'), '1');
  assert.equal(await one('SELECT 3 | 5'), '7');
  assert.equal(await one('SELECT ~ 0'), '-1');
  // Spark: & binds tighter than ^, ^ than |; DuckDB gives them one level, left to right.
  assert.equal(await one('SELECT 4 | 2 & 1'), '4');
  assert.equal(await one('SELECT 1 ^ 3 & 2'), '3');
  assert.equal(await one('SELECT 6 & 3 ^ 1 | 8'), '11');
  // Unary ~ binds tighter than &; shifts tighter than &; + tighter than shifts.
  assert.equal(await one('SELECT ~5 & 3'), '2');
  assert.equal(await one('SELECT 1 << 2 & 7'), '4');
  assert.equal(await one('SELECT 1 + 1 << 2'), '8');
});

test('shifts: Java semantics for counts past the width, >>> fills with zeros, narrow types widen to INT', async () => {
  assert.equal(await one('SELECT 2 << 1'), '4');
  assert.equal(await one('SELECT 4 >> 1'), '2');
  assert.equal(await one('SELECT 4 >>> 1'), '2');
  assert.equal(await one('SELECT shiftleft(2, 1)'), '4');
  // Java masks the count: 33 is 1 for an int, 70 is 6 for a long.
  assert.equal(await one('SELECT 1 << 33'), '2');
  assert.equal(await one('SELECT -8L >> 70'), '-1');
  assert.equal(await one('SELECT -1 >>> 28'), '15');
  assert.equal(await one('SELECT -1L >>> 60'), '15');
  assert.equal(await one('SELECT -8 >> 1'), '-4');
  assert.equal(await typeOf('SELECT CAST(1 AS TINYINT) << 1'), 'INTEGER');
  assert.deepEqual(
    await spark('SELECT x << 1 AS a, x >>> 1 AS b FROM VALUES (CAST(-2 AS BIGINT)), (NULL) t(x)'),
    [
      { a: '-4', b: '9223372036854775807' },
      { a: null, b: null },
    ],
  );
});

test('! is NOT, == is =, !< and !> compare, <=> is null-safe', async () => {
  assert.deepEqual(await spark('SELECT ! true AS a, ! NULL AS b, 1 == 1 AS c, 2 !> 1 AS d, 2 !< 1 AS e'), [
    { a: 'false', b: null, c: 'true', d: 'false', e: 'true' },
  ]);
  assert.deepEqual(await spark('SELECT NULL <=> NULL AS a, 1 <=> NULL AS b, 1 <=> 1 AS c'), [
    { a: 'true', b: 'false', c: 'true' },
  ]);
  assert.equal(await one("SELECT 'a' NOT IN ('b') AND ! ('a' = 'b')"), 'true');
});

test('div truncates to BIGINT, % keeps the dividend sign, a zero divisor fails (ANSI)', async () => {
  assert.equal(await one('SELECT 3 div 2'), '1');
  assert.equal(await one('SELECT -7 div 2'), '-3');
  assert.equal(await one('SELECT 7.5 div 2'), '3');
  assert.equal(await one("SELECT INTERVAL '1-1' YEAR TO MONTH div INTERVAL '-1' MONTH"), '-13');
  assert.equal(await one('SELECT INTERVAL -7 HOURS div INTERVAL 2 HOURS'), '-3');
  assert.equal(await typeOf('SELECT 7 div 2'), 'BIGINT');
  assert.equal(await one('SELECT -7 % 3'), '-1');
  assert.equal(await one('SELECT 7 % -3'), '1');
  assert.equal(await one('SELECT 2 % 1.8'), '0.2');
  assert.equal(await one('SELECT 3 / 2'), '1.5');
  for (const q of ['SELECT 5 % 0', 'SELECT 1 / 0', 'SELECT 1 div 0', 'SELECT x / x FROM VALUES (0) t(x)']) {
    await assert.rejects(spark(q), /DIVIDE_BY_ZERO/, q);
  }
  // % binds like * and /.
  assert.equal(await one('SELECT 1 + 7 % 4 * 2'), '7');
});

test('|| has the precedence of + and -, left to right', async () => {
  assert.equal(await one("SELECT 1 + 2 || 'x'"), '3x');
  assert.equal(await one("SELECT 'x' || 2 * 3"), 'x6');
  // Spark reads ('x' || 2) - 1, which is no number; DuckDB alone would give 'x1'.
  await assert.rejects(spark("SELECT 'x' || 2 - 1"));
});

test('LIKE escapes with \\ by default; LIKE ANY / ALL; RLIKE as an operator', async () => {
  assert.deepEqual(
    await spark(
      "SELECT 'a_b' LIKE 'a\\\\_b' AS a, 'axb' LIKE 'a\\\\_b' AS b, '%x' LIKE '\\\\%%' AS c, 'A' ILIKE 'a' AS d",
    ),
    [{ a: 'true', b: 'false', c: 'true', d: 'true' }],
  );
  assert.equal(await one("SELECT '\\\\abc' LIKE r'\\\\abc'"), 'true');
  assert.equal(await one("SELECT 'a/b' LIKE 'a//b' ESCAPE '/'"), 'true');
  assert.equal(await one("SELECT 'a_b' NOT LIKE 'a/_b' ESCAPE '/'"), 'false');
  assert.deepEqual(
    await spark(
      "SELECT 'foo' LIKE ANY ('%o', 'x%') AS a, 'foo' LIKE ALL ('%o', 'x%') AS b, 'foo' NOT LIKE ANY ('%o', 'x%') AS c, NULL LIKE ANY ('a') AS d",
    ),
    [{ a: 'true', b: 'false', c: 'true', d: null }],
  );
  const bad = await rejects(session.sql.compileQuery("SELECT 'a' LIKE 'a\\\\b'", at));
  assert.equal(bad.code, 'SQL_SYNTAX_ERROR');
  assert.equal(await one("SELECT 'abc' RLIKE '^a.c$'"), 'true');
  assert.equal(await one("SELECT 'abc' NOT RLIKE 'z'"), 'true');
});

test('literals: binary, raw and adjacent strings, typed numbers, date and time', async () => {
  assert.equal(await one("SELECT hex(x'537061726b')"), '537061726B');
  assert.equal(await one("SELECT length(X'123')"), '2');
  assert.equal(await one("SELECT r'\\d+\\n'"), '\\d+\\n');
  assert.equal(await one("SELECT 'a' 'b' \"c\""), 'abc');
  const types: [string, string][] = [
    ['1L', 'BIGINT'],
    ['1S', 'SMALLINT'],
    ['1Y', 'TINYINT'],
    ['1.5D', 'DOUBLE'],
    ['1F', 'FLOAT'],
    ['1.50BD', 'DECIMAL(3,2)'],
    ['0.5', 'DECIMAL(1,1)'],
    ['0.05', 'DECIMAL(2,2)'],
    ['1.5', 'DECIMAL(2,1)'],
    ['1e2', 'DOUBLE'],
    ['2.0D', 'DOUBLE'],
    ['2147483648', 'BIGINT'],
    ['12345678901234567890', 'DECIMAL(20,0)'],
    ["TIMESTAMP_NTZ '2024-01-02 03:04:05'", 'TIMESTAMP'],
    ["TIMESTAMP '2024-01-02 03:04:05'", 'TIMESTAMP WITH TIME ZONE'],
    ["TIME '01:02:03'", 'TIME'],
  ];
  for (const [literal, type] of types) assert.equal(await typeOf(`SELECT ${literal}`), type, literal);
  // Digits past 2^53 survive the trip through DuckDB's JSON parse tree.
  assert.equal(await one('SELECT 9007199254740993'), '9007199254740993');
  assert.equal(await one('SELECT 12345678901234567890'), '12345678901234567890');
  assert.match(String(await one('SELECT 0.12345678901234567890')), /^0?\.12345678901234567890$/);
  assert.equal(await one('SELECT -128Y'), '-128');
  assert.equal(await one("SELECT DATE 'epoch'"), '1970-01-01');
  for (const q of ['SELECT 128Y', "SELECT x'zz'", "SELECT INTERVAL '1' FORTNIGHT"]) {
    const err = await rejects(session.sql.compileQuery(q, at));
    assert.equal(err.code, 'SQL_SYNTAX_ERROR', q);
    assert.equal(err.location?.file, 'f.sql');
  }
  assert.equal(
    (await rejects(session.sql.compileQuery("SELECT DATE 'today'"))).code,
    'UNSUPPORTED_SQL_SYNTAX',
  );
});

test('interval literals: year-month as months, day-time as days and microseconds', async () => {
  const cases: [string, string][] = [
    ['INTERVAL 1 DAY 2 HOURS', '1 day 02:00:00'],
    ["INTERVAL '1-2' YEAR TO MONTH", '1 year 2 months'],
    ["INTERVAL -'1-1' YEAR TO MONTH", '-1 year -1 month'],
    ["INTERVAL '1 2:03' DAY TO MINUTE", '1 day 02:03:00'],
    ["INTERVAL '123 23:55:59.002001' DAY TO SECOND", '123 days 23:55:59.002001'],
    ["INTERVAL '1 day 2 hours'", '1 day 02:00:00'],
    ["INTERVAL '10' MONTH", '10 months'],
    ['INTERVAL 25 HOURS', '1 day 01:00:00'],
    ['INTERVAL 1.5 SECONDS', '00:00:01.5'],
    ['INTERVAL 2 WEEKS', '14 days'],
    ['INTERVAL 5 hours 30 seconds 1 milliseconds 1 microseconds', '05:00:30.001001'],
    ['INTERVAL -5 MINUTES', '-00:05:00'],
  ];
  for (const [literal, text] of cases) assert.equal(await one(`SELECT ${literal}`), text, literal);
  // Spark's documented extract examples on intervals.
  assert.equal(await one('SELECT extract(days FROM interval 5 days 3 hours 7 minutes)'), '5');
  assert.equal(await one("SELECT extract(MONTH FROM INTERVAL '2021-11' YEAR TO MONTH)"), '11');
  assert.equal(await one("SELECT extract(MINUTE FROM INTERVAL '123 23:55:59.002001' DAY TO SECOND)"), '55');
  assert.equal(
    await one("SELECT timestamp '2024-01-01 00:00:00' + INTERVAL 1 DAY 2 HOURS"),
    '2024-01-02 02:00:00+00',
  );
  for (const bad of [
    'INTERVAL 1 YEAR 2 DAYS',
    'INTERVAL 1.5 HOURS',
    "INTERVAL '1-12' YEAR TO MONTH",
    "INTERVAL '1 24' DAY TO HOUR",
    'INTERVAL 1 DAY TO HOUR',
  ]) {
    const err = await rejects(session.sql.compileQuery(`SELECT ${bad}`, at));
    assert.equal(err.code, 'SQL_SYNTAX_ERROR', bad);
  }
  // A column named `interval` is still a column.
  assert.deepEqual(await spark('SELECT interval FROM VALUES (1) t(interval)'), [{ interval: '1' }]);
});

test('function forms: substr FROM/FOR, position IN, struct(x AS n), WITHIN GROUP, FILTER, IGNORE NULLS', async () => {
  assert.equal(await one("SELECT substr('Spark SQL' FROM 5)"), 'k SQL');
  assert.equal(await one("SELECT substr('Spark SQL' FROM -3)"), 'SQL');
  assert.equal(await one("SELECT substring('Spark SQL' FROM 5 FOR 1)"), 'k');
  assert.equal(await one("SELECT position('bar' IN 'foobarbar')"), '4');
  assert.equal(await one("SELECT position('bar', 'foobarbar', 5)"), '7');
  assert.equal(await one("SELECT struct(1 AS a, 'x' AS b).b"), 'x');
  assert.equal(await one("SELECT named_struct('a', named_struct('b', 7)).a.b"), '7');
  assert.equal(
    await one(
      "SELECT listagg(col) WITHIN GROUP (ORDER BY col DESC) FROM VALUES ('a'), ('b'), ('c') AS tab(col)",
    ),
    'cba',
  );
  assert.equal(
    await one('SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY col) FROM VALUES (0), (10) AS tab(col)'),
    '2.5',
  );
  assert.equal(await one('SELECT count(*) FILTER (WHERE x > 1) FROM VALUES (1), (2), (3) t(x)'), '2');
  assert.equal(await one('SELECT first(x IGNORE NULLS) FROM VALUES (NULL), (5), (20) t(x)'), '5');
  assert.equal(await one('SELECT last(x) IGNORE NULLS FROM VALUES (10), (5), (NULL) t(x)'), '5');
  assert.deepEqual(
    await spark(
      'SELECT i, last_value(x) IGNORE NULLS OVER (ORDER BY i) AS v FROM VALUES (1, 1), (2, NULL), (3, 3) t(i, x) ORDER BY i',
    ),
    [
      { i: '1', v: '1' },
      { i: '2', v: '1' },
      { i: '3', v: '3' },
    ],
  );
  const err = await rejects(session.sql.compileQuery('SELECT sum(x) IGNORE NULLS FROM t', at));
  assert.equal(err.code, 'UNSUPPORTED_SQL_SYNTAX');
  assert.equal(err.params.construct, 'IGNORE NULLS');
});

test('any / some / exists parse as functions; EXISTS (subquery) stays a predicate', async () => {
  assert.deepEqual(
    await spark('SELECT any(col) AS a, some(col) AS s FROM VALUES (NULL), (true), (false) AS tab(col)'),
    [{ a: 'true', s: 'true' }],
  );
  assert.equal(await one('SELECT exists(array(1, 2, 3), x -> x % 2 == 0)'), 'true');
  assert.equal(await one('SELECT EXISTS (SELECT 1 WHERE false)'), 'false');
});

test('casts: ::, complex types, TRY_CAST, function-style casts', async () => {
  assert.equal(await one("SELECT '5'::int + 1"), '6');
  assert.equal(await one('SELECT (7 / 2)::int'), '3');
  assert.equal(await typeOf('SELECT CAST(NULL AS ARRAY<INT>)'), 'INTEGER[]');
  assert.equal(await typeOf('SELECT CAST(NULL AS ARRAY<ARRAY<BIGINT>>)'), 'BIGINT[][]');
  assert.equal(await one("SELECT TRY_CAST('x' AS INT)"), null);
  assert.equal(await one("SELECT int('42') + 1"), '43');
  assert.equal(await one('SELECT string(42)'), '42');
  assert.equal(await one("SELECT date('2024-03-05')"), '2024-03-05');
  assert.equal(await one("SELECT boolean('true')"), 'true');
  assert.equal(await typeOf("SELECT timestamp('2024-03-05 01:02:03')"), 'TIMESTAMP WITH TIME ZONE');
  const collate = await rejects(session.sql.compileQuery("SELECT CAST('a' AS STRING COLLATE UTF8_LCASE)"));
  assert.equal(collate.code, 'UNSUPPORTED_SQL_SYNTAX');
});

test('the JSON path operator: a STRING, case-insensitive names, brackets exact, column named after the field', async () => {
  const q = await session.sql.compileQuery(
    'SELECT j:k, j:K AS big, j:[\'K\'] AS exact, j:a.b[1] AS el, j:a, j:[\'a\'][\'b\'][0]::int + 1 AS n, j:`x y` FROM VALUES (\'{"k":"v","a":{"b":[1,2]},"x y":true}\'), (\'not json\'), (NULL), (\'{"k":null}\') t(j)',
  );
  const out = await rows(q.sql);
  assert.deepEqual(Object.keys(out[0]!), ['k', 'big', 'exact', 'el', 'a', 'n', 'x y']);
  assert.deepEqual(out, [
    { k: 'v', big: 'v', exact: null, el: '2', a: '{"b":[1,2]}', n: 2, 'x y': 'true' },
    { k: null, big: null, exact: null, el: null, a: null, n: null, 'x y': null },
    { k: null, big: null, exact: null, el: null, a: null, n: null, 'x y': null },
    { k: null, big: null, exact: null, el: null, a: null, n: null, 'x y': null },
  ]);
  await assert.rejects(
    spark(`SELECT j:x FROM VALUES ('{"x":1,"X":2}') t(j)`),
    /AMBIGUOUS_REFERENCE_TO_FIELDS/,
  );
  const wildcard = await rejects(session.sql.compileQuery('SELECT j:a[*] FROM t'));
  assert.equal(wildcard.code, 'UNSUPPORTED_SQL_SYNTAX');
});

test('subscripts: arrays count from 0 and fail out of bounds; maps and structs by key', async () => {
  assert.deepEqual(
    await spark(
      "SELECT array(1, 2, 3)[0] AS a, split('a,b', ',')[1] AS b, map('k', 1)['k'] AS c, map('k', 1)['z'] AS d, map(1, 'x')[1] AS e, named_struct('f', 2)['f'] AS f",
    ),
    [{ a: '1', b: 'b', c: '1', d: null, e: 'x', f: '2' }],
  );
  assert.deepEqual(await spark('SELECT x[1] AS v FROM VALUES (array(5, 6)), (NULL) t(x)'), [
    { v: '6' },
    { v: null },
  ]);
  await assert.rejects(spark('SELECT array(1, 2, 3)[3]'), /INVALID_ARRAY_INDEX/);
  await assert.rejects(spark('SELECT array(1, 2, 3)[-1]'), /INVALID_ARRAY_INDEX/);
  // A string has no elements: DuckDB would read a character, sluice fails to bind instead.
  await assert.rejects(spark("SELECT x[0] FROM VALUES ('abc') t(x)"));
  const slice = await rejects(session.sql.compileQuery('SELECT x[1:2] FROM t'));
  assert.equal(slice.code, 'UNSUPPORTED_SQL_SYNTAX');
});
