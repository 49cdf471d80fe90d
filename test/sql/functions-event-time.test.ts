import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';
import { runBound } from './helpers.ts';

async function windows(expr: string, ts: string[]): Promise<unknown[]> {
  const q = await session.sql.compileQuery(`SELECT ${expr} AS w FROM t`);
  const values = ts.map((t) => (t === 'NULL' ? '(NULL::TIMESTAMPTZ)' : `(TIMESTAMPTZ '${t}')`)).join(', ');
  const rows = await runBound(`SELECT CAST(w AS VARCHAR) AS w FROM (${q.sql}) ORDER BY 1`, [
    `SELECT * FROM (VALUES ${values}) AS v(ts)`,
  ]);
  return rows.map((r) => r.w);
}

test("window(ts, duration[, slide, start]): Spark's tumbling buckets, start offsets, instants before 1970, NULL", async () => {
  assert.deepEqual(
    await windows("window(ts, '5 minutes')", ['2021-01-01 00:04:30+00', '2021-01-01 00:05:00+00']),
    [
      "{'start': '2021-01-01 00:00:00+00', 'end': '2021-01-01 00:05:00+00'}",
      "{'start': '2021-01-01 00:05:00+00', 'end': '2021-01-01 00:10:00+00'}",
    ],
  );
  // A start offset shifts every bucket (Spark: |start| < slide).
  assert.deepEqual(
    await windows("window(ts, '10 minutes', '10 minutes', '2 minutes')", ['2021-01-01 00:01:00+00']),
    ["{'start': '2020-12-31 23:52:00+00', 'end': '2021-01-01 00:02:00+00'}"],
  );
  // Floor arithmetic before the epoch; a row without a time is dropped (Spark filters it out).
  assert.deepEqual(await windows("window(ts, '1 hour')", ['1969-12-31 23:30:00+00', 'NULL']), [
    "{'start': '1969-12-31 23:00:00+00', 'end': '1970-01-01 00:00:00+00'}",
  ]);
  assert.deepEqual(await windows("window_time(window(ts, '1 minute'))", ['2021-01-01 00:00:10+00']), [
    '2021-01-01 00:00:59.999999+00',
  ]);
  // A TIMESTAMP_NTZ event time would get TIMESTAMP_NTZ bounds in Spark: refused, never a TIMESTAMP column.
  const q = await session.sql.compileQuery("SELECT window(ts, '1 minute') AS w FROM t");
  await assert.rejects(
    runBound(q.sql, ["SELECT TIMESTAMP '2021-01-01 00:00:10' AS ts"]),
    /\[UNSUPPORTED_SPARK_FUNCTION\] window\(\) of a TIMESTAMP_NTZ column/,
  );
});

test("sliding windows expand each row into every window containing it (Spark's documented example, start offsets, NULL times dropped)", async () => {
  const q = await session.sql.compileQuery(
    "SELECT a, CAST(w.start AS STRING) AS s, CAST(w.end AS STRING) AS e, count(*) AS cnt FROM (SELECT a, window(b, '10 minutes', '5 minutes') AS w FROM t) GROUP BY a, w ORDER BY a, s",
  );
  const rows = await runBound(q.sql, [
    "SELECT * FROM (VALUES ('A1', TIMESTAMPTZ '2021-01-01 00:00:00+00'), ('A1', TIMESTAMPTZ '2021-01-01 00:04:30+00'), ('A1', TIMESTAMPTZ '2021-01-01 00:06:00+00'), ('A2', TIMESTAMPTZ '2021-01-01 00:01:00+00'), ('A2', NULL)) AS tab(a, b)",
  ]);
  assert.deepEqual(
    rows.map((r) => [r.a, r.s, r.e, Number(r.cnt)]),
    [
      ['A1', '2020-12-31 23:55:00', '2021-01-01 00:05:00', 2],
      ['A1', '2021-01-01 00:00:00', '2021-01-01 00:10:00', 3],
      ['A1', '2021-01-01 00:05:00', '2021-01-01 00:15:00', 1],
      ['A2', '2020-12-31 23:55:00', '2021-01-01 00:05:00', 1],
      ['A2', '2021-01-01 00:00:00', '2021-01-01 00:10:00', 1],
    ],
  );
  // A slide that does not divide the duration, with a start offset: every window holding ts, no other.
  assert.deepEqual(
    await windows("window(ts, '10 minutes', '3 minutes', '1 minute')", ['2021-01-01 00:07:00+00']),
    [
      "{'start': '2020-12-31 23:58:00+00', 'end': '2021-01-01 00:08:00+00'}",
      "{'start': '2021-01-01 00:01:00+00', 'end': '2021-01-01 00:11:00+00'}",
      "{'start': '2021-01-01 00:04:00+00', 'end': '2021-01-01 00:14:00+00'}",
      "{'start': '2021-01-01 00:07:00+00', 'end': '2021-01-01 00:17:00+00'}",
    ],
  );
});

