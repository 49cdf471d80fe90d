import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaDatePattern, SPARK_FUNCTIONS } from '../../src/sql/index.ts';
import { session } from '../helpers/session.ts';
import { rows, runBound } from './helpers.ts';

/** Translates a Spark expression, runs it in DuckDB (UTC) and returns the result as text. */
async function spark(expr: string): Promise<unknown> {
  const sql = await session.sql.translateExpression(expr);
  const [r] = await rows(`SELECT CAST(${sql} AS VARCHAR) AS v`);
  return r!.v;
}

// Expected values are what Spark 3.5 returns for the same expression (session time zone UTC).
const CASES: [string, string | null][] = [
  ["date_format(TIMESTAMP '2024-03-05 07:08:09', 'yyyy-MM-dd HH:mm:ss')", '2024-03-05 07:08:09'],
  ["date_format(TIMESTAMP '2024-03-05 07:08:09', 'yyyy-MM-dd HH:mm')", '2024-03-05 07:08'],
  ["date_format(TIMESTAMP '2024-03-05 17:08:09.123', 'yyyy/M/d h:mm a')", '2024/3/5 5:08 PM'],
  [
    "date_format(TIMESTAMP '2024-03-05 07:08:09.123', \"yyyy-MM-dd'T'HH:mm:ss.SSS\")",
    '2024-03-05T07:08:09.123',
  ],
  ["date_format(DATE '2024-03-05', 'EEE, dd MMM yyyy')", 'Tue, 05 Mar 2024'],
  ["date_format('2024-03-05 07:08:09', 'MMMM')", 'March'],
  ["to_date('2024-03-05')", '2024-03-05'],
  ["to_date('2024-03-05 23:59:59')", '2024-03-05'],
  ["to_date('05/03/2024', 'dd/MM/yyyy')", '2024-03-05'],
  ["to_timestamp('2024-03-05 07:08:09')", '2024-03-05 07:08:09+00'],
  ["to_timestamp('05/03/2024 07:08', 'dd/MM/yyyy HH:mm')", '2024-03-05 07:08:00+00'],
  ["date_trunc('hour', TIMESTAMP '2024-03-05 07:08:09')", '2024-03-05 07:00:00+00'],
  ["date_trunc('MONTH', TIMESTAMP '2024-03-05 07:08:09')", '2024-03-01 00:00:00+00'],
  ["date_trunc('QUARTER', TIMESTAMP '2024-05-14 17:23:45.678901')", '2024-04-01 00:00:00+00'],
  ["date_trunc('week', TIMESTAMP '2024-05-14 17:23:45.678901')", '2024-05-13 00:00:00+00'],
  ["date_trunc('MILLISECOND', TIMESTAMP '2024-05-14 17:23:45.678901')", '2024-05-14 17:23:45.678+00'],
  ["date_trunc('YEAR', '2024-05-14 17:23:45')", '2024-01-01 00:00:00+00'],
  ["trunc(DATE '2024-03-05', 'year')", '2024-01-01'],
  ['nvl(NULL, 5)', '5'],
  ['ifnull(NULL, 6)', '6'],
  ['nvl2(NULL, 1, 2)', '2'],
  ['coalesce(NULL, NULL, 3)', '3'],
  ["if(1 > 0, 'y', 'n')", 'y'],
  ["iff(1 < 0, 'y', 'n')", 'n'],
  ['isnull(NULL)', 'true'],
  ["TIMESTAMPDIFF(MINUTE, TIMESTAMP '2024-01-01 10:00:59', TIMESTAMP '2024-01-01 10:02:00')", '1'],
  ["TIMESTAMPDIFF(HOUR, TIMESTAMP '2024-01-01 10:59:00', TIMESTAMP '2024-01-01 11:01:00')", '0'],
  ["timestampdiff(DAY, '2024-01-01', '2024-03-01')", '60'],
  ["timestampadd(HOUR, 2, TIMESTAMP '2024-01-01 23:00:00')", '2024-01-02 01:00:00+00'],
  ["datediff('2024-03-05', '2024-03-01')", '4'],
  ["datediff(DATE '2024-03-01', DATE '2024-03-05')", '-4'],
  ["date_add('2024-02-28', 2)", '2024-03-01'],
  ["date_sub(DATE '2024-03-01', 1)", '2024-02-29'],
  ["add_months('2024-01-31', 1)", '2024-02-29'],
  ['from_unixtime(0)', '1970-01-01 00:00:00'],
  ["from_unixtime(86400, 'yyyy-MM-dd')", '1970-01-02'],
  ["unix_timestamp('1970-01-02 00:00:00')", '86400'],
  ["unix_timestamp('02/01/1970', 'dd/MM/yyyy')", '86400'],
  ["year('2024-03-05')", '2024'],
  ["month(DATE '2024-03-05')", '3'],
  ["day(DATE '2024-03-05')", '5'],
  ["dayofmonth(DATE '2024-03-05')", '5'],
  ["hour(TIMESTAMP '2024-03-05 07:08:09')", '7'],
  ["minute(TIMESTAMP '2024-03-05 07:08:09')", '8'],
  ["dayofweek(DATE '2024-03-05')", '3'],
  ["weekday(DATE '2024-03-05')", '1'],
  ["quarter(DATE '2024-05-05')", '2'],
  ["concat('a', 'b', 'c')", 'abc'],
  ["concat('a', NULL)", null],
  ["concat_ws('-', 'a', NULL, 'b')", 'a-b'],
  ["lower('AbC')", 'abc'],
  ["upper('AbC')", 'ABC'],
  ["lcase('AbC')", 'abc'],
  ["length('héllo')", '5'],
  ["substring('hello', 2, 3)", 'ell'],
  ["substr('hello', 2)", 'ello'],
  ["lpad('7', 3, '0')", '007'],
  ["rpad('7', 3)", '7  '],
  ["replace('a-b-c', '-')", 'abc'],
  ["locate('l', 'hello')", '3'],
  ["instr('hello', 'l')", '3'],
  ["trim('  x  ')", 'x'],
  ["split('a,b,,c', ',')", "[a, b, '', c]"],
  ["regexp_extract('abc123', '([a-z]+)(\\\\d+)')", 'abc'],
  ["regexp_extract('abc123', '([a-z]+)(\\\\d+)', 2)", '123'],
  ["regexp_replace('a1b2', '(\\\\d)', '<$1>')", 'a<1>b<2>'],
  ["'abc' RLIKE 'b'", 'true'],
  ["'abc' NOT RLIKE '^b'", 'true'],
  ["rlike('abc', '^a')", 'true'],
  ["startswith('hello', 'he')", 'true'],
  ["endswith('hello', 'lo')", 'true'],
  ["sha2('abc', 256)", 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ["md5('abc')", '900150983cd24fb0d6963f7d28e17f72'],
  ["base64('abc')", 'YWJj'],
  ['get_json_object(\'{"a":{"b":1}}\', \'$.a.b\')', '1'],
  ['round(2.5)', '3'],
  ['round(2.345, 2)', '2.35'],
  ['abs(-3)', '3'],
  ['mod(7, 3)', '1'],
  ['pmod(-7, 3)', '2'],
  ['7 DIV 2', '3'],
  ['greatest(1, 5, 3)', '5'],
  ['CAST(12 AS STRING)', '12'],
  ["CAST('42' AS INT)", '42'],
  ["CAST('42' AS LONG)", '42'],
  ["CAST('1.5' AS DECIMAL(10, 2))", '1.50'],
  ["CAST('2024-03-05 07:08:09' AS TIMESTAMP)", '2024-03-05 07:08:09+00'],
  ["CAST('2024-03-05 07:08:09' AS TIMESTAMP_NTZ)", '2024-03-05 07:08:09'],
  ['string(12)', '12'],
  ['nullif(1, 1)', null],
  ['size(array(1, 2, 3))', '3'],
  ['array_contains(array(1, 2), 2)', 'true'],
  ['sort_array(array(3, 1, 2), false)', '[3, 2, 1]'],
  ["array_join(array('a', 'b'), '+')", 'a+b'],
  ['NULL <=> NULL', 'true'],
  ['1 <=> NULL', 'false'],
  ["named_struct('a', 1, 'b', 'x').b", 'x'],
  ['10L + 1', '11'],
];

test('every translated Spark function runs in DuckDB and gives Spark’s answer', async () => {
  const failures: string[] = [];
  for (const [expr, expected] of CASES) {
    try {
      const got = await spark(expr);
      if (got !== expected) failures.push(`${expr}: expected ${expected}, got ${got}`);
    } catch (e) {
      failures.push(`${expr}: ${(e as Error).message}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('current_timestamp(), now(), current_date(), uuid() run', async () => {
  const [r] = await rows(
    `SELECT typeof(${await session.sql.translateExpression('current_timestamp()')}) AS a, typeof(${await session.sql.translateExpression('now()')}) AS b,
      ${await session.sql.translateExpression('current_date()')} = current_date AS c, length(${await session.sql.translateExpression('uuid()')}) AS d,
      ${await session.sql.translateExpression('CURRENT_TIMESTAMP')} IS NOT NULL AS e`,
  );
  assert.deepEqual(
    { ...r, d: Number(r!.d) },
    { a: 'TIMESTAMP WITH TIME ZONE', b: 'TIMESTAMP WITH TIME ZONE', c: true, d: 36, e: true },
  );
});

test('aggregates: count(DISTINCT), collect_list/collect_set skip NULLs, percentile_approx, windows', async () => {
  const q = await session.sql.compileQuery(`SELECT k,
      count(DISTINCT v) AS d, collect_list(v) AS l, collect_set(v) AS s, count(*) AS n, mean(v) AS m,
      percentile_approx(v, 0.5) AS p, max_by(v, o) AS mb
    FROM vals GROUP BY k`);
  const input = `SELECT * FROM (VALUES ('a', 1, 1), ('a', NULL, 2), ('a', 2, 3), ('a', 2, 4)) t(k, v, o)`;
  const [r] = await runBound(
    `SELECT k, d, CAST(l AS VARCHAR) AS l, CAST(list_sort(s) AS VARCHAR) AS s, n, m, p, mb FROM (${q.sql})`,
    [input],
  );
  assert.deepEqual(
    { ...r, d: Number(r!.d), n: Number(r!.n) },
    { k: 'a', d: 2, l: '[1, 2, 2]', s: '[1, 2]', n: 4, m: 5 / 3, p: 2, mb: 2 },
  );
  const w = await session.sql.compileQuery(
    'SELECT o, row_number() OVER (PARTITION BY k ORDER BY o DESC) AS rn, lag(o) OVER (ORDER BY o) AS prev FROM vals',
  );
  const out = await runBound(`SELECT o, rn, prev FROM (${w.sql}) ORDER BY o`, [input]);
  assert.deepEqual(
    out.map((x) => [x.o, Number(x.rn), x.prev]),
    [
      [1, 4, null],
      [2, 3, 1],
      [3, 2, 2],
      [4, 1, 3],
    ],
  );
});

test('date patterns: Java letters map to strftime; unknown letters are rejected', async () => {
  assert.equal(javaDatePattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", 'format'), '%Y-%m-%dT%H:%M:%S.%gZ');
  assert.equal(javaDatePattern("h 'o''clock' a", 'format'), "%-I o'clock %p");
  assert.equal(javaDatePattern('QQQ', 'format'), undefined);
  await assert.rejects(session.sql.translateExpression("date_format(ts, 'GGG')"), {
    code: 'UNSUPPORTED_SPARK_FUNCTION',
  });
});

test('the function table only names DuckDB functions that exist', async () => {
  const known = new Set(
    (await rows('SELECT DISTINCT lower(function_name) AS n FROM duckdb_functions()')).map((r) => r.n),
  );
  known.add('coalesce'); // parsed as an operator by DuckDB
  const missing = Object.entries(SPARK_FUNCTIONS)
    .filter(([, rule]) => typeof rule === 'string' && !known.has(rule))
    .map(([k, rule]) => `${k} → ${rule}`);
  assert.deepEqual(missing, []);
});
