import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { QueryInput } from '../../src/model/index.ts';
import { rejects } from '../helpers/errors.ts';
import { DATA_QUALITY_QUERY, PIPELINE_HISTORY_QUERY } from '../helpers/monitoring-queries.ts';
import { session } from '../helpers/session.ts';
import { db, rows, runBound } from './helpers.ts';

const names = (inputs: readonly QueryInput[]) =>
  inputs.map((i) =>
    i.kind === 'dataset' ? `${i.name}${i.streaming ? ' (stream)' : ''}` : `files:${i.path}`,
  );

test('dependencies through joins, subqueries in FROM/WHERE/SELECT, set operations', async () => {
  const q = await session.sql.compileQuery(`
    SELECT o.id, (SELECT max(p) FROM prices) AS top
    FROM orders o
    JOIN LIVE.customers c ON o.cid = c.id
    LEFT JOIN (SELECT * FROM STREAM(returns)) r ON r.id = o.id
    WHERE o.id IN (SELECT id FROM allow_list) AND EXISTS (SELECT 1 FROM flags WHERE flags.id = o.id)
    UNION ALL SELECT id, 0 FROM archive.orders_2020`);
  assert.deepEqual(names(q.inputs), [
    'prices',
    'orders',
    'customers',
    'returns (stream)',
    'allow_list',
    'flags',
    'archive.orders_2020',
  ]);
  // Every placeholder appears once and aliases keep qualified column references working.
  for (let i = 0; i < q.inputs.length; i++) assert.match(q.sql, new RegExp(`__sluice_input_${i}\\b`));
  const out = await runBound(q.sql, [
    'SELECT 5 AS p',
    'SELECT 1 AS id, 10 AS cid',
    'SELECT 10 AS id',
    'SELECT 2 AS id',
    'SELECT 1 AS id',
    'SELECT 1 AS id',
    'SELECT 99 AS id',
  ]);
  assert.deepEqual(out, [
    { id: 1, top: 5 },
    { id: 99, top: 0 },
  ]);
});

test('a CTE named like a dataset is not a dependency; the dataset inside its own body is', async () => {
  const q = await session.sql.compileQuery(`
    WITH bronze AS (SELECT * FROM bronze WHERE ok),
         recent AS (SELECT * FROM bronze WHERE ts > 0)
    SELECT * FROM recent JOIN silver USING (id)
    WHERE id IN (WITH silver AS (SELECT 1 AS id) SELECT id FROM silver)`);
  assert.deepEqual(names(q.inputs), ['bronze', 'silver']);
  const out = await runBound(q.sql, ['SELECT 1 AS id, true AS ok, 5 AS ts', 'SELECT 1 AS id, 2 AS v']);
  assert.deepEqual(out, [{ id: 1, ok: true, ts: 5, v: 2 }]);
});

test('STREAM x without parentheses, aliases, and a dataset read twice', async () => {
  const q = await session.sql.compileQuery(
    'SELECT a.k FROM STREAM events a JOIN STREAM LIVE.events AS b ON a.k = b.k, STREAM `odd name` c',
  );
  assert.deepEqual(names(q.inputs), ['events (stream)', 'events (stream)', 'odd name (stream)']);
  assert.match(q.sql, /__sluice_input_0 AS a\b/);
  const out = await runBound(q.sql, ['SELECT 1 AS k', 'SELECT 1 AS k', 'SELECT 1 AS z']);
  assert.deepEqual(out, [{ k: 1 }]);
  // `stream` as a column name is left alone.
  const col = await session.sql.compileQuery('SELECT stream FROM t');
  assert.deepEqual(names(col.inputs), ['t']);
});

