import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSluiceError } from '../../../src/errors/index.ts';
import { writeParquetFiles } from '../../../src/storage/delta/data-files.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { type StatColumn, statsJsonFromRow, statsSelectItems } from '../../../src/storage/delta/stats.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());
const dir = tmpDir('delta-write-stats');
let n = 0;
const fresh = () => join(dir, `t${n++}`);

const field = (name: string, type: StructType['fields'][number]['type'], nullable = true) => ({
  name,
  type,
  nullable,
  metadata: {},
});

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    field('id', 'long', false),
    field('i', 'integer'),
    field('f', 'float'),
    field('d', 'double'),
    field('dec', 'decimal(10,2)'),
    field('s', 'string'),
    field('we"ird.col', 'string'),
    field('dt', 'date'),
    field('ts', 'timestamp'),
    field('tsn', 'timestamp_ntz'),
    field('b', 'boolean'),
    field('bin', 'binary'),
    field('st', { type: 'struct', fields: [field('p', 'string')] }),
    field('arr', { type: 'array', elementType: 'long', containsNull: true }),
  ],
};

const ROWS = `SELECT * FROM (VALUES
  (1, 7, 1.1::FLOAT, 'NaN'::DOUBLE, 1.25, 'short', 'a"b', DATE '2024-01-09', TIMESTAMPTZ '2024-01-01 00:00:00.123456+00', TIMESTAMP '2024-01-01 01:02:03', true, '\\x01'::BLOB, {'p': 'x'}, [1, 2]),
  (2, NULL, 2.5::FLOAT, 3.5::DOUBLE, -3.5, repeat('é', 40), NULL, DATE '1969-12-31', TIMESTAMPTZ '1969-12-31 23:59:59+00', TIMESTAMP '2024-01-01 01:02:04.5', NULL, NULL, NULL, NULL),
  (3, -4, NULL, -0.0::DOUBLE, NULL, 'a' || repeat('z', 39), NULL, NULL, NULL, NULL, false, NULL, {'p': NULL}, []),
  (4, 9, -1e30::FLOAT, 'inf'::DOUBLE, 99999999.99, NULL, 'x', DATE '2000-02-29', TIMESTAMPTZ '2262-04-11 23:47:16.854775+00', NULL, true, NULL, NULL, [NULL])
) t(id, i, f, d, dec, s, "we""ird.col", dt, ts, tsn, b, bin, st, arr)`;

/** The statistics a full aggregate over the rows computes (the reference the writer must match). */
async function referenceStats(sql: string): Promise<unknown> {
  const cols: StatColumn[] = SCHEMA.fields.map((f) => ({ name: f.name, type: f.type as StatColumn['type'] }));
  const [row] = await queryRows(conn, `SELECT ${statsSelectItems(cols).join(', ')} FROM (${sql})`);
  return JSON.parse(statsJsonFromRow(cols, row!));
}

test('single-pass write: stats equal a full aggregate over the rows, for every stats-bearing type', async () => {
  const path = fresh();
  const files = await writeParquetFiles(conn, path, ROWS, { schema: SCHEMA, partitionColumns: [] });
  assert.equal(files.length, 1);
  const stats = JSON.parse(files[0]!.stats) as {
    numRecords: number;
    minValues: Record<string, unknown>;
    maxValues: Record<string, unknown>;
    nullCount: Record<string, number>;
  };
  assert.deepEqual(stats, await referenceStats(ROWS));
  // spot checks of the rules themselves
  assert.equal(stats.numRecords, 4);
  assert.equal(stats.maxValues.d, undefined, 'a NaN (or inf) max is dropped');
  assert.equal(stats.minValues.s, `a${'z'.repeat(31)}`, 'long string min is truncated to 32 characters');
  assert.equal(stats.maxValues.s, undefined, 'long string max is dropped');
  assert.equal(stats.minValues.ts, '1969-12-31T23:59:59.000000Z');
  assert.equal(stats.maxValues.tsn, '2024-01-01T01:02:04.500000');
  assert.equal(stats.nullCount['we"ird.col'], 2);
  assert.equal(files[0]!.numRecords, 4);
  // the file holds the rows
  const [c] = await queryRows(
    conn,
    `SELECT count(*)::INT AS n FROM read_parquet('${join(path, files[0]!.path)}')`,
  );
  assert.equal(c!.n, 4);
});

test('single-pass write: all-null and empty-string columns, zero rows writes no file', async () => {
  const path = fresh();
  const sql = `SELECT 1 AS id, NULL::DOUBLE AS d, '' AS s UNION ALL SELECT 2, NULL, NULL`;
  const files = await writeParquetFiles(conn, path, sql, { schema: SCHEMA, partitionColumns: [] });
  assert.deepEqual(
    JSON.parse(files[0]!.stats),
    await referenceStats(
      `SELECT id, NULL::INT AS i, NULL::FLOAT AS f, d, NULL::DECIMAL(10,2) AS dec, s, NULL::VARCHAR AS "we""ird.col", NULL::DATE AS dt, NULL::TIMESTAMPTZ AS ts, NULL::TIMESTAMP AS tsn, NULL::BOOLEAN AS b, NULL::BLOB AS bin, NULL::STRUCT(p VARCHAR) AS st, NULL::BIGINT[] AS arr FROM (${sql})`,
    ),
  );
  const empty = await writeParquetFiles(conn, path, `${sql} LIMIT 0`, {
    schema: SCHEMA,
    partitionColumns: [],
  });
  assert.deepEqual(empty, []);
  assert.equal(readdirSync(path).length, 1, 'only the first write left a file');
});

test('single-pass write: NOT NULL violations and cast failures fail and leave no file', async () => {
  const path = fresh();
  const expectMismatch = async (sql: string) => {
    await assert.rejects(
      writeParquetFiles(conn, path, sql, { schema: SCHEMA, partitionColumns: [] }),
      (e: unknown) => isSluiceError(e) && e.code === 'DELTA_SCHEMA_MISMATCH',
    );
  };
  await expectMismatch(`SELECT NULL::BIGINT AS id UNION ALL SELECT 1`);
  await expectMismatch(`SELECT 'not a number' AS id`);
  await expectMismatch(`SELECT 1 AS id, 'x' AS nope`);
  assert.ok(!existsSync(path) || readdirSync(path).length === 0, 'no file is left behind');
  await writeParquetFiles(conn, path, `SELECT 1 AS id`, { schema: SCHEMA, partitionColumns: [] });
  assert.equal(readdirSync(path).length, 1, 'a valid write into the same table works');
});

test('change data files go under _change_data with the extra column and no schema stats for it', async () => {
  const path = fresh();
  const files = await writeParquetFiles(conn, path, `SELECT 5 AS id, 'insert' AS _change_type`, {
    schema: SCHEMA,
    partitionColumns: [],
    dir: '_change_data',
    filePrefix: 'cdc',
    extraColumns: ['_change_type'],
  });
  assert.match(files[0]!.path, /^_change_data\/cdc-00000-.*\.c000\.zstd\.parquet$/);
  const [r] = await queryRows(
    conn,
    `SELECT id::INT AS id, _change_type FROM read_parquet('${join(path, files[0]!.path)}')`,
  );
  assert.deepEqual(r, { id: 5, _change_type: 'insert' });
  assert.equal(
    Object.hasOwn((JSON.parse(files[0]!.stats) as { minValues: object }).minValues, '_change_type'),
    false,
  );
});
