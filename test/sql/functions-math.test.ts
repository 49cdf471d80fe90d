import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDuckDBError, isSluiceError } from '../../src/errors/index.ts';
import { connect, session } from '../helpers/session.ts';

/** Runs a Spark query through sluice's translation: the rows as JSON values and the column types. */
async function run(sparkSql: string): Promise<{ rows: unknown[][]; types: string[] }> {
  const compiled = await session.sql.compileQuery(sparkSql);
  const conn = await connect();
  try {
    const reader = await conn.runAndReadAll(compiled.sql);
    return { rows: reader.getRowsJson() as unknown[][], types: reader.columnTypes().map(String) };
  } finally {
    conn.closeSync();
  }
}

async function refusal(sparkSql: string): Promise<string> {
  try {
    await session.sql.compileQuery(sparkSql);
  } catch (e) {
    if (isSluiceError(e)) return e.code;
    throw e;
  }
  assert.fail(`expected ${sparkSql} to be refused`);
}

test('ceil / floor: BIGINT for integers and doubles, DECIMAL(p-s+1, 0) for a visible decimal', async () => {
  // Spark: ceil(-0.1) = 0, floor(-0.1) = -1 (DECIMAL(1, 0)); ceil(5) = 5 (BIGINT).
  const lit = await run('SELECT ceil(-0.1), floor(-0.1), ceil(5), ceiling(5), floor(5)');
  assert.deepEqual(lit.rows, [['0', '-1', '5', '5', '5']]);
  assert.deepEqual(lit.types, ['DECIMAL(1,0)', 'DECIMAL(1,0)', 'BIGINT', 'BIGINT', 'BIGINT']);
  const col = await run('SELECT ceil(x), floor(x) FROM VALUES (2.5D), (-2.5D) t(x)');
  assert.deepEqual(col.rows, [
    ['3', '2'],
    ['-2', '-3'],
  ]);
  assert.deepEqual(col.types, ['BIGINT', 'BIGINT']);
  const dec = await run('SELECT ceil(CAST(x AS DECIMAL(10,2))) FROM VALUES (2.01) t(x)');
  assert.deepEqual(dec.rows, [['3']]);
  assert.deepEqual(dec.types, ['DECIMAL(9,0)']);
  // A DECIMAL column whose type the call does not show: failing is better than another type.
  const failure = await run('SELECT ceil(x) FROM VALUES (CAST(2.5 AS DECIMAL(10,2))) t(x)').then(
    () => undefined,
    (e: Error) => classifyDuckDBError(e.message),
  );
  assert.equal(failure?.code, 'UNSUPPORTED_SPARK_FUNCTION');
  assert.match(failure?.message ?? '', /ceil\(\) of a DECIMAL/);
});

test('ceil / floor with a scale: Spark rounds a DECIMAL up or down to that many places', async () => {
  // Spark's documented results: ceil(3.1411, 3) = 3.142, ceil(3.1411, -3) = 1000,
  // floor(3.1411, 3) = 3.141, floor(3.1411, -3) = 0.
  const r = await run(
    'SELECT ceil(3.1411, 3), ceil(3.1411, -3), floor(3.1411, 3), floor(3.1411, -3), floor(-3.1411, 2)',
  );
  assert.deepEqual(r.rows, [['3.142', '1000', '3.141', '0', '-3.15']]);
  assert.deepEqual(r.types, ['DECIMAL(5,3)', 'DECIMAL(4,0)', 'DECIMAL(5,3)', 'DECIMAL(4,0)', 'DECIMAL(4,2)']);
  assert.equal(await refusal('SELECT ceil(x, 2) FROM VALUES (1.5D) t(x)'), 'UNSUPPORTED_SPARK_FUNCTION');
});

test('round / bround keep the argument type; bround rounds half to even', async () => {
  // Spark: round(2.5, 0) = 3, bround(2.5, 0) = 2, bround(25, -1) = 20, round(25, -1) = 30.
  const r = await run(
    'SELECT round(2.5, 0), bround(2.5, 0), bround(25, -1), round(25, -1), bround(3.5), bround(-2.5)',
  );
  assert.deepEqual(r.rows, [['3', '2', 20, 30, '4', '-2']]);
  assert.deepEqual(r.types, [
    'DECIMAL(2,0)',
    'DECIMAL(2,0)',
    'INTEGER',
    'INTEGER',
    'DECIMAL(2,0)',
    'DECIMAL(2,0)',
  ]);
  const d = await run('SELECT bround(x, 0), round(x, 0) FROM VALUES (2.5D), (3.5D) t(x)');
  assert.deepEqual(d.rows, [
    [2, 3],
    [4, 4],
  ]);
  assert.deepEqual(d.types, ['DOUBLE', 'DOUBLE']);
});

