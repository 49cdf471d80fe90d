/**
 * Spark's date and time functions as sluice translates them: Spark 4.1's documented results
 * (session time zone UTC), result types, Spark's reading of strings and patterns, errors Spark
 * raises in ANSI mode, and arguments whose type is only known when the query runs (columns).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDuckDBError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';
import { rows, runBound } from './helpers.ts';

/** A Spark expression's value as DuckDB text (UTC) and its DuckDB type. */
async function spark(expr: string): Promise<[unknown, string]> {
  const sql = await session.sql.translateExpression(expr);
  const [r] = await rows(`SELECT CAST(v AS VARCHAR) AS v, typeof(v) AS t FROM (SELECT ${sql} AS v)`);
  return [r!.v, String(r!.t)];
}

/** The sluice error code of an expression that compiles but fails when it runs. */
async function runFailure(expr: string): Promise<string> {
  const sql = await session.sql.translateExpression(expr);
  try {
    await rows(`SELECT CAST(${sql} AS VARCHAR) AS v`);
  } catch (e) {
    return classifyDuckDBError((e as Error).message)?.code ?? `unclassified: ${(e as Error).message}`;
  }
  assert.fail(`${expr} ran without an error`);
}

async function assertRefused(expr: string, reason: RegExp): Promise<void> {
  await assert.rejects(session.sql.translateExpression(expr), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'UNSUPPORTED_SPARK_FUNCTION', `${expr}: ${e.message}`);
    assert.match(e.message, reason);
    return true;
  });
}

