import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { query as chdb } from 'chdb';
import { changesSql } from '../../../src/storage/delta/cdf-read.ts';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { deltaTypeToDuckDB, duckDBTypeToDelta } from '../../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { queryRows, sqlIdent, sqlString } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { FIXTURES, tmpDir } from '../../helpers/tmp.ts';

const skip = existsSync(FIXTURES) ? false : 'needs ../shared/fixtures/delta';
const conn = skip ? undefined : await connect();
if (conn) await conn.run("SET TimeZone = 'UTC'");
after(() => conn?.closeSync());

async function count(sql: string): Promise<number> {
  const rows = await queryRows<{ n: number | string }>(conn!, `SELECT count(*) AS n FROM (${sql})`);
  return Number(rows[0]?.n);
}

/** `name → latest row count` from the table in SOURCES.md (first number of the rows column). */
function sourcesRowCounts(): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(join(FIXTURES, 'SOURCES.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 7 || !/^\d/.test(cells[5] ?? '')) continue;
    out.set(cells[1] as string, Number.parseInt(cells[5] as string, 10));
  }
  return out;
}

/** Refused fixtures → the feature named (none: deletion vectors and column mapping are read). */
const REFUSED: Record<string, string> = {};

function tablePathOf(name: string): string {
  return existsSync(join(FIXTURES, name, 'delta')) ? join(FIXTURES, name, 'delta') : join(FIXTURES, name);
}

test('every fixture in SOURCES.md is read with its row count, or refused with a coded error', {
  skip,
}, async () => {
  const counts = sourcesRowCounts();
  assert.ok(counts.size >= 19, `parsed ${counts.size} fixtures from SOURCES.md`);
  for (const [name, rows] of counts) {
    const path = tablePathOf(name);
    const feature = REFUSED[name];
    if (feature) {
      await assert.rejects(loadSnapshot(path), (e: { code?: string; params?: Record<string, unknown> }) => {
        assert.equal(e.code, 'DELTA_UNSUPPORTED_FEATURE', name);
        assert.equal(e.params?.feature, feature);
        assert.equal(e.params?.table, path);
        return true;
      });
      continue;
    }
    const snap = await loadSnapshot(path);
    assert.equal(await count(snapshotScanSql(snap)), rows, `${name}: row count`);
    // Columns come out with the schema's names and DuckDB types, in schema order.
    const desc = await queryRows<{ column_name: string; column_type: string }>(
      conn!,
      `DESCRIBE ${snapshotScanSql(snap)}`,
    );
    assert.deepEqual(
      desc.map((d) => [d.column_name, deltaTypeToDuckDB(duckDBTypeToDelta(d.column_type))]),
      snap.schema.fields.map((f) => [f.name, deltaTypeToDuckDB(f.type)]),
      `${name}: columns`,
    );
  }
});

test('dat tables match their expected content at every version', { skip }, async () => {
  const dats = readdirSync(FIXTURES).filter((n) => n.startsWith('dat-'));
  assert.ok(dats.length >= 4);
  let checked = 0;
  for (const name of dats) {
    const expectedDir = join(FIXTURES, name, 'expected');
    for (const v of readdirSync(expectedDir)) {
      const meta = JSON.parse(readFileSync(join(expectedDir, v, 'table_version_metadata.json'), 'utf8')) as {
        version: number;
      };
      const snap = await loadSnapshot(
        join(FIXTURES, name, 'delta'),
        v === 'latest' ? {} : { version: meta.version },
      );
      assert.equal(snap.version, meta.version, `${name}/${v}`);
      const cols = snap.schema.fields.map(
        (f) => `CAST(${sqlIdent(f.name)} AS ${deltaTypeToDuckDB(f.type)}) AS ${sqlIdent(f.name)}`,
      );
      const expected = `SELECT ${cols.join(', ')} FROM read_parquet(${sqlString(join(expectedDir, v, '*.parquet'))}, hive_partitioning=false)`;
      const actual = snapshotScanSql(snap);
      const extra = await queryRows(conn!, `(${actual}) EXCEPT ALL (${expected})`);
      const missing = await queryRows(conn!, `(${expected}) EXCEPT ALL (${actual})`);
      assert.deepEqual(extra, [], `${name}/${v}: rows not expected`);
      assert.deepEqual(missing, [], `${name}/${v}: rows missing`);
      assert.equal(await count(actual), await count(expected));
      checked++;
    }
  }
  assert.ok(checked >= 10, `checked ${checked} versions`);
});