test('round / bround of a DOUBLE round its decimal form, as Spark does (BigDecimal(Double.toString(x)))', async () => {
  // Spark: round(1.005D, 2) = 1.01 and round(0.285D, 2) = 0.29, where rounding the binary value
  // gives 1.0 and 0.28; bround(0.125D, 2) = 0.12; round(-0.001D, 2) = 0.0 (no negative zero);
  // round(2.675F, 2) rounds the FLOAT widened to 2.674999952316284 → 2.67.
  const r = await run(
    'SELECT round(1.005D, 2), round(CAST(x AS DOUBLE), 2), bround(0.125D, 2), CAST(round(-0.001D, 2) AS STRING), ' +
      "round(1234.5D, -1), round(1e300D, 2), round(CAST(2.675 AS FLOAT), 2) = CAST(2.67 AS FLOAT), round(CAST('NaN' AS DOUBLE), 1) FROM VALUES (0.285) t(x)",
  );
  assert.deepEqual(r.rows, [[1.01, 0.29, 0.12, '0.0', 1230, 1e300, true, 'NaN']]);
  assert.deepEqual(r.types.slice(0, 3), ['DOUBLE', 'DOUBLE', 'DOUBLE']);
  // A column whose type the call does not show: DuckDB's rounding where it is Spark's…
  const ok = await run('SELECT round(x, 2) FROM VALUES (1.004D), (2.5D), (CAST(NULL AS DOUBLE)) t(x)');
  assert.deepEqual(ok.rows, [[1], [2.5], [null]]);
  const ints = await run('SELECT round(x, -1) FROM VALUES (15), (25) t(x)');
  assert.deepEqual(ints, { rows: [[20], [30]], types: ['INTEGER'] });
  // …and a coded failure where it is not: never a different number.
  await assert.rejects(run('SELECT round(x, 2) FROM VALUES (1.005D) t(x)'), (e: Error) => {
    const failure = classifyDuckDBError(e.message);
    assert.equal(failure?.code, 'UNSUPPORTED_SPARK_FUNCTION');
    assert.match(failure!.message, /round\(\) of the DOUBLE 1\.005 to 2 places.*CAST the argument/);
    return true;
  });
});

test('sign / signum are DOUBLE and keep -0.0 and NaN', async () => {
  const r = await run('SELECT sign(40), signum(-3), sign(acos(x)), sign(y) FROM VALUES (2, 0) t(x, y)');
  assert.deepEqual(r.rows, [[1, -1, 'NaN', 0]]);
  assert.deepEqual(r.types, ['DOUBLE', 'DOUBLE', 'DOUBLE', 'DOUBLE']);
});

test("math functions give Spark's NaN / NULL / Infinity outside their domain", async () => {
  const r = await run(
    'SELECT acos(2), asin(2), atanh(2), acosh(0), sqrt(-1), ln(0), ln(-1), log10(0), log2(8), log(10, 100), cot(0), acos(1)',
  );
  assert.deepEqual(r.rows, [['NaN', 'NaN', 'NaN', 'NaN', 'NaN', null, null, null, 3, 2, 'Infinity', 0]]);
  const s = await run(
    'SELECT sec(0), csc(pi() / 2), hypot(3, 4), rint(12.3456), rint(2.5), negative(3), positive(-3), e()',
  );
  assert.deepEqual(s.rows, [[1, 1, 5, 12, 2, -3, -3, Math.E]]);
  // log1p / expm1 keep the precision of tiny arguments (log(1 + x) would lose it).
  const t = await run('SELECT log1p(0), expm1(0), log1p(-1), log1p(0.0000000001), expm1(0.0000000001)');
  assert.equal(t.rows[0]![2], null);
  assert.ok(Math.abs((t.rows[0]![3] as number) - 9.9999999995e-11) < 1e-24);
  assert.ok(Math.abs((t.rows[0]![4] as number) - 1.00000000005e-10) < 1e-24);
  // Spark computes asinh as log(x + sqrt(x² + 1)): -Infinity for a large negative x.
  assert.deepEqual((await run('SELECT asinh(-10000000000.0)')).rows, [['-Infinity']]);
});

