import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { query } from 'chdb';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { appendRows, createTable, evolveSchema, overwriteRows } from '../../../src/storage/delta/table.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());
const dir = tmpDir('delta-chdb');

function ch<T = Record<string, unknown>>(sql: string): T[] {
  return query(sql, 'JSONEachRow')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

const f = (name: string, type: StructType['fields'][number]['type'], nullable = true) => ({
  name,
  type,
  nullable,
  metadata: {},
});

const ALL_TYPES: StructType = {
  type: 'struct',
  fields: [
    f('id', 'long', false),
    f('s', 'string'),
    f('i', 'integer'),
    f('sh', 'short'),
    f('bt', 'byte'),
    f('fl', 'float'),
    f('db', 'double'),
    f('dec', 'decimal(12,3)'),
    f('b', 'boolean'),
    f('bin', 'binary'),
    f('d', 'date'),
    f('ts', 'timestamp'),
    f('ntz', 'timestamp_ntz'),
    f('arr', { type: 'array', elementType: 'long', containsNull: true }),
    f('m', { type: 'map', keyType: 'string', valueType: 'integer', valueContainsNull: true }),
    f('st', { type: 'struct', fields: [f('x', 'integer'), f('y', 'string')] }),
  ],
};

// Row i of the all-types table; every 4th row is all nulls except the id.
const ALL_TYPES_ROWS = `SELECT i AS id,
  CASE WHEN i % 4 = 3 THEN NULL ELSE 'str ''' || i || ' ✓ 😀 "q" \\ ,;' END AS s,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i * 1000 END AS i,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i - 5 END AS sh,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i - 3 END AS bt,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i / 4 END AS fl,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i / 3 END AS db,
  CASE WHEN i % 4 = 3 THEN NULL ELSE (i * 1.125 - 2)::DECIMAL(12,3) END AS dec,
  CASE WHEN i % 4 = 3 THEN NULL ELSE i % 2 = 0 END AS b,
  CASE WHEN i % 4 = 3 THEN NULL ELSE ('\\x00\\xFFab' || i)::BLOB END AS bin,
  CASE WHEN i % 4 = 3 THEN NULL ELSE DATE '2024-02-28' + i::INTEGER END AS d,
  CASE WHEN i % 4 = 3 THEN NULL ELSE TIMESTAMPTZ '2024-03-01 12:00:00.123456+00' + INTERVAL (i) HOUR END AS ts,
  CASE WHEN i % 4 = 3 THEN NULL ELSE TIMESTAMP '2024-03-01 08:30:00.5' + INTERVAL (i) MINUTE END AS ntz,
  CASE WHEN i % 4 = 3 THEN NULL ELSE [i, NULL, i * 2] END AS arr,
  CASE WHEN i % 4 = 3 THEN NULL ELSE MAP {'k': i::INTEGER, 'n': NULL} END AS m,
  CASE WHEN i % 4 = 3 THEN NULL ELSE {'x': i::INTEGER, 'y': 'y' || i} END AS st
FROM range(12) t(i)`;

// The same projection, normalized to comparable strings, in ClickHouse and in DuckDB.
const CH_PROJECTION = `id, s, i, sh, bt, toString(fl) AS fl, toString(round(db, 9)) AS db, toString(dec) AS dec, b,
  hex(bin) AS bin, toString(d) AS d, formatDateTime(ts, '%Y-%m-%d %H:%i:%S.%f', 'UTC') AS ts,
  formatDateTime(ntz, '%Y-%m-%d %H:%i:%S.%f', 'UTC') AS ntz, if(arr IS NULL OR empty(arr), NULL, arrayStringConcat(arrayMap(x -> ifNull(toString(x), 'null'), arr), ',')) AS arr,
  if(m IS NULL OR empty(m), NULL, toString(m['k'])) AS mk, st.x AS sx, st.y AS sy`;
const DUCK_PROJECTION = `id, s, i, sh, bt, CAST(fl AS VARCHAR) AS fl, CAST(round(db, 9) AS VARCHAR) AS db, CAST(dec AS VARCHAR) AS dec, b,
  hex(bin) AS bin, CAST(d AS VARCHAR) AS d, strftime(timezone('UTC', ts), '%Y-%m-%d %H:%M:%S.%f') AS ts,
  strftime(ntz, '%Y-%m-%d %H:%M:%S.%f') AS ntz, CASE WHEN arr IS NULL OR len(arr) = 0 THEN NULL ELSE array_to_string(list_transform(arr, x -> coalesce(CAST(x AS VARCHAR), 'null')), ',') END AS arr,
  CASE WHEN m IS NULL OR cardinality(m) = 0 THEN NULL ELSE CAST(m['k'] AS VARCHAR) END AS mk, st.x AS sx, st.y AS sy`;

/** Normalizes JSON values from both engines: numbers as numbers, everything else as strings. */
function norm(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => {
        if (v === null || v === undefined) return [k, null];
        if (typeof v === 'boolean') return [k, v];
        if (k === 'fl' || k === 'db' || k === 'dec') return [k, Number(v)];
        if (typeof v === 'number' || /^-?\d+$/.test(String(v)))
          return [k, /^-?\d+$/.test(String(v)) ? Number(v) : v];
        return [k, String(v)];
      }),
    ),
  );
}