test('time travel matches chdb (delta-kernel-rs) at every version', { skip }, async () => {
  const dir = tmpDir('fixtures');
  for (const name of [
    'simple_table',
    'delta-0.2.0',
    'simple_table_with_checkpoint',
    'table_failed_last_checkpoint_update',
    'delta-1.2.1-only-struct-stats',
    'delta-0.8.0',
  ]) {
    const copy = join(dir, name);
    cpSync(join(FIXTURES, name), copy, { recursive: true });
    const latest = (await loadSnapshot(copy)).version;
    for (let v = 0; v <= latest; v++) {
      const expected = Number(
        chdb(
          `SELECT count() FROM deltaLakeLocal(${sqlString(copy)}) SETTINGS delta_lake_snapshot_version = ${v}`,
          'CSV',
        ).trim(),
      );
      const snap = await loadSnapshot(copy, { version: v });
      assert.equal(await count(snapshotScanSql(snap)), expected, `${name}@${v}`);
    }
  }
});

test('a log starting at a checkpoint reads from it; earlier versions are not found', { skip }, async () => {
  const path = join(FIXTURES, 'checkpoint-cdf-table');
  assert.equal((await loadSnapshot(path, { version: 3 })).files.length > 0, true);
  for (const version of [2, 0, 6]) {
    await assert.rejects(
      loadSnapshot(path, { version }),
      (e: { code?: string; params?: Record<string, unknown> }) => {
        assert.equal(e.code, 'DELTA_VERSION_NOT_FOUND');
        assert.equal(e.params?.version, version);
        return true;
      },
    );
  }
});

test('checkpoint stats_parsed become stats; txn and partition values survive replay', { skip }, async () => {
  const structStats = await loadSnapshot(join(FIXTURES, 'delta-1.2.1-only-struct-stats'));
  assert.equal(structStats.files.length, 12);
  for (const f of structStats.files) {
    const stats = JSON.parse(f.stats ?? 'null') as { numRecords: number };
    assert.equal(stats.numRecords, 1, f.path);
  }
  const txn = await loadSnapshot(join(FIXTURES, 'delta-0.2.0'));
  assert.equal(txn.txns.get('e4a20b59-dd0e-4c50-b074-e8ae4786df30'), 0);
  const special = await loadSnapshot(join(FIXTURES, 'delta-0.8.0-special-partition'));
  const rows = await queryRows<{ x: string }>(
    conn!,
    `SELECT x FROM (${snapshotScanSql(special)}) ORDER BY x`,
  );
  assert.deepEqual(
    rows.map((r) => r.x),
    ['A/A', 'B B'],
  );
  const nulls = await loadSnapshot(join(FIXTURES, 'delta-0.8.0-null-partition'));
  const nrows = await queryRows<{ k: string | null }>(
    conn!,
    `SELECT k FROM (${snapshotScanSql(nulls)}) ORDER BY k NULLS LAST`,
  );
  assert.deepEqual(
    nrows.map((r) => r.k),
    ['A', null],
  );
});

test('change data feed of the CDF fixtures matches chdb', { skip }, async () => {
  const dir = tmpDir('cdf');
  for (const [name, start] of [
    ['cdf-table', 0],
    ['cdf-table-non-partitioned', 0],
    ['checkpoint-cdf-table', 3],
  ] as const) {
    const copy = join(dir, name);
    cpSync(join(FIXTURES, name), copy, { recursive: true });
    const mine = await queryRows<Record<string, unknown>>(
      conn!,
      `SELECT _commit_version::BIGINT v, _change_type t, id::BIGINT id, name FROM (${await changesSql(copy, start)}) ORDER BY ALL`,
    );
    const theirs = chdb(
      `SELECT _commit_version v, _change_type t, id, name FROM deltaLakeLocal(${sqlString(copy)}) ORDER BY ALL SETTINGS delta_lake_snapshot_start_version = ${start}`,
      'JSONEachRow',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(theirs.length > 5, name);
    assert.deepEqual(
      mine.map((r) => [Number(r.v), r.t, Number(r.id), r.name]),
      theirs.map((r) => [Number(r.v), r.t, Number(r.id), r.name]),
      name,
    );
  }
  const types = await queryRows<{ column_name: string; column_type: string }>(
    conn!,
    `DESCRIBE ${await changesSql(join(FIXTURES, 'cdf-table'), 1, 2)}`,
  );
  assert.deepEqual(
    types.slice(-3).map((t) => [t.column_name, t.column_type]),
    [
      ['_change_type', 'VARCHAR'],
      ['_commit_version', 'BIGINT'],
      ['_commit_timestamp', 'TIMESTAMP WITH TIME ZONE'],
    ],
  );
  await assert.rejects(changesSql(join(FIXTURES, 'delta-0.8.0'), 0), { code: 'DELTA_CDF_NOT_ENABLED' });
});
