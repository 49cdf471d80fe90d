import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventTimeWatermark } from '../../src/model/index.ts';
import { rejects } from '../helpers/errors.ts';
import { session } from '../helpers/session.ts';
import { rows } from './helpers.ts';

// A computed event time in the WATERMARK clause (`WATERMARK expr [AS] name DELAY OF …`, Spark's
// namedExpression): what compiles into the input's watermark, and what is refused, with which code
// and where (Databricks' WATERMARK clause reference; Spark's ResolveEventTimeWatermark).

const placed = { location: { file: 'f.sql', line: 3, column: 1 } };

async function watermarkOf(sql: string): Promise<EventTimeWatermark | undefined> {
  return (await session.sql.compileQuery(sql)).inputs[0]?.watermark;
}

/** The compiled event time evaluated by DuckDB over one row of `relation`. */
async function evaluate(w: EventTimeWatermark | undefined, relation: string): Promise<unknown> {
  assert.ok(w?.expression, 'a computed event time');
  const [row] = await rows(`SELECT CAST(${w.expression.sql} AS VARCHAR) AS v FROM (${relation})`);
  return row?.v;
}

test("the docs' example compiles: the event time is named, kept on the read as its watermark column, and computed by DuckDB", async () => {
  const q = await session.sql.compileQuery(
    `SELECT window(ts, '10 minutes').start AS w, count(*) AS n
     FROM STREAM(raw) WATERMARK to_timestamp(ts_str) AS ts DELAY OF INTERVAL 5 MINUTES
     GROUP BY window(ts, '10 minutes')`,
  );
  const w = q.inputs[0]?.watermark;
  assert.equal(w?.column, 'ts');
  assert.equal(w?.delayMicros, 300_000_000);
  assert.equal(w?.expression?.kind, 'event_time_expression');
  assert.equal(await evaluate(w, "SELECT '2026-01-02 03:04:05.5' AS ts_str"), '2026-01-02 03:04:05.5+00');
  // The aggregation is planned over the watermarked input like any other.
  assert.equal(q.statefulPlan?.kind, 'streaming_aggregate');
  assert.equal(q.statefulPlan?.kind === 'streaming_aggregate' && q.statefulPlan.watermark.column, 'ts');
});

test('AS is optional, the name may be quoted, and a table alias may follow the clause', async () => {
  const noAs = await session.sql.compileQuery(
    'SELECT s.ts FROM STREAM raw WATERMARK timestamp_seconds(epoch) ts DELAY OF INTERVAL 10 SECONDS AS s',
  );
  assert.equal(noAs.inputs[0]?.watermark?.column, 'ts');
  assert.match(noAs.sql, /FROM __sluice_input_0 AS s/);
  assert.equal(await evaluate(noAs.inputs[0]?.watermark, 'SELECT 90 AS epoch'), '1970-01-01 00:01:30+00');
  const quoted = await watermarkOf(
    "SELECT * FROM STREAM(raw) WATERMARK CAST(s AS TIMESTAMP) + INTERVAL 1 HOUR AS `event time` DELAY OF INTERVAL '10' SECOND e",
  );
  assert.equal(quoted?.column, 'event time');
  assert.equal(await evaluate(quoted, "SELECT '2026-01-01 00:00:00' AS s"), '2026-01-01 01:00:00+00');
  const caseExpr = await watermarkOf(
    "SELECT * FROM STREAM read_files('d', format => 'json') WATERMARK CASE WHEN a IS NULL THEN to_timestamp(b) ELSE to_timestamp(a) END t DELAY OF INTERVAL 1 SECOND",
  );
  assert.equal(caseExpr?.column, 't');
  assert.equal(
    await evaluate(caseExpr, "SELECT NULL::VARCHAR AS a, '2026-03-01 10:00:00' AS b"),
    '2026-03-01 10:00:00+00',
  );
  // A column renamed (`ts AS event_time`) is computed too: the read gains `event_time`.
  const renamed = await watermarkOf(
    'SELECT * FROM STREAM(raw) WATERMARK ts AS event_time DELAY OF INTERVAL 1 SECOND',
  );
  assert.equal(renamed?.column, 'event_time');
  assert.ok(renamed?.expression);
  // A column as it is stays a column (nothing projected).
  assert.deepEqual(await watermarkOf('SELECT * FROM STREAM(raw) WATERMARK ts DELAY OF INTERVAL 1 SECOND'), {
    column: 'ts',
    delayMicros: 1_000_000,
  });
});

test('an expression without a name, or with several, is refused with Spark’s codes at its place', async () => {
  const unnamed = await rejects(
    session.sql.compileQuery(
      'SELECT *\nFROM STREAM(raw) WATERMARK to_timestamp(ts_str) DELAY OF INTERVAL 1 SECOND',
      placed,
    ),
  );
  assert.equal(unnamed.code, 'REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE');
  assert.deepEqual(unnamed.location, { file: 'f.sql', line: 4, column: 28 });
  // `ts + INTERVAL 1 HOUR`: the last word belongs to the interval, it is no name.
  const interval = await rejects(
    session.sql.compileQuery(
      'SELECT * FROM STREAM(raw) WATERMARK ts + INTERVAL 1 HOUR DELAY OF INTERVAL 1 SECOND',
    ),
  );
  assert.equal(interval.code, 'REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE');
  const multi = await rejects(
    session.sql.compileQuery(
      'SELECT * FROM STREAM(raw) WATERMARK to_timestamp(ts_str) AS (a, b) DELAY OF INTERVAL 1 SECOND',
      placed,
    ),
  );
  assert.equal(multi.code, 'CANNOT_USE_MULTI_ALIASES_IN_WATERMARK_CLAUSE');
  assert.equal(multi.location?.line, 3);
  const noDelay = await rejects(
    session.sql.compileQuery('SELECT * FROM STREAM(raw) WATERMARK to_timestamp(s) AS t'),
  );
  assert.equal(noDelay.code, 'STREAMING_QUERY_NOT_SUPPORTED');
  const month = await rejects(
    session.sql.compileQuery(
      'SELECT * FROM STREAM(raw) WATERMARK to_timestamp(s) AS t DELAY OF INTERVAL 2 MONTHS',
    ),
  );
  assert.equal(month.code, 'WATERMARK_DELAY_INVALID');
});

test('a non-deterministic event time, or one that is no per-row transformation of the stream’s columns, is refused at its place', async () => {
  const cases: [string, RegExp][] = [
    ['current_timestamp()', /current_timestamp/],
    ['current_timestamp', /current_timestamp/i],
    ['now()', /now/],
    ['ts + make_interval(0, 0, 0, 0, 0, 0, rand())', /rand/],
    ['timestamp_seconds(unix_timestamp())', /unix_timestamp/],
    ['timestamp_seconds(max(epoch))', /aggregates/],
    ['timestamp_seconds(epoch + (SELECT 1))', /subquery/],
    ["TIMESTAMP '2026-01-01 00:00:00'", /reads none/],
  ];
  for (const [expr, reason] of cases) {
    const err = await rejects(
      session.sql.compileQuery(
        `SELECT *\nFROM STREAM(raw) WATERMARK ${expr} AS t DELAY OF INTERVAL 10 SECONDS`,
        placed,
      ),
    );
    assert.equal(err.code, 'WATERMARK_EVENT_TIME_NOT_DETERMINISTIC', expr);
    assert.match(err.message, reason, expr);
    assert.equal(err.location?.file, 'f.sql', expr);
    assert.equal(err.location?.line, 4, expr);
  }
});
