import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';
import { runBound } from './helpers.ts';

async function windows(expr: string, ts: string[]): Promise<unknown[]> {
  const q = await session.sql.compileQuery(`SELECT ${expr} AS w FROM t`);
  const values = ts.map((t) => (t === 'NULL' ? '(NULL::TIMESTAMPTZ)' : `(TIMESTAMPTZ '${t}')`)).join(', ');
  const rows = await runBound(`SELECT CAST(w AS VARCHAR) AS w FROM (${q.sql})`, [
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
  // Floor arithmetic before the epoch.
  assert.deepEqual(await windows("window(ts, '1 hour')", ['1969-12-31 23:30:00+00', 'NULL']), [
    "{'start': '1969-12-31 23:00:00+00', 'end': '1970-01-01 00:00:00+00'}",
    null,
  ]);
  assert.deepEqual(await windows("window_time(window(ts, '1 minute'))", ['2021-01-01 00:00:10+00']), [
    '2021-01-01 00:00:59.999999+00',
  ]);
});

test('window() arguments Spark refuses are refused with WINDOW_DURATION_INVALID; sliding and session windows are not supported yet', async () => {
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
    await code("SELECT window(ts, '1 minute', '30 seconds') FROM t"),
    'UNSUPPORTED_SPARK_FUNCTION',
  );
  assert.equal(await code("SELECT session_window(ts, '1 minute') FROM t"), 'UNSUPPORTED_SPARK_FUNCTION');
});
