import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  conf,
  dropDuplicates,
  dropDuplicatesWithinWatermark,
  ident,
  lit,
  parseColumnsDdl,
  raw,
  read,
  readFiles,
  renderSql,
  sql,
  stream,
  withWatermark,
} from '../../src/api/index.ts';
import { SluiceError } from '../../src/errors/index.ts';
import { session } from '../helpers/session.ts';

test('renders Spark SQL and lists declared inputs in order', () => {
  const files = stream(readFiles('data/*.csv', { format: 'csv', header: true, delimiter: ';' }));
  const q = sql`SELECT e.*, ${lit("O'Brien")} AS who, ${lit(3)} AS n, ${lit(null)} AS z
FROM ${stream('bronze')} e JOIN ${read('dim')} d ON e.k = d.k, ${files} WHERE ${ident('weird col')} > ${conf('min')}${raw(' -- tail')}`;
  const r = renderSql(q, { min: '10' });
  assert.equal(
    r.text,
    `SELECT e.*, 'O\\'Brien' AS who, 3 AS n, NULL AS z
FROM STREAM(bronze) e JOIN dim d ON e.k = d.k, STREAM read_files('data/*.csv', format => 'csv', header => 'true', delimiter => ';') WHERE \`weird col\` > 10 -- tail`,
  );
  assert.deepEqual(r.inputs, [
    { kind: 'dataset', name: 'bronze', streaming: true },
    { kind: 'dataset', name: 'dim', streaming: false },
    { kind: 'files', path: 'data/*.csv', streaming: true },
  ]);
});

test('nested sql fragments compose and keep their inputs', () => {
  const filter = sql`id IN (SELECT id FROM ${read('allow')})`;
  const r = renderSql(sql`SELECT * FROM ${stream('a')} WHERE ${filter}`, {});
  assert.equal(r.text, 'SELECT * FROM STREAM(a) WHERE id IN (SELECT id FROM allow)');
  assert.deepEqual(
    r.inputs.map((i) => (i.kind === 'dataset' ? i.name : i.path)),
    ['a', 'allow'],
  );
});