test('width_bucket, bin, factorial, pmod and mod as Spark documents them', async () => {
  const w = await run(
    'SELECT width_bucket(5.3, 0.2, 10.6, 5), width_bucket(-2.1, 1.3, 3.4, 3), width_bucket(8.1, 0.0, 5.7, 4), width_bucket(-0.9, 5.2, 0.5, 2), width_bucket(1, 1, 1, 3)',
  );
  assert.deepEqual(w.rows, [['3', '0', '5', '3', null]]);
  const b = await run(
    'SELECT bin(13), bin(-13), bin(13.3), factorial(5), factorial(21), pmod(10, 3), pmod(-10, 3), mod(2, 1.8)',
  );
  assert.deepEqual(b.rows, [
    [
      '1101',
      '1111111111111111111111111111111111111111111111111111111111110011',
      '1101',
      '120',
      null,
      1,
      2,
      '0.2',
    ],
  ]);
  assert.equal(b.types[3], 'BIGINT');
  // ANSI mode: a zero divisor fails (DuckDB alone would give NULL), as DIVIDE_BY_ZERO.
  for (const q of ['SELECT mod(x, 0) FROM VALUES (7) t(x)', 'SELECT pmod(x, 0) FROM VALUES (7) t(x)']) {
    const failure = await run(q).then(
      () => undefined,
      (e: Error) => classifyDuckDBError(e.message),
    );
    assert.equal(failure?.code, 'DIVIDE_BY_ZERO', q);
  }
});

test('try_ arithmetic: NULL instead of an overflow or a zero divisor', async () => {
  const r = await run(
    'SELECT try_add(1, 2), try_add(2147483647, 1), try_subtract(-2147483648, 1), try_multiply(-2147483648, 10), try_divide(3, 2), try_divide(1, 0), try_mod(3, 2), try_mod(1, 0), try_mod(3.0, 2.0)',
  );
  assert.deepEqual(r.rows, [[3, null, null, null, 1.5, null, 1, null, '1.0']]);
  await assert.rejects(
    run('SELECT try_divide(x, 2) FROM VALUES (CAST(1 AS DECIMAL(3,1))) t(x)'),
    /try_divide\(\)/,
  );
});

test('a rewrite that evaluates its argument twice refuses a non-deterministic one', async () => {
  assert.equal(await refusal('SELECT sign(rand() - 0.5)'), 'UNSUPPORTED_SPARK_FUNCTION');
});

test('abs, sign, width_bucket, try_add, try_subtract and try_divide of ANSI intervals work on their count', async () => {
  // Spark: abs(INTERVAL -'1-1' YEAR TO MONTH) = 1-1; sign(INTERVAL -'100' YEAR) = -1.0;
  // a day-time interval counts microseconds.
  const r =
    await run(`SELECT abs(INTERVAL -'1-1' YEAR TO MONTH) AS a, abs(INTERVAL -'1 02:00:00' DAY TO SECOND) AS b,
    sign(INTERVAL -'100' YEAR) AS s, signum(INTERVAL '3' SECOND) AS t, sign(INTERVAL '0' DAY) AS z`);
  const iv = (months: number, days: number, micros: string) => ({ months, days, micros });
  assert.deepEqual(r.rows, [[iv(13, 0, '0'), iv(0, 1, '7200000000'), -1, 1, 0]]);
  assert.deepEqual(r.types.slice(2), ['DOUBLE', 'DOUBLE', 'DOUBLE']);
  // width_bucket of intervals of one kind buckets their counts.
  const w = await run(`SELECT width_bucket(INTERVAL '1' YEAR, INTERVAL '0' YEAR, INTERVAL '10' YEAR, 10),
    width_bucket(INTERVAL '25' HOUR, INTERVAL '0' DAY, INTERVAL '10' DAY, 10),
    width_bucket(INTERVAL '11' MONTH, INTERVAL '0' YEAR, INTERVAL '1' YEAR, 4)`);
  assert.deepEqual(w.rows, [['2', '2', '4']]);
  // A DATE and a year-month interval give a DATE, the day clamped to the month's end (Spark's add_months).
  const d =
    await run(`SELECT try_add(date'2021-01-31', interval 1 month) AS a, try_subtract(date'2021-03-31', interval 1 month) AS b,
    try_add(date'2020-02-29', interval 1 year) AS c`);
  assert.deepEqual(d.rows, [['2021-02-28', '2021-02-28', '2021-02-28']]);
  assert.deepEqual(d.types, ['DATE', 'DATE', 'DATE']);
  // try_divide of a year-month interval by an integer rounds half up; NULL for a zero divisor.
  const q = await run(`SELECT try_divide(interval 2 month, 2), try_divide(interval 3 month, 2),
    try_divide(interval -3 month, 2), try_divide(interval 1 year, 5), try_divide(interval 2 month, 0)`);
  assert.deepEqual(q.rows, [[iv(1, 0, '0'), iv(2, 0, '0'), iv(-2, 0, '0'), iv(2, 0, '0'), null]]);
});
