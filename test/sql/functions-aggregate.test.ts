import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from '../../src/errors/index.ts';
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

const close = (a: unknown, b: number) => Math.abs((a as number) - b) <= 1e-12 * Math.abs(b);

test('skewness and kurtosis use the population formulas (Spark documented results)', async () => {
  const a = await run(
    'SELECT skewness(col), kurtosis(col) FROM VALUES (-10), (-20), (100), (1000) AS tab(col)',
  );
  assert.ok(close(a.rows[0]![0], 1.1135657469022011), String(a.rows[0]![0]));
  assert.ok(close(a.rows[0]![1], -0.7014368047529627), String(a.rows[0]![1]));
  const b = await run(
    'SELECT skewness(col), kurtosis(col) FROM VALUES (1), (10), (100), (10), (1) AS tab(col)',
  );
  assert.ok(close(b.rows[0]![1], 0.19432323191699075), String(b.rows[0]![1]));
  // Constant input (m2 = 0) and a FILTER, per group.
  const c = await run(
    'SELECT g, skewness(x), kurtosis(x) FILTER (WHERE x > 0) FROM VALUES (1, 5), (1, 5), (2, -1), (2, 1), (2, 3), (2, 10) t(g, x) GROUP BY g ORDER BY g',
  );
  assert.deepEqual(c.rows[0], [1, null, null]);
  assert.ok(close(c.rows[1]![2], -1.5), String(c.rows[1]![2]));
  assert.equal(
    await refusal('SELECT skewness(DISTINCT x) FROM VALUES (1) t(x)'),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
});

test('listagg / string_agg: empty default delimiter, NULLs skipped, WITHIN GROUP order kept', async () => {
  const r = await run(
    "SELECT listagg(col), string_agg(col, ', '), listagg(col) WITHIN GROUP (ORDER BY col DESC) FROM VALUES ('a'), (NULL), ('b'), ('c') AS tab(col)",
  );
  assert.equal((r.rows[0]![0] as string).split('').sort().join(''), 'abc');
  assert.equal((r.rows[0]![0] as string).length, 3);
  assert.equal((r.rows[0]![1] as string).split(', ').sort().join(', '), 'a, b, c');
  assert.equal(r.rows[0]![2], 'cba');
  assert.deepEqual((await run('SELECT listagg(col) FROM VALUES (NULL), (NULL) AS tab(col)')).rows, [[null]]);
});

test('first / last / any_value keep a leading NULL unless ignoreNulls', async () => {
  const r = await run(
    'SELECT any_value(col), any_value(col, true), first(col), first(col, true), first_value(col, true), last(c2), last(c2, true), last_value(c2, true) FROM VALUES (NULL, 10), (5, 5), (20, NULL) AS tab(col, c2)',
  );
  // One row per value: DuckDB keeps the VALUES order here, as Spark's single partition does.
  assert.deepEqual(r.rows, [[null, 5, null, 5, 5, null, 5, 5]]);
  assert.equal(
    await refusal('SELECT first(x, y) FROM VALUES (1, true) t(x, y)'),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
});

test('percentiles: exact percentile as DOUBLE, percentile_approx as the rank ⌈p·n⌉ value', async () => {
  const r = await run(
    'SELECT percentile(col, 0.3), percentile(col, array(0.25, 0.75)), median(col) FROM VALUES (0), (10) AS tab(col)',
  );
  assert.deepEqual(r.rows, [[3, [2.5, 7.5], 5]]);
  assert.deepEqual(r.types, ['DOUBLE', 'DOUBLE[]', 'DOUBLE']);
  const a = await run(
    'SELECT percentile_approx(col, array(0.5, 0.4, 0.1), 100), approx_percentile(col, 0.3) FROM VALUES (0), (1), (2), (10) AS tab(col)',
  );
  assert.deepEqual(a.rows, [[[1, 1, 0], 1]]);
  assert.deepEqual(a.types, ['INTEGER[]', 'INTEGER']);
  const w = await run(
    'SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY col), percentile_disc(0.25) WITHIN GROUP (ORDER BY col), percentile_cont(0.25) WITHIN GROUP (ORDER BY col DESC), percentile_disc(0.25) WITHIN GROUP (ORDER BY col DESC) FROM VALUES (0), (10), (20), (30) AS tab(col)',
  );
  assert.deepEqual(w.rows, [[7.5, 0, 22.5, 30]]);
  assert.equal(
    await refusal('SELECT percentile_approx(x, 1.5) FROM VALUES (1) t(x)'),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
  await assert.rejects(
    run("SELECT median(x) FROM VALUES (INTERVAL '1' MONTH) t(x)"),
    /median\(\) of an INTERVAL/,
  );
});

test('mode: deterministic ties take the lowest value, WITHIN GROUP follows its order', async () => {
  const r = await run(
    'SELECT mode(col), mode(col, true), mode() WITHIN GROUP (ORDER BY col), mode() WITHIN GROUP (ORDER BY col DESC) FROM VALUES (20), (10), (0), (10), (20) AS tab(col)',
  );
  assert.ok([10, 20].includes(r.rows[0]![0] as number));
  assert.deepEqual(r.rows[0]!.slice(1), [10, 10, 20]);
});

test('regr_*: Spark documented results, NULL for degenerate inputs, BIGINT count', async () => {
  const r = await run(
    'SELECT regr_count(y, x), regr_avgx(y, x), regr_avgy(y, x), regr_sxx(y, x), regr_syy(y, x), regr_sxy(y, x), regr_r2(y, x) FROM VALUES (1, 2), (2, 2), (2, 3), (2, 4) AS tab(y, x)',
  );
  assert.equal(r.rows[0]![0], '4');
  assert.equal(r.types[0], 'BIGINT');
  assert.deepEqual(r.rows[0]!.slice(1, 3), [2.75, 1.75]);
  assert.ok(close(r.rows[0]![3], 2.75) && close(r.rows[0]![4], 0.75) && close(r.rows[0]![5], 0.75));
  assert.ok(close(r.rows[0]![6], 0.2727272727272727));
  const s = await run(
    'SELECT regr_slope(y, x), regr_intercept(y, x) FROM VALUES (1, 1), (2, null), (null, 3), (4, 4) AS tab(y, x)',
  );
  assert.deepEqual(s.rows, [[1, 0]]);
  const n = await run(
    'SELECT regr_slope(y, x), regr_r2(y, x), regr_avgx(y, x) FROM VALUES (1, null) AS tab(y, x)',
  );
  assert.deepEqual(n.rows, [[null, null, null]]);
  // Spark: regr_r2 is 1 when x is constant and y is not, NULL when y is constant.
  const d = await run('SELECT regr_r2(y, x) FROM VALUES (1, 5), (2, 5) AS tab(y, x)');
  assert.deepEqual(d.rows, [[1]]);
});

test('try_sum / try_avg: NULL when a BIGINT sum overflows', async () => {
  const r = await run(
    'SELECT try_sum(col), try_avg(col) FROM VALUES (CAST(9223372036854775807 AS BIGINT)), (CAST(1 AS BIGINT)) AS tab(col)',
  );
  assert.deepEqual(r.rows, [[null, null]]);
  const ok = await run('SELECT try_sum(col), try_avg(col) FROM VALUES (5), (10), (NULL) AS tab(col)');
  assert.deepEqual(ok.rows, [['15', 7.5]]);
  assert.deepEqual(ok.types, ['BIGINT', 'DOUBLE']);
});

test('window calls: rank with an argument, first/last with ignoreNulls', async () => {
  const r = await run(
    'SELECT o, rank(k) OVER (ORDER BY k), dense_rank(k) OVER (ORDER BY k), first_value(b) IGNORE NULLS OVER (ORDER BY o), last_value(b) OVER (ORDER BY o ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) FROM VALUES (1, NULL, 3), (2, 2, 2), (3, 1, 1), (4, 1, 1) tab(o, b, k) ORDER BY o',
  );
  assert.deepEqual(
    r.rows.map((x) => x.slice(3)),
    [
      [null, 1],
      [2, 1],
      [2, 1],
      [2, 1],
    ],
  );
  assert.deepEqual(
    r.rows.map((x) => [x[1], x[2]]),
    [
      ['4', '3'],
      ['3', '2'],
      ['1', '1'],
      ['1', '1'],
    ],
  );
  assert.equal(
    await refusal('SELECT skewness(x) OVER () FROM VALUES (1) t(x)'),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
});

test('percentiles and try_avg of intervals the query text shows are refused when it compiles, numbers still run', async () => {
  // Spark's percentile of an ANSI interval is an interval; DuckDB has no interval quantile.
  const refused = [
    "SELECT percentile(col, 0.5) FROM VALUES (INTERVAL '0' MONTH), (INTERVAL '10' MONTH) AS tab(col)",
    "SELECT median(col) FROM VALUES (INTERVAL '0' SECOND), (INTERVAL '10' SECOND) AS tab(col)",
    "SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY col) FROM VALUES (INTERVAL '1' YEAR) AS tab(col)",
    "SELECT percentile_disc(0.25) WITHIN GROUP (ORDER BY col DESC) FROM VALUES (INTERVAL '1' DAY) AS tab(col)",
    "SELECT try_avg(col) FROM VALUES (interval '2147483647 months'), (interval '1 months') AS tab(col)",
    "SELECT median(INTERVAL '1' DAY)",
  ];
  for (const sql of refused) assert.equal(await refusal(sql), 'UNSUPPORTED_SPARK_FUNCTION', sql);
  // A column of numbers (or of intervals in some rows only) is not an interval column.
  const numbers = await run('SELECT median(col), try_avg(col) FROM VALUES (1), (4) AS tab(col)');
  assert.deepEqual(numbers.rows, [[2.5, 2.5]]);
});