test('every type, nulls and special strings: chdb and sluice read what DuckDB wrote', async () => {
  const table = join(dir, 'all_types');
  await createTable(table, { schema: ALL_TYPES });
  await appendRows(conn, table, ALL_TYPES_ROWS);
  const protocol = JSON.parse(
    readFileSync(join(table, '_delta_log', '00000000000000000000.json'), 'utf8').split('\n')[1],
  );
  assert.deepEqual(
    protocol.protocol.readerFeatures,
    ['timestampNtz'],
    'timestamp_ntz needs the table feature',
  );

  const expected = norm(
    await queryRows(conn, `SELECT ${DUCK_PROJECTION} FROM (${ALL_TYPES_ROWS}) ORDER BY id`),
  );
  const viaChdb = norm(ch(`SELECT ${CH_PROJECTION} FROM deltaLakeLocal('${table}') ORDER BY id`));
  const snap = await loadSnapshot(table);
  const viaSluice = norm(
    await queryRows(conn, `SELECT ${DUCK_PROJECTION} FROM (${snapshotScanSql(snap)}) ORDER BY id`),
  );
  assert.equal(expected.length, 12);
  assert.deepEqual(viaSluice, expected);
  assert.deepEqual(viaChdb, expected);
  // Stats describe the file.
  const stats = JSON.parse(snap.files[0].stats as string);
  assert.equal(stats.numRecords, 12);
  assert.equal(stats.minValues.id, 0);
  assert.equal(stats.maxValues.id, 11);
  assert.equal(stats.nullCount.s, 3);
  assert.equal(stats.minValues.d, '2024-02-28');
  assert.equal(stats.maxValues.dec, 9.25);
});

const SPECIAL = ['a b', 'x/y', '100%', 'k=v', '😀 emoji', "it's", 'a:b#c?d', ''];