test('read_files: path, format, options; STREAM marks it streaming; format inferred from extension', async () => {
  const q = await session.sql.compileQuery(
    `SELECT * FROM STREAM read_files('/data/in/*.csv', format => 'csv', header => true, delimiter => ';', maxFilesPerTrigger => 10)`,
  );
  assert.deepEqual(
    q.inputs.map((i) => ({ ...i, location: undefined })),
    [
      {
        kind: 'files',
        path: '/data/in/*.csv',
        format: 'csv',
        options: { header: 'true', delimiter: ';', maxFilesPerTrigger: '10' },
        streaming: true,
        location: undefined,
      },
    ],
  );
  const batch = await session.sql.compileQuery(`SELECT * FROM read_files('s3://b/x.parquet') f`);
  assert.deepEqual(
    batch.inputs.map((i) => i.kind === 'files' && [i.format, i.streaming]),
    [['parquet', false]],
  );
  const err = await rejects(session.sql.compileQuery(`SELECT * FROM read_files('/x/y', format => 'avro')`));
  assert.equal(err.code, 'UNSUPPORTED_FILE_FORMAT');
});

test('configuration substitution in compileQuery and UNDEFINED_CONFIGURATION_KEY pointing at the line', async () => {
  const q = await session.sql.compileQuery(`SELECT * FROM \${schema}.t WHERE c = '\${v}'`, {
    configuration: { schema: 's1', v: 'x' },
  });
  assert.equal(q.source, `SELECT * FROM s1.t WHERE c = 'x'`);
  assert.deepEqual(names(q.inputs), ['s1.t']);
  const err = await rejects(
    session.sql.compileQuery(`SELECT *\nFROM \${nope}`, {
      configuration: {},
      location: { file: 'f.sql', line: 10, column: 5 },
    }),
  );
  assert.equal(err.code, 'UNDEFINED_CONFIGURATION_KEY');
  assert.deepEqual(err.location, { file: 'f.sql', line: 11, column: 6 });
});

test('syntax errors: DuckDB position mapped to the file, with the offending text', async () => {
  const err = await rejects(
    session.sql.compileQuery("SELECT `weird col`, 'é'\nFROM t\nWHERE x >> FROM", {
      location: { file: 'f.sql', line: 3, column: 10 },
    }),
  );
  assert.equal(err.code, 'SQL_SYNTAX_ERROR');
  assert.deepEqual(err.location, { file: 'f.sql', line: 5, column: 12 });
  assert.equal(err.params.near, 'FROM');
});

test('unsupported Spark function: coded error naming it, with its location', async () => {
  const err = await rejects(
    session.sql.compileQuery('SELECT id,\n  sentences(name) AS n FROM t', {
      location: { file: 'f.sql', line: 1, column: 1 },
    }),
  );
  assert.equal(err.code, 'UNSUPPORTED_SPARK_FUNCTION');
  assert.equal(err.params.function, 'sentences');
  assert.match(err.message, /sentences/);
  assert.deepEqual(err.location, { file: 'f.sql', line: 2, column: 3 });
  const nested = await rejects(
    session.sql.compileQuery('SELECT * FROM t WHERE x IN (SELECT my_udf(y) FROM u)'),
  );
  assert.equal(nested.params.function, 'my_udf');
});

test('backticks, Spark string escapes, double-quoted strings, typed literals, casts', async () => {
  const q = await session.sql.compileQuery(
    "SELECT `a b` AS `x y`, 'it\\'s' AS s, \"dq\" AS d, 10L AS l, CAST(`a b` AS STRING) AS c, CAST('2024-01-02 03:04:05' AS TIMESTAMP) AS ts FROM t",
  );
  assert.deepEqual(q.outputColumns, ['x y', 's', 'd', 'l', 'c', 'ts']);
  const out = await runBound(`SELECT typeof(l) AS tl, typeof(ts) AS tt, * EXCLUDE (l, ts) FROM (${q.sql})`, [
    'SELECT 42 AS "a b"',
  ]);
  assert.deepEqual(out, [
    { tl: 'BIGINT', tt: 'TIMESTAMP WITH TIME ZONE', 'x y': 42, s: "it's", d: 'dq', c: '42' },
  ]);
});