test('window() arguments Spark refuses are refused with WINDOW_DURATION_INVALID; session windows outside a streaming aggregation and dynamic session gaps are refused', async () => {
  const code = async (sql: string) => {
    try {
      await session.sql.compileQuery(sql);
      return 'compiled';
    } catch (e) {
      return isSluiceError(e) ? e.code : String(e);
    }
  };
  assert.equal(await code("SELECT window(ts, '1 month') FROM t"), 'WINDOW_DURATION_INVALID');
  assert.equal(await code("SELECT window(ts, '0 seconds') FROM t"), 'WINDOW_DURATION_INVALID');
  assert.equal(await code("SELECT window(ts, '1 minute', '2 minutes') FROM t"), 'WINDOW_DURATION_INVALID');
  assert.equal(
    await code("SELECT window(ts, '1 minute', '1 minute', '1 minute') FROM t"),
    'WINDOW_DURATION_INVALID',
  );
  assert.equal(await code("SELECT window(ts, 'soon') FROM t"), 'WINDOW_DURATION_INVALID');
  assert.equal(
    await code("SELECT *, window(ts, '1 minute', '30 seconds') FROM t"),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
  // Session windows run only as the key of a streaming aggregation (test/engine/streaming-aggregate.test.ts).
  assert.equal(await code("SELECT session_window(ts, '1 minute') FROM t"), 'UNSUPPORTED_SPARK_FUNCTION');
  assert.equal(
    await code("SELECT session_window(ts, '1 minute') AS w, count(*) FROM t GROUP BY w"),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
  assert.equal(
    await code(
      "SELECT count(*) FROM t GROUP BY session_window(ts, CASE WHEN a = 1 THEN '1 minute' ELSE '5 minutes' END)",
    ),
    'SESSION_WINDOW_DYNAMIC_GAP',
  );
  assert.equal(
    await code("SELECT count(*) FROM t GROUP BY session_window(ts, '0 seconds')"),
    'WINDOW_DURATION_INVALID',
  );
  assert.equal(
    await code("SELECT window(ts, '1 minute') AS a, window(ts, '2 minutes') AS b FROM t"),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
});

test("a query level's window is the column `window` (Spark's name): window.start, window.end and window_time(window)", async () => {
  const q = await session.sql.compileQuery(
    "SELECT a, window.start, CAST(window_time(window) AS STRING) AS t, count(*) AS cnt FROM t GROUP BY a, window(b, '5 minutes') ORDER BY a, start",
  );
  const rows = await runBound(q.sql, [
    "SELECT * FROM (VALUES ('A1', TIMESTAMPTZ '2021-01-01 00:00:00+00'), ('A1', TIMESTAMPTZ '2021-01-01 00:04:30+00'), ('A1', TIMESTAMPTZ '2021-01-01 00:06:00+00')) AS tab(a, b)",
  ]);
  assert.deepEqual(
    rows.map((r) => [r.a, Object.keys(r)[1], r.t, Number(r.cnt)]),
    [
      ['A1', 'start', '2021-01-01 00:04:59.999999', 2],
      ['A1', 'start', '2021-01-01 00:09:59.999999', 1],
    ],
  );
});