async function check(cases: readonly (readonly [string, string | null, string])[]): Promise<void> {
  const failures: string[] = [];
  for (const [expr, value, type] of cases) {
    try {
      const [v, t] = await spark(expr);
      if (v !== value || t !== type) failures.push(`${expr}: expected ${value} (${type}), got ${v} (${t})`);
    } catch (e) {
      failures.push(`${expr}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  assert.deepEqual(failures, []);
}

const TSTZ = 'TIMESTAMP WITH TIME ZONE';

test("Spark's documented examples, with Spark's result types", async () => {
  await check([
    ["date_add('2016-07-30', 1)", '2016-07-31', 'DATE'],
    ["date_sub('2016-07-30', 1)", '2016-07-29', 'DATE'],
    ["dayofyear('2016-04-09')", '100', 'INTEGER'],
    ["year('2016-07-30')", '2016', 'INTEGER'],
    ["quarter('2016-08-31')", '3', 'INTEGER'],
    ["dayofweek('2009-07-30')", '5', 'INTEGER'],
    ["weekday('2009-07-30')", '3', 'INTEGER'],
    ["weekofyear('2008-02-20')", '8', 'INTEGER'],
    ["monthname('2008-02-20')", 'Feb', 'VARCHAR'],
    ["dayname(DATE '2008-02-20')", 'Wed', 'VARCHAR'],
    ["hour('2018-02-14 12:58:59')", '12', 'INTEGER'],
    ["second('2018-02-14 12:58:59')", '59', 'INTEGER'],
    ["last_day('2009-01-12')", '2009-01-31', 'DATE'],
    ["next_day('2015-01-14', 'TU')", '2015-01-20', 'DATE'],
    ["add_months('2016-08-31', 1)", '2016-09-30', 'DATE'],
    ["months_between('1997-02-28 10:30:00', '1996-10-30')", '3.94959677', 'DOUBLE'],
    ["months_between('1997-02-28 10:30:00', '1996-10-30', false)", '3.9495967741935485', 'DOUBLE'],
    ["datediff('2009-07-30', '2009-07-31')", '-1', 'INTEGER'],
    ["unix_date(DATE '1970-01-02')", '1', 'INTEGER'],
    ['date_from_unix_date(1)', '1970-01-02', 'DATE'],
    ['make_date(2013, 7, 15)', '2013-07-15', 'DATE'],
    ['make_date(2019, 7, NULL)', null, 'DATE'],
    ["trunc('2019-08-04', 'week')", '2019-07-29', 'DATE'],
    ["trunc('2019-08-04', 'quarter')", '2019-07-01', 'DATE'],
    ["date_trunc('MILLISECOND', '2015-03-05T09:32:05.123456')", '2015-03-05 09:32:05.123+00', TSTZ],
    ["date_format('2016-04-08', 'y')", '2016', 'VARCHAR'],
    ["to_date('2009-07-30 04:17:52')", '2009-07-30', 'DATE'],
    ["to_date('2016-12-31', 'yyyy-MM-dd')", '2016-12-31', 'DATE'],
    ["try_to_date('foo', 'yyyy-MM-dd')", null, 'DATE'],
    ["to_timestamp('2016-12-31', 'yyyy-MM-dd')", '2016-12-31 00:00:00+00', TSTZ],
    ["to_timestamp_ntz('2016-12-31 00:12:00')", '2016-12-31 00:12:00', 'TIMESTAMP'],
    ["to_timestamp_ltz('2016-12-31', 'yyyy-MM-dd')", '2016-12-31 00:00:00+00', TSTZ],
    ["try_to_timestamp('foo', 'yyyy-MM-dd')", null, TSTZ],
    ["from_utc_timestamp('2016-08-31', 'Asia/Seoul')", '2016-08-31 09:00:00+00', TSTZ],
    ["to_utc_timestamp('2016-08-31', 'Asia/Seoul')", '2016-08-30 15:00:00+00', TSTZ],
    [
      "convert_timezone('Europe/Brussels', 'America/Los_Angeles', timestamp_ntz'2021-12-06 00:00:00')",
      '2021-12-05 15:00:00',
      'TIMESTAMP',
    ],
    ['make_timestamp(2014, 12, 28, 6, 30, 45.887)', '2014-12-28 06:30:45.887+00', TSTZ],
    ["make_timestamp(2014, 12, 28, 6, 30, 45.887, 'CET')", '2014-12-28 05:30:45.887+00', TSTZ],
    ['make_timestamp_ntz(2019, 6, 30, 23, 59, 60)', '2019-07-01 00:00:00', 'TIMESTAMP'],
    ['make_timestamp_ltz(null, 7, 22, 15, 30, 0)', null, TSTZ],
    ['try_make_timestamp(2024, 13, 22, 15, 30, 0)', null, TSTZ],
    ["try_make_timestamp(DATE '2014-12-28')", '2014-12-28 00:00:00+00', TSTZ],
    ["date_part('SECONDS', timestamp'2019-10-01 00:00:01.000001')", '1.000001', 'DECIMAL(8,6)'],
    ["extract(SECONDS FROM timestamp'2019-10-01 00:00:01.000001')", '1.000001', 'DECIMAL(8,6)'],
    ["datepart('week', timestamp'2019-08-12 01:00:00.123456')", '33', 'INTEGER'],
    ["date_part('doy', DATE'2019-08-12')", '224', 'INTEGER'],
    ["extract(HOUR FROM time '09:08:01.000001')", '9', 'INTEGER'],
    ["extract(SECOND FROM time '09:08:01.000001')", '1.000001', 'DECIMAL(8,6)'],
    ["minute(TIME'23:59:59.999999')", '59', 'INTEGER'],
    ["timestampadd(MONTH, 1, timestamp_ltz'2022-01-31 00:00:00')", '2022-02-28 00:00:00+00', TSTZ],
    ["timestampadd(HOUR, 8, timestamp_ntz'2022-02-11 20:30:00')", '2022-02-12 04:30:00', 'TIMESTAMP'],
    ["timestampdiff(SECOND, date'2022-01-01', timestamp'2021-12-31 23:59:50')", '-10', 'BIGINT'],
    [
      'make_interval(100, 11, 1, 1, 12, 30, 01.001001)',
      '100 years 11 months 8 days 12:30:01.001001',
      'INTERVAL',
    ],
    ['try_make_interval(2147483647)', null, 'INTERVAL'],
    // DuckDB prints a day-time interval as hours; Spark prints it `1 12:30:01.001001000`.
    ['make_dt_interval(1, 12, 30, 01.001001)', '36:30:01.001001', 'INTERVAL'],
    ['make_ym_interval(-1, 1)', '-11 months', 'INTERVAL'],
    ["to_time('12.10.05', 'HH.mm.ss')", '12:10:05', 'TIME'],
    ["try_to_time('foo', 'HH:mm:ss')", null, 'TIME'],
    ['make_time(6, 30, 45.887)', '06:30:45.887', 'TIME'],
    ["time_diff('HOUR', TIME'20:30:29', TIME'12:00:00')", '-8', 'BIGINT'],
    ["time_trunc('MILLISECOND', TIME'09:32:05.123456')", '09:32:05.123', 'TIME'],
    ["unix_millis(TIMESTAMP '1970-01-01 00:00:01Z')", '1000', 'BIGINT'],
  ]);
});

test('strings are read with Spark’s grammar, not DuckDB’s', async () => {
  await check([
    ["to_date('2016')", '2016-01-01', 'DATE'],
    ["to_date('2016-7')", '2016-07-01', 'DATE'],
    ["to_date(' 2016-07-30T99:99 ')", '2016-07-30', 'DATE'],
    ["to_timestamp('2016-07-30 10')", '2016-07-30 10:00:00+00', TSTZ],
    ["to_timestamp('2016-07-30T10:00:00.123456789Z')", '2016-07-30 10:00:00.123456+00', TSTZ],
    ["to_timestamp('2016-07-30T10:00:00+05:30')", '2016-07-30 04:30:00+00', TSTZ],
    ["to_timestamp('2016-07-30 10:00:00 GMT+1')", '2016-07-30 09:00:00+00', TSTZ],
    ["to_timestamp('2016-07-30 10:00:00 EST')", '2016-07-30 15:00:00+00', TSTZ],
    ["to_timestamp('2016-07-30 10:00:00 America/New_York')", '2016-07-30 14:00:00+00', TSTZ],
    // A local time the clock passes twice is its earlier instant (Java), one it skips moves on.
    ["to_utc_timestamp('2021-11-07 01:30:00', 'America/Los_Angeles')", '2021-11-07 08:30:00+00', TSTZ],
    ["to_utc_timestamp('2021-03-14 02:30:00', 'America/Los_Angeles')", '2021-03-14 10:30:00+00', TSTZ],
    ["to_timestamp_ntz('2016-07-30 10:00:00+05:00')", '2016-07-30 10:00:00', 'TIMESTAMP'],
    ["to_time('9:08 pm')", '21:08:00', 'TIME'],
  ]);
  for (const bad of ["to_date('2016/07/30')", "to_date('epoch')", "to_timestamp('2016-07-30 24:00:00')"]) {
    assert.equal(await runFailure(bad), 'CAST_INVALID_INPUT', bad);
  }
  assert.equal(await runFailure("to_date('not a date')"), 'CAST_INVALID_INPUT');
  // A zone neither Java nor ICU knows fails (ICU's own error: the run fails, with no Spark code).
  await assert.rejects(
    session.sql
      .translateExpression("to_timestamp('2016-07-30 10:00:00 Mars/Olympus')")
      .then((sql) => rows(`SELECT ${sql}`)),
    /Mars\/Olympus/,
  );
  assert.equal(await runFailure("to_timestamp('2016-07-30 10:00:00 mars')"), 'CAST_INVALID_INPUT');
});

test('numbers: to_timestamp(n) reads seconds since the epoch; epoch conversions', async () => {
  await check([
    ['to_timestamp(1230219000)', '2008-12-25 15:30:00+00', TSTZ],
    ['to_timestamp(1230219000.123)', '2008-12-25 15:30:00.123+00', TSTZ],
    ['to_timestamp(1.5D)', '1970-01-01 00:00:01.5+00', TSTZ],
    ['timestamp_seconds(1230219000.123)', '2008-12-25 15:30:00.123+00', TSTZ],
    ['timestamp_millis(1230219000123)', '2008-12-25 15:30:00.123+00', TSTZ],
    ['timestamp_micros(1230219000123123)', '2008-12-25 15:30:00.123123+00', TSTZ],
    ["unix_seconds(TIMESTAMP '1969-12-31 23:59:59.5')", '-1', 'BIGINT'],
    ["unix_timestamp('2016-04-08', 'yyyy-MM-dd')", '1460073600', 'BIGINT'],
    ["from_unixtime(0, 'yyyy-MM-dd HH:mm:ss')", '1970-01-01 00:00:00', 'VARCHAR'],
  ]);
  assert.equal(await runFailure('timestamp_seconds(1.0000001)'), 'ARITHMETIC_OVERFLOW');
});

test('patterns: Java letters for formatting and parsing, exact or refused', async () => {
  await check([
    [
      "date_format(TIMESTAMP '2016-04-08 13:04:05.123456', 'y yy yyyy QQQ EEEE EEE MMM MMMM a h:mm SSS D DD')",
      '2016 16 2016 Q2 Friday Fri Apr April PM 1:04 123 99 99',
      'VARCHAR',
    ],
    ["date_format(TIMESTAMP '2016-04-08 13:04:05', 'XXX xxx Z z')", 'Z +00:00 +0000 UTC', 'VARCHAR'],
    ["date_format(DATE '0050-01-02', 'y yyyy')", '50 0050', 'VARCHAR'],
    [
      "date_format(TIMESTAMP '2016-04-08 13:04:05', \"yyyy-MM-dd'T'HH:mm:ss''\")",
      "2016-04-08T13:04:05'",
      'VARCHAR',
    ],
    ["to_date('07-30-2016', 'MM-dd-yyyy')", '2016-07-30', 'DATE'],
    ["to_date('30-jul-2016', 'dd-MMM-yyyy')", '2016-07-30', 'DATE'],
    ["to_date('20160730', 'yyyyMMdd')", '2016-07-30', 'DATE'],
    ["to_timestamp('2016-07-30 10:00:00.5', 'yyyy-MM-dd HH:mm:ss.SSS')", '2016-07-30 10:00:00.5+00', TSTZ],
    ["to_timestamp('7/30/16 1:05 PM', 'M/d/yy h:mm a')", '2016-07-30 13:05:00+00', TSTZ],
    ["to_timestamp('2016-07-30T10:00:00+0200', \"yyyy-MM-dd'T'HH:mm:ssZ\")", '2016-07-30 08:00:00+00', TSTZ],
    ["try_to_date('2016-7-30', 'yyyy-MM-dd')", null, 'DATE'],
  ]);
  // MM reads exactly two digits, as Java does; a string the pattern does not describe fails.
  assert.equal(await runFailure("to_date('2016-7-30', 'yyyy-MM-dd')"), 'CAST_INVALID_INPUT');
  assert.equal(await runFailure("to_date('2016-02-30', 'yyyy-MM-dd')"), 'CAST_INVALID_INPUT');
  await assertRefused("date_format(TIMESTAMP '2016-04-08 13:04:05', 'YYYY')", /week-based/);
  await assertRefused("to_date('Fri 2016', 'EEE yyyy')", /when parsing/);
  await assertRefused("to_date('1072016', 'dMMyyyy')", /side by side/);
  await assertRefused("date_format(DATE '2016-04-08', '[yyyy]')", /optional/);
  await assertRefused("date_format(DATE '2016-04-08', fmt)", /must be a literal/);
});

test('ANSI errors where Spark raises one; the try_ forms give NULL', async () => {
  assert.equal(await runFailure("next_day('2015-01-14', 'XX')"), 'CAST_INVALID_INPUT');
  assert.equal(await runFailure('make_timestamp(2019, 6, 30, 23, 59, 60.5)'), 'CAST_INVALID_INPUT');
  assert.equal(await runFailure('make_ym_interval(2147483647, 0)'), 'ARITHMETIC_OVERFLOW');
  assert.equal(await runFailure('make_time(24, 0, 0)'), 'CAST_INVALID_INPUT');
  await check([
    ['try_make_timestamp(2019, 6, 30, 23, 59, 60.5)', null, TSTZ],
    ["trunc('2009-02-12', 'DD')", null, 'DATE'],
    ["date_trunc('DAYS', '2009-02-12')", null, TSTZ],
    // Java's ChronoUnit.between: a month ends on the same day of the month, not at its end.
    ["timestampdiff(MONTH, '2022-01-31', '2022-02-28')", '0', 'BIGINT'],
    ["timestampdiff(MONTH, '2022-01-31 10:00', '2022-03-31 09:00')", '1', 'BIGINT'],
  ]);
  await assertRefused('year(5)', /cannot take an integer/);
  await assertRefused("extract(fortnight FROM TIMESTAMP '2020-01-01 00:00:00')", /not a field/);
  await assertRefused("timestampdiff(WEEKS, '2022-01-01', '2022-02-01')", /not a unit/);
  await assertRefused("time_trunc('DAY', TIME '10:00:00')", /not a unit/);
});

test('columns: the translation follows the type each column has when the query runs', async () => {
  const q = await session.sql.compileQuery(`SELECT
      hour(t) AS h_time, hour(ts) AS h_ts, hour(s) AS h_str, year(s) AS y_str, year(ts) AS y_ts,
      extract(SECOND FROM t) AS sec_time, extract(SECOND FROM ts) AS sec_ts,
      to_timestamp(i) AS ts_int, to_timestamp(dbl) AS ts_dbl, to_timestamp(dec) AS ts_dec,
      date_add(d, i) AS added, to_date(us, 'MM-dd-yyyy') AS parsed, date_format(ts, 'yyyy-MM-dd HH:mm') AS shown,
      date_format(s, 'EEE') AS shown_str
    FROM vals`);
  const input = `SELECT TIME '13:59:58.25' AS t, TIMESTAMPTZ '2016-07-30 10:11:12.5+00' AS ts,
      '2016-07-30 22:00:01' AS s, 3 AS i, 1.5::DOUBLE AS dbl, 2.25::DECIMAL(10,3) AS dec,
      DATE '2016-07-30' AS d, '07-30-2016' AS us`;
  const [r] = await runBound(
    `SELECT ${[
      'h_time',
      'h_ts',
      'h_str',
      'y_str',
      'y_ts',
      'sec_time',
      'sec_ts',
      'ts_int',
      'ts_dbl',
      'ts_dec',
      'added',
      'parsed',
      'shown',
      'shown_str',
    ]
      .map((c) => `CAST(${c} AS VARCHAR) || ' ' || typeof(${c}) AS ${c}`)
      .join(', ')} FROM (${q.sql})`,
    [input],
  );
  assert.deepEqual(r, {
    h_time: '13 INTEGER',
    h_ts: '10 INTEGER',
    h_str: '22 INTEGER',
    y_str: '2016 INTEGER',
    y_ts: '2016 INTEGER',
    sec_time: '58.250000 DECIMAL(8,6)',
    sec_ts: '12.500000 DECIMAL(8,6)',
    ts_int: `1970-01-01 00:00:03+00 ${TSTZ}`,
    ts_dbl: `1970-01-01 00:00:01.5+00 ${TSTZ}`,
    ts_dec: `1970-01-01 00:00:02.25+00 ${TSTZ}`,
    added: '2016-08-02 DATE',
    parsed: '2016-07-30 DATE',
    shown: '2016-07-30 10:11 VARCHAR',
    shown_str: 'Sat VARCHAR',
  });
});

test('a column Spark does not convert fails when the query runs, naming the function', async () => {
  const q = await session.sql.compileQuery('SELECT year(b) AS y FROM vals');
  await assert.rejects(runBound(`SELECT * FROM (${q.sql})`, ['SELECT true AS b']), (e: Error) => {
    assert.equal(classifyDuckDBError(e.message)?.code, 'DATATYPE_MISMATCH');
    assert.match(e.message, /year\(\) cannot take a value/);
    return true;
  });
});

test('sequence of dates: start + i × step up to stop, months clamped from the start', async () => {
  await check([
    [
      "sequence(DATE'2018-01-31', DATE'2018-05-01', interval 1 month)",
      '[2018-01-31, 2018-02-28, 2018-03-31, 2018-04-30]',
      'DATE[]',
    ],
    [
      "sequence(to_date('2018-01-01'), to_date('2018-03-01'), interval 1 month)",
      '[2018-01-01, 2018-02-01, 2018-03-01]',
      'DATE[]',
    ],
    [
      "sequence(DATE'2018-01-01', DATE'2018-01-05', INTERVAL 2 DAY)",
      '[2018-01-01, 2018-01-03, 2018-01-05]',
      'DATE[]',
    ],
    ["sequence(DATE'2018-01-03', DATE'2018-01-01')", '[2018-01-03, 2018-01-02, 2018-01-01]', 'DATE[]'],
    ["sequence(DATE'2018-01-01', NULL, INTERVAL 1 DAY)", null, 'DATE[]'],
  ]);
  assert.equal(
    await runFailure("sequence(DATE'2018-01-05', DATE'2018-01-01', INTERVAL 1 DAY)"),
    'CAST_INVALID_INPUT',
  );
  assert.equal(
    await runFailure("sequence(DATE'2018-01-01', DATE'2018-01-05', INTERVAL 12 HOURS)"),
    'CAST_INVALID_INPUT',
  );
  await assertRefused(
    "sequence(TIMESTAMP'2018-01-01 00:00:00', TIMESTAMP'2018-01-02 00:00:00', INTERVAL 1 HOUR)",
    /timestamps/,
  );
  const q = await session.sql.compileQuery(
    "SELECT d, date_format(d, 'EEEE') AS day FROM (SELECT explode(sequence(DATE'2020-01-01', DATE'2020-01-03', INTERVAL 1 DAY)) AS d)",
  );
  const out = await rows(`SELECT CAST(d AS VARCHAR) AS d, day FROM (${q.sql}) ORDER BY d`);
  assert.deepEqual(out, [
    { d: '2020-01-01', day: 'Wednesday' },
    { d: '2020-01-02', day: 'Thursday' },
    { d: '2020-01-03', day: 'Friday' },
  ]);
});

test('extract of intervals: Spark’s year-month, day-time and calendar kinds', async () => {
  await check([
    ['extract(days FROM interval 5 days 3 hours 7 minutes)', '5', 'INTEGER'],
    [
      'extract(seconds FROM interval 5 hours 30 seconds 1 milliseconds 1 microseconds)',
      '30.001001',
      'DECIMAL(8,6)',
    ],
    ["extract(MONTH FROM INTERVAL '2021-11' YEAR TO MONTH)", '11', 'TINYINT'],
    // A day-time interval is one count of microseconds: 30 hours are 1 day and 6 hours.
    ['extract(HOUR FROM interval 30 hours)', '6', 'TINYINT'],
    ['extract(DAY FROM interval 30 hours)', '1', 'INTEGER'],
    // A calendar interval keeps its hours apart from its days.
    ['extract(HOUR FROM make_interval(0, 0, 0, 0, 30, 0, 0))', '30', 'BIGINT'],
    ['extract(YEAR FROM make_ym_interval(3, 14))', '4', 'INTEGER'],
  ]);
  await assertRefused('extract(DAY FROM make_ym_interval(3, 14))', /has no field/);
});

test('date_trunc / year of a column stay visibly non-decreasing in it (materialized-view pruning)', async () => {
  const q = await session.sql.compileQuery(
    "SELECT date_trunc('hour', ts) AS h, year(ts) AS y, hour(ts) AS hh, count(*) AS c FROM events GROUP BY date_trunc('hour', ts), year(ts), hour(ts)",
  );
  const rewrite = await session.sql.groupAggregateRewrite(q.sql, ['ts'], '__keys');
  assert.ok(!('reason' in rewrite), JSON.stringify(rewrite));
  // hour() wraps around each day: not ordered.
  assert.deepEqual(rewrite.monotoneColumns, ['ts', 'ts', undefined]);
});

test('NULL strings and zones give NULL, also on the full-grammar path', async () => {
  const q = await session.sql.compileQuery(`SELECT
      to_timestamp(s) AS ts, to_date(s) AS d, to_timestamp_ntz(s) AS ntz, try_to_date(s, 'yyyy-M-d') AS p,
      date_format(s, 'yyyy') AS f, to_utc_timestamp(ts, z) AS u, make_timestamp(2020, 1, 1, 0, 0, 0, z) AS m
    FROM vals`);
  const input = `SELECT * FROM (VALUES
      ('2016-07-30 10:00:00 Europe/Paris', TIMESTAMPTZ '2020-01-01 00:00:00+00', 'Asia/Seoul'),
      (NULL, NULL, NULL),
      (' 2016-7-3 ', TIMESTAMPTZ '2020-01-01 00:00:00+00', NULL)) t(s, ts, z)`;
  const out = await runBound(
    `SELECT ${['ts', 'd', 'ntz', 'p', 'f', 'u', 'm'].map((c) => `CAST(${c} AS VARCHAR) AS ${c}`).join(', ')} FROM (${q.sql})`,
    [input],
  );
  assert.deepEqual(out, [
    {
      ts: '2016-07-30 08:00:00+00',
      d: '2016-07-30',
      ntz: '2016-07-30 10:00:00',
      p: null,
      f: '2016',
      u: '2019-12-31 15:00:00+00',
      m: '2019-12-31 15:00:00+00',
    },
    { ts: null, d: null, ntz: null, p: null, f: null, u: null, m: null },
    {
      ts: '2016-07-03 00:00:00+00',
      d: '2016-07-03',
      ntz: '2016-07-03 00:00:00',
      p: null,
      f: '2016',
      u: null,
      m: null,
    },
  ]);
});