test('plain strings and numbers cannot be interpolated', () => {
  const table = 'bronze';
  assert.throws(
    // @ts-expect-error — the type forbids it too
    () => sql`SELECT * FROM ${table}`,
    (e: unknown) => e instanceof SluiceError && e.code === 'TS_INVALID_DEFINITION' && /lit\(/.test(e.message),
  );
  assert.throws(
    // @ts-expect-error
    () => sql`SELECT ${42}`,
    (e: unknown) => e instanceof SluiceError && e.code === 'TS_INVALID_DEFINITION',
  );
});

test('readFiles validates format and option names; conf needs a value', () => {
  assert.throws(
    // @ts-expect-error
    () => readFiles('x', { format: 'xml' }),
    (e: unknown) => e instanceof SluiceError && e.code === 'TS_INVALID_DEFINITION',
  );
  assert.throws(
    () => readFiles('x', { format: 'json', 'bad key': 1 }),
    (e: unknown) => e instanceof SluiceError,
  );
  assert.throws(
    () => renderSql(sql`SELECT ${conf('nope')}`, {}),
    (e: unknown) => e instanceof SluiceError && e.code === 'UNDEFINED_CONFIGURATION_KEY',
  );
});

test('parseColumnsDdl reads names, types, NOT NULL and comments', () => {
  assert.deepEqual(
    parseColumnsDdl("id BIGINT NOT NULL, m MAP<STRING, INT> COMMENT 'a, b', `odd name` DECIMAL(10,2)"),
    [
      { name: 'id', type: 'BIGINT', nullable: false },
      { name: 'm', type: 'MAP<STRING, INT>', nullable: true, comment: 'a, b' },
      { name: 'odd name', type: 'DECIMAL(10,2)', nullable: true },
    ],
  );
});

test('withWatermark(ref, column, delay) renders the WATERMARK clause the SQL front end reads into the input', async () => {
  const events = withWatermark(stream('events'), 'ts', '10 seconds');
  const files = withWatermark(stream(readFiles('data', { format: 'json' })), 'at', '1 minute');
  const q = sql`SELECT window(ts, '1 minute') AS w, count(*) AS n FROM ${events} AS e GROUP BY w`;
  const r = renderSql(q, {});
  assert.equal(
    r.text,
    "SELECT window(ts, '1 minute') AS w, count(*) AS n FROM STREAM(events) WATERMARK `ts` DELAY OF INTERVAL '10 seconds' AS e GROUP BY w",
  );
  const compiled = await session.sql.compileQuery(r.text);
  assert.deepEqual(compiled.inputs[0]?.watermark, { column: 'ts', delayMicros: 10_000_000 });
  assert.equal(compiled.statefulPlan?.kind, 'streaming_aggregate');
  const f = await session.sql.compileQuery(renderSql(sql`SELECT * FROM ${files}`, {}).text);
  assert.deepEqual(f.inputs[0]?.watermark, { column: 'at', delayMicros: 60_000_000 });
  assert.throws(() => withWatermark(read('events') as never, 'ts', '1 second'), SluiceError);
  assert.throws(() => withWatermark(stream('events') as never, 'ts', 'soon'), SluiceError);
  // As PySpark's withWatermark(eventTime, delay), the event time is a column's name, never an
  // expression (SQL's WATERMARK expr AS name computes one): the text is quoted as a name.
  const named = renderSql(
    sql`SELECT * FROM ${withWatermark(stream('events'), 'to_timestamp(s)', '1 second')}`,
    {},
  );
  assert.equal(
    named.text,
    "SELECT * FROM STREAM(events) WATERMARK `to_timestamp(s)` DELAY OF INTERVAL '1 second'",
  );
  assert.deepEqual((await session.sql.compileQuery(named.text)).inputs[0]?.watermark, {
    column: 'to_timestamp(s)',
    delayMicros: 1_000_000,
  });
});

test('dropDuplicatesWithinWatermark(read, columns) renders the QUALIFY row_number() form the front end plans as a de-duplication within the watermark', async () => {
  const events = withWatermark(stream('events'), 'ts', '10 seconds');
  const r = renderSql(dropDuplicatesWithinWatermark(events, ['user', 'odd`name']), {});
  assert.equal(
    r.text,
    "SELECT * FROM STREAM(events) WATERMARK `ts` DELAY OF INTERVAL '10 seconds' QUALIFY row_number() OVER (PARTITION BY `user`, `odd``name`) = 1",
  );
  const compiled = await session.sql.compileQuery(r.text);
  assert.deepEqual(compiled.statefulPlan, {
    kind: 'streaming_dedup',
    mode: 'within_watermark',
    input: 0,
    watermark: { column: 'ts', delayMicros: 10_000_000 },
    keys: ['user', 'odd`name'],
  });
  // Spark requires a watermark; a key is needed.
  assert.throws(
    () => dropDuplicatesWithinWatermark(stream('events') as never, ['user']),
    (e) => e instanceof SluiceError && e.code === 'TS_INVALID_DEFINITION',
  );
  assert.throws(() => dropDuplicatesWithinWatermark(events, []), SluiceError);
  // An ordered row_number() is not this de-duplication: judged as written (not planned as one).
  const ordered = await session.sql.compileQuery(
    'SELECT * FROM STREAM(events) WATERMARK ts DELAY OF INTERVAL 10 SECONDS QUALIFY row_number() OVER (PARTITION BY user ORDER BY ts) = 1',
  );
  assert.equal(ordered.statefulPlan, undefined);
});

test('dropDuplicates(read[, columns]) over a watermarked read: whole rows are SELECT DISTINCT *; columns must hold the event time and run as the within-watermark de-duplication', async () => {
  const events = withWatermark(stream('events'), 'ts', '10 seconds');
  const whole = renderSql(dropDuplicates(events), {}).text;
  assert.equal(whole, "SELECT DISTINCT * FROM STREAM(events) WATERMARK `ts` DELAY OF INTERVAL '10 seconds'");
  assert.deepEqual((await session.sql.compileQuery(whole)).statefulPlan, {
    kind: 'streaming_dedup',
    mode: 'distinct',
    input: 0,
    watermark: { column: 'ts', delayMicros: 10_000_000 },
    eventTimeColumn: 'ts',
  });
  const keyed = renderSql(dropDuplicates(events, ['id', 'TS']), {}).text;
  assert.equal(
    keyed,
    "SELECT * FROM STREAM(events) WATERMARK `ts` DELAY OF INTERVAL '10 seconds' QUALIFY row_number() OVER (PARTITION BY `id`, `TS`) = 1",
  );
  const plan = (await session.sql.compileQuery(keyed)).statefulPlan;
  assert.equal(plan?.kind === 'streaming_dedup' && plan.mode, 'within_watermark');
  for (const bad of [() => dropDuplicates(events, ['id']), () => dropDuplicates(stream('events') as never)])
    assert.throws(bad, (e) => e instanceof SluiceError && e.code === 'TS_INVALID_DEFINITION');
});

test('withWatermark on both streams of a join renders a stream–stream join the SQL front end plans', async () => {
  const a = withWatermark(stream('impressions'), 'shown', '10 seconds');
  const b = withWatermark(stream('clicks'), 'clicked', '10 seconds');
  const q = sql`SELECT i.ad, c.clicked FROM ${a} AS i LEFT JOIN ${b} AS c
ON i.ad = c.ad AND c.clicked BETWEEN i.shown AND i.shown + INTERVAL 1 MINUTE`;
  const plan = (await session.sql.compileQuery(renderSql(q, {}).text)).statefulPlan;
  assert.equal(plan?.kind, 'stream_join');
  assert.deepEqual(
    plan?.kind === 'stream_join' && [plan.joinType, plan.left.alias, plan.left.watermark, plan.right.alias],
    ['left', 'i', { column: 'shown', delayMicros: 10_000_000 }, 'c'],
  );
});

test("stream(name, options) reads a change data feed as PySpark's readStream.option(…).table(…): rendered as STREAM(x) WITH (…)", async () => {
  const r = renderSql(
    sql`SELECT * FROM ${withWatermark(stream('customers', { readChangeFeed: true, startingVersion: 3 }), '_commit_timestamp', '1 minute')}`,
    {},
  );
  assert.equal(
    r.text,
    "SELECT * FROM STREAM(customers) WITH ('readChangeFeed' = 'true', 'startingVersion' = '3') WATERMARK `_commit_timestamp` DELAY OF INTERVAL '1 minute'",
  );
  const compiled = await session.sql.compileQuery(r.text);
  assert.deepEqual(compiled.inputs[0]?.kind === 'dataset' ? compiled.inputs[0].options : undefined, {
    readChangeFeed: 'true',
    startingVersion: '3',
  });
  assert.equal(renderSql(sql`SELECT * FROM ${stream('c', {})}`, {}).text, 'SELECT * FROM STREAM(c)');
  for (const bad of [{ startingVersion: -1 }, { readChangeFeed: 'yes' }, { maxFilesPerTrigger: 1 }]) {
    assert.throws(
      () => stream('c', bad as never),
      (e: unknown) => e instanceof SluiceError && e.code === 'TS_INVALID_DEFINITION',
    );
  }
});