test('translateExpression: the reference expectations translate and evaluate', async () => {
  const cases: [string, boolean | null][] = [
    ["event_timestamp > '2020-01-01'", true],
    ["event_type IN ('click', 'view', 'purchase', 'signup')", true],
    ['event_timestamp <= current_timestamp()', true],
    ['user_id IS NOT NULL AND user_id > 0', true],
    ['event_id IS NOT NULL', false],
    ['amount >= 0', null],
  ];
  const c = await db();
  await c.run(
    `CREATE OR REPLACE TEMP TABLE exp_row AS SELECT NULL::INT AS event_id, 'click' AS event_type, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS event_timestamp, 7 AS user_id, NULL::DOUBLE AS amount`,
  );
  for (const [expr, expected] of cases) {
    const sql = await session.sql.translateExpression(expr);
    const [r] = await rows(`SELECT ${sql} AS v FROM exp_row`);
    assert.equal(r!.v, expected, `${expr} → ${sql}`);
  }
  assert.deepEqual(
    await session.sql.expressionColumns('user_id IS NOT NULL AND user_id > 0 AND current_timestamp() > ts'),
    ['user_id', 'ts'],
  );
  assert.deepEqual(await session.sql.expressionColumns('filter(tags, t -> t <> skip) IS NOT NULL'), [
    'tags',
    'skip',
  ]);
  const bad = await rejects(
    session.sql.translateExpression('a >', { location: { file: 'x.sql', line: 4, column: 20 } }),
  );
  assert.equal(bad.code, 'SQL_SYNTAX_ERROR');
  assert.equal(bad.location?.line, 4);
  const notOne = await rejects(session.sql.translateExpression('a FROM t'));
  assert.equal(notOne.code, 'SQL_SYNTAX_ERROR');
});

test('translateStandaloneSql: the reference monitoring queries translate, name their tables, and run', async () => {
  const text = `${PIPELINE_HISTORY_QUERY}\n\n${DATA_QUALITY_QUERY}`;
  const plain = await session.sql.translateStandaloneSql(text);
  assert.deepEqual(
    plain.tables.map((t) => t.name),
    ['system.lakeflow.pipeline_events', 'system.lakeflow.flow_progress'],
  );
  assert.equal(plain.statements.length, 2);
  const c = await db();
  await c.run(`CREATE OR REPLACE TEMP TABLE pe AS SELECT 'Event Streaming Pipeline' AS pipeline_name, 'u1' AS update_id,
    'COMPLETED' AS state, TIMESTAMPTZ '2024-01-01 10:00:30+00' AS start_time, TIMESTAMPTZ '2024-01-01 10:05:29+00' AS end_time`);
  await c.run(`CREATE OR REPLACE TEMP TABLE fp AS SELECT 'Event Streaming Pipeline' AS pipeline_name, 'valid_id' AS expectation_name,
    'silver' AS dataset_name, 3 AS passed_records, 1 AS failed_records, TIMESTAMPTZ '2024-01-01 10:00:00+00' AS timestamp`);
  const mapped = await session.sql.translateStandaloneSql(text, {
    rename: (t) =>
      ({ 'system.lakeflow.pipeline_events': 'pe', 'system.lakeflow.flow_progress': 'fp' })[t.name],
  });
  const [history, quality] = mapped.statements;
  assert.deepEqual(
    (await rows(history!.sql)).map((r) => Number(r.duration_minutes)),
    [4],
  ); // Spark: whole minutes
  assert.deepEqual(
    (await rows(quality!.sql)).map((r) => Number(r.pass_rate)),
    [75],
  );
  const err = await rejects(session.sql.translateStandaloneSql('DELETE FROM t'));
  assert.equal(err.code, 'SQL_UNSUPPORTED_STATEMENT');
});