test('partitioned table with special partition values, appends, overwrite, evolution, time travel', async () => {
  const table = join(dir, 'parted');
  await createTable(table, {
    schema: {
      type: 'struct',
      fields: [f('id', 'integer'), f('part', 'string'), f('day', 'date'), f('v', 'string')],
    },
    partitionColumns: ['part', 'day'],
  });
  const values = SPECIAL.map(
    (s, i) => `(${i}, '${s.replaceAll("'", "''")}', DATE '2024-01-0${(i % 3) + 1}', 'v${i}')`,
  );
  values.push(`(100, NULL, NULL, 'nulls')`);
  const v1 = (
    await appendRows(conn, table, `SELECT * FROM (VALUES ${values.join(', ')}) t(id, part, day, v)`)
  ).version;
  const v2 = (
    await appendRows(conn, table, `SELECT 200 AS id, 'x/y' AS part, DATE '2024-01-01' AS day, 'again' AS v`)
  ).version;
  const evolved = await evolveSchema(table, [{ name: 'extra', type: 'double' }]);
  assert.equal(evolved.changed, true);
  const v4 = (
    await appendRows(
      conn,
      table,
      `SELECT 300 AS id, 'new' AS part, DATE '2024-05-05' AS day, 'e' AS v, 1.5 AS extra`,
    )
  ).version;
  const v5 = (
    await overwriteRows(
      conn,
      table,
      `SELECT 1 AS id, 'only' AS part, DATE '2025-01-01' AS day, 'o' AS v, 2.5 AS extra`,
    )
  ).version;
  assert.deepEqual([v1, v2, evolved.version, v4, v5], [1, 2, 3, 4, 5]);

  const expectAt = async (version: number) => {
    const snap = await loadSnapshot(table, { version });
    const cols = snap.schema.fields.map((x) => x.name);
    const sel = `${cols.map((c) => (c === 'day' ? 'CAST(day AS VARCHAR) AS day' : c)).join(', ')}`;
    const mine = norm(await queryRows(conn, `SELECT ${sel} FROM (${snapshotScanSql(snap)}) ORDER BY id`));
    const theirs = norm(
      ch(
        `SELECT ${cols.map((c) => (c === 'day' ? 'toString(day) AS day' : c)).join(', ')} FROM deltaLakeLocal('${table}') ORDER BY id SETTINGS delta_lake_snapshot_version = ${version}`,
      ),
    );
    assert.deepEqual(theirs, mine, `version ${version}`);
    return mine;
  };
  const atV1 = await expectAt(1);
  assert.equal(atV1.length, SPECIAL.length + 1);
  // '' is written as a null partition value, as Spark does.
  assert.deepEqual(
    atV1.map((r) => r.part),
    [...SPECIAL.map((s) => (s === '' ? null : s)), null],
  );
  assert.equal((await expectAt(2)).length, SPECIAL.length + 2);
  const atV4 = await expectAt(4);
  assert.equal(atV4.find((r) => r.id === 300)?.extra, 1.5);
  assert.equal(atV4.find((r) => r.id === 200)?.extra, null);
  assert.deepEqual(await expectAt(5), [{ id: 1, part: 'only', day: '2025-01-01', v: 'o', extra: 2.5 }]);
  // Latest without time travel.
  assert.equal(ch(`SELECT count() AS n FROM deltaLakeLocal('${table}')`)[0].n, 1);
});

test('25 commits with checkpoint interval 10: checkpoints written and read by chdb and sluice', async () => {
  const table = join(dir, 'ckpt');
  await createTable(table, {
    schema: { type: 'struct', fields: [f('n', 'long'), f('p', 'string')] },
    partitionColumns: ['p'],
  });
  for (let n = 1; n <= 25; n++) {
    const res = await appendRows(conn, table, `SELECT ${n} AS n, 'p${n % 2}' AS p`, {
      txn: { appId: 'app', version: n },
    });
    assert.equal(res.checkpointError, undefined);
  }
  const log = join(table, '_delta_log');
  assert.ok(existsSync(join(log, '00000000000000000010.checkpoint.parquet')));
  assert.ok(existsSync(join(log, '00000000000000000020.checkpoint.parquet')));
  assert.ok(!existsSync(join(log, '00000000000000000025.checkpoint.parquet')));
  const last = JSON.parse(readFileSync(join(log, '_last_checkpoint'), 'utf8'));
  assert.equal(last.version, 20);
  assert.equal(last.size, 2 + 1 + 20, 'protocol + metaData + 1 txn + 20 adds');
  // Remove the JSON commits a checkpoint covers: readers must rely on the checkpoint alone.
  const { rmSync } = await import('node:fs');
  for (let v = 0; v <= 10; v++) rmSync(join(log, `${String(v).padStart(20, '0')}.json`));
  for (const version of [15, 20, 25]) {
    const snap = await loadSnapshot(table, { version });
    assert.equal(snap.txns.get('app'), version);
    const mine = await queryRows<{ s: number }>(
      conn,
      `SELECT sum(n)::INTEGER AS s FROM (${snapshotScanSql(snap)})`,
    );
    const theirs = ch<{ s: number }>(
      `SELECT toInt32(sum(n)) AS s FROM deltaLakeLocal('${table}') SETTINGS delta_lake_snapshot_version = ${version}`,
    );
    assert.equal(mine[0].s, (version * (version + 1)) / 2);
    assert.equal(theirs[0].s, mine[0].s);
  }
  const parts = ch<{ p: string; c: number }>(
    `SELECT p, count() AS c FROM deltaLakeLocal('${table}') GROUP BY p ORDER BY p`,
  );
  assert.deepEqual(
    parts.map((r) => [r.p, Number(r.c)]),
    [
      ['p0', 12],
      ['p1', 13],
    ],
  );
});
