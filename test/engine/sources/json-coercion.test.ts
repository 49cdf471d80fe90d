import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { toFileOptions } from '../../../src/engine/sources/file-options.ts';
import { projectRaw, rawRelationSql } from '../../../src/engine/sources/file-read.ts';
import { fileBatchSql, inferFileSchema, parseSchemaDdl } from '../../../src/engine/sources/files.ts';
import { queryRows, sqlString } from '../../../src/util/duckdb.ts';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * A value that does not convert exactly to its column type is rescued, never rounded (Spark's
 * Jackson rules for JSON, Univocity's for CSV), on both JSON readers (the line reader and the
 * records reader of clean batches) and for Parquet; and JSON schema inference gives Spark's types.
 */

const conn = await connect();
after(() => conn.closeSync());

type Row = Record<string, unknown>;

/** Rows of `lines` read with the DDL `schema`: by the line reader, and by the records reader (clean batch). */
async function readBoth(lines: readonly string[], schema: string): Promise<[Row[], Row[]]> {
  const dir = tmpDir('coerce');
  const p = join(dir, 'x.json');
  writeFileSync(p, `${lines.join('\n')}\n`);
  const s = parseSchemaDdl(schema);
  const opts = toFileOptions({ rescuedDataColumn: '_rescued_data' });
  const slow = projectRaw(rawRelationSql('json', [p], [], s, opts), 'json', s);
  const fast = projectRaw(rawRelationSql('json', [p], [], s, opts, true), 'json', s);
  assert.match(fast, /read_json\(/);
  const order = (sql: string) => `SELECT * EXCLUDE (_source_file) FROM (${sql}) ORDER BY ALL`;
  return [await queryRows(conn, order(slow)), await queryRows(conn, order(fast))];
}

async function check(lines: readonly string[], schema: string, expected: unknown[][]): Promise<void> {
  const [slow, fast] = await readBoth(lines, schema);
  const cols = parseSchemaDdl(schema).columns.map((c) => c.name);
  const shape = (rows: Row[]) =>
    rows.map((r) => [
      ...cols.map((c) => r[c] ?? null),
      r._rescued_data === null ? null : JSON.parse(String(r._rescued_data)),
    ]);
  const sortRows = (rows: unknown[][]) =>
    [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  assert.deepEqual(sortRows(shape(slow)), sortRows(expected), 'line reader');
  assert.deepEqual(sortRows(shape(fast)), sortRows(expected), 'records reader');
}

test('JSON into BIGINT: only integer tokens; 1.5, 1e2, "7", true and out-of-range integers are rescued', async () => {
  await check(
    [
      '{"n": 7}',
      '{"n": -3}',
      '{"n": 1.5}',
      '{"n": 1e2}',
      '{"n": "7"}',
      '{"n": true}',
      '{"n": 9223372036854775808}',
      '{"n": null}',
    ],
    'n BIGINT',
    [
      ['7', null],
      ['-3', null],
      [null, { n: 1.5 }],
      [null, { n: 100.0 }],
      [null, { n: '7' }],
      [null, { n: true }],
      [null, { n: 2 ** 63 }],
      [null, null],
    ],
  );
  await check(['{"n": 2147483647}', '{"n": 2147483648}'], 'n INT', [
    [2147483647, null],
    [null, { n: 2147483648 }],
  ]);
});

test('JSON into DOUBLE, DECIMAL, BOOLEAN, DATE, TIMESTAMP: Spark’s accepted tokens, the rest rescued', async () => {
  await check(
    ['{"d": 1}', '{"d": 2.5}', '{"d": "NaN"}', '{"d": "-INF"}', '{"d": "abc"}', '{"d": false}'],
    'd DOUBLE',
    [
      [1, null],
      [2.5, null],
      ['NaN', null],
      ['-Infinity', null],
      [null, { d: 'abc' }],
      [null, { d: false }],
    ],
  );
  // DECIMAL: numbers and numeric strings, rounded half up to the scale (as Spark's Decimal.set).
  await check(
    ['{"m": 1.555}', '{"m": "2.5"}', '{"m": 3}', '{"m": true}', '{"m": 123456789.5}'],
    'm DECIMAL(10,2)',
    [
      ['1.56', null],
      ['2.50', null],
      ['3.00', null],
      [null, { m: true }],
      [null, { m: 123456789.5 }],
    ],
  );
  await check(['{"b": true}', '{"b": "true"}', '{"b": 1}'], 'b BOOLEAN', [
    [true, null],
    [null, { b: 'true' }],
    [null, { b: 1 }],
  ]);
  await check(['{"day": "2024-02-03"}', '{"day": 5}', '{"day": "not a date"}'], 'day DATE', [
    ['2024-02-03', null],
    [null, { day: '5' }],
    [null, { day: 'not a date' }],
  ]);
  // TIMESTAMP: strings. (Spark reads an integer as seconds since the epoch; sluice rescues it.)
  await check(['{"t": "2024-01-01T10:00:00Z"}', '{"t": 86400}', '{"t": true}'], 't TIMESTAMP', [
    ['2024-01-01 10:00:00+00', null],
    [null, { t: '86400' }],
    [null, { t: 'true' }],
  ]);
});

test('JSON into STRUCT, ARRAY, MAP: a value with any element that does not fit is rescued whole', async () => {
  await check(
    [
      '{"s": {"a": 1, "b": "x"}}',
      '{"s": {"a": 1.5}}',
      '{"s": {"a": "1"}}',
      '{"s": {"a": null}}',
      '{"s": [1]}',
    ],
    's STRUCT<a: BIGINT, b: STRING>',
    [
      [{ a: '1', b: 'x' }, null],
      [null, { s: { a: 1.5 } }],
      [null, { s: { a: '1' } }],
      [{ a: null, b: null }, null],
      [null, { s: [1] }],
    ],
  );
  await check(['{"l": [1, 2]}', '{"l": [1, 2.5]}', '{"l": []}', '{"l": [[1]]}'], 'l ARRAY<BIGINT>', [
    [['1', '2'], null],
    [null, { l: [1, 2.5] }],
    [[], null],
    [null, { l: [[1]] }],
  ]);
  await check(['{"m": {"k": 1}}', '{"m": {"k": 1.5}}'], 'm MAP<STRING, BIGINT>', [
    [[{ key: 'k', value: '1' }], null],
    [null, { m: { k: 1.5 } }],
  ]);
});

test('CSV: an integral column takes [+-]digits only ("1.5" and " 7" are rescued); booleans are true/false in any case', async () => {
  const dir = tmpDir('csv-coerce');
  const p = join(dir, 'x.csv');
  writeFileSync(p, 'i,b,d\n7,TRUE,Inf\n+8,false,1e2\n1.5,1,NaN\n" 7",yes,x\n');
  const schema = parseSchemaDdl('i INT, b BOOLEAN, d DOUBLE');
  const opts = { header: 'true', rescuedDataColumn: '_rescued_data' };
  const rows = await queryRows(
    conn,
    `SELECT * EXCLUDE (_source_file) FROM (${await fileBatchSql([p], 'csv', schema, opts)})`,
  );
  assert.deepEqual(
    rows.map((r) => [r.i, r.b, r.d, r._rescued_data === null ? null : JSON.parse(String(r._rescued_data))]),
    [
      [7, true, 'Infinity', null],
      [8, false, 100, null],
      [null, null, 'NaN', { i: '1.5', b: '1' }],
      [null, null, null, { i: ' 7', b: 'yes', d: 'x' }],
    ],
  );
  // DuckDB alone would round: the rule above is ours, not the engine's.
  const [raw] = await queryRows(conn, `SELECT TRY_CAST('1.5' AS INTEGER) AS i`);
  assert.equal(raw!.i, 2);
});

test('Parquet read with another type: a value the conversion changes is rescued, an exact one converted', async () => {
  const dir = tmpDir('pq-coerce');
  const p = join(dir, 'x.parquet');
  await conn.run(
    `COPY (SELECT * FROM (VALUES (2.0::DOUBLE), (1.5::DOUBLE)) t(v)) TO ${sqlString(p)} (FORMAT parquet)`,
  );
  const schema = parseSchemaDdl('v BIGINT');
  const rows = await queryRows(
    conn,
    `SELECT * EXCLUDE (_source_file) FROM (${await fileBatchSql([p], 'parquet', schema, { rescuedDataColumn: '_rescued_data' })}) ORDER BY ALL`,
  );
  assert.deepEqual(
    rows.map((r) => [r.v, r._rescued_data]),
    [
      ['2', null],
      [null, '{"v":1.5}'],
    ],
  );
});

test('JSON inference is Spark’s: sorted fields, integers BIGINT, decimals DOUBLE, date-like strings STRING, conflicts STRING, empty structs dropped', async () => {
  const dir = tmpDir('json-infer');
  const p = join(dir, 'x.json');
  writeFileSync(
    p,
    [
      '{"zeta": 1, "Beta": "2024-01-01", "alpha": {"y": 1, "x": "s"}, "mix": 1, "ts": "2024-01-01T10:00:00Z", "nums": [1, 2.5], "e": "", "empty": {}, "arr": [], "objs": [{}]}',
      '{"zeta": 2, "Beta": "2024-01-02", "alpha": {"y": 2.5}, "mix": "x", "flag": true, "e": 5, "nul": null, "conflict": {"a": 1}}',
      '{"conflict": 3, "both": 1, "mixedArr": [1, "a"]}',
      '{"both": 2.0}',
    ].join('\n'),
  );
  const schema = await inferFileSchema(conn, [p], 'json', {});
  assert.deepEqual(schema.columns, [
    { name: 'Beta', type: 'VARCHAR' },
    { name: 'alpha', type: 'STRUCT("x" VARCHAR, "y" DOUBLE)' },
    { name: 'arr', type: 'VARCHAR[]' },
    { name: 'both', type: 'DOUBLE' },
    { name: 'conflict', type: 'VARCHAR' },
    { name: 'e', type: 'BIGINT' },
    { name: 'flag', type: 'BOOLEAN' },
    { name: 'mix', type: 'VARCHAR' },
    { name: 'mixedArr', type: 'VARCHAR[]' },
    { name: 'nul', type: 'VARCHAR' },
    { name: 'nums', type: 'DOUBLE[]' },
    { name: 'ts', type: 'VARCHAR' },
    { name: 'zeta', type: 'BIGINT' },
  ]);
  // Auto Loader's default (cloud_files): every column a STRING, same names and order.
  const strings = await inferFileSchema(conn, [p], 'json', { inferColumnTypes: 'false' });
  assert.deepEqual(
    strings.columns.map((c) => c.type),
    Array(15).fill('VARCHAR'),
  );
  assert.deepEqual(
    strings.columns.map((c) => c.name),
    [
      'Beta',
      'alpha',
      'arr',
      'both',
      'conflict',
      'e',
      'empty',
      'flag',
      'mix',
      'mixedArr',
      'nul',
      'nums',
      'objs',
      'ts',
      'zeta',
    ],
  );
});

test('end to end: a JSON 1.5 in a column inferred BIGINT is rescued on the next update, never written as 2', async () => {
  const dir = tmpDir('coerce-e2e');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: coerce\n',
    'data/1.json': '{"id": 1, "qty": 10}\n',
    'transformations/p.sql':
      "CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM STREAM read_files('data', format => 'json');\n",
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFiles(dir, { 'data/2.json': '{"id": 2, "qty": 1.5}\n{"id": 3, "qty": "7"}\n' });
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stderr);
  const rows = await readTable(tableDir(dir, 't'), 'id');
  assert.deepEqual(
    rows.map((x) => [Number(x.id), x.qty === null ? null : Number(x.qty), x._rescued_data]),
    [
      [1, 10, null],
      [2, null, '{"qty":1.5}'],
      [3, null, '{"qty":"7"}'],
    ],
  );
});
