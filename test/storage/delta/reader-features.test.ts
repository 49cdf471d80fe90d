/**
 * Every Delta fixture table — delta-kernel-rs's (deletion vectors, column mapping, v2 checkpoints,
 * log compaction, type widening, variant, void, …) and the delta-rs / DAT ones — read by sluice
 * at every version its log holds and compared with what chdb (ClickHouse + delta-kernel-rs) reads,
 * as are the change data feeds; the tables chdb cannot read are checked against what their
 * writers wrote; refusals are the ones the README lists.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { TableCache } from '../../../src/engine/tables/table-cache.ts';
import { changesSql } from '../../../src/storage/delta/cdf-read.ts';
import { listLog } from '../../../src/storage/delta/log-files.ts';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { chdbChangeRows, chdbRows, sluiceRows } from '../../helpers/delta-compare.ts';
import { connect, session } from '../../helpers/session.ts';
import { FIXTURES, ROOT, tmpDir } from '../../helpers/tmp.ts';

const KERNEL = join(ROOT, '..', 'shared', 'fixtures', 'delta-kernel');
const skip =
  existsSync(KERNEL) && existsSync(FIXTURES)
    ? false
    : 'needs ../shared/fixtures/delta-kernel and ../shared/fixtures/delta';
const conn = skip ? undefined : await connect();
if (conn) await conn.run("SET TimeZone = 'UTC'");
after(() => conn?.closeSync());

/** Refused on purpose (see the README): table → the feature named by DELTA_UNSUPPORTED_FEATURE. */
const REFUSED: Readonly<Record<string, string>> = {
  'table-with-geo': 'geospatial',
};

/** Tables that are mostly logs (some data files are not part of the fixture). */
const LOG_ONLY: ReadonlySet<string> = new Set([
  'app-txn-with-last-updated',
  'table-with-cdf',
  'with_checkpoint_no_last_checkpoint',
]);

/** Tables chdb cannot read (types delta-kernel-rs refuses); checked against their writers' data below. */
const CHDB_CANNOT = new Set(['void-column', 'unshredded-variant']);

/** Every fixture table: name, source folder, and a copy under the repository (chdb reads only there). */
function tables(): { name: string; path: string }[] {
  const dir = tmpDir('reader-features');
  const out: { name: string; path: string }[] = [];
  for (const [root, prefix] of [
    [KERNEL, 'k-'],
    [FIXTURES, 'd-'],
  ] as const) {
    for (const name of readdirSync(root).sort()) {
      if (name === 'SOURCES.md') continue;
      const src = existsSync(join(root, name, 'delta')) ? join(root, name, 'delta') : join(root, name);
      const path = join(dir, `${prefix}${name}`);
      cpSync(src, path, { recursive: true });
      out.push({ name, path });
    }
  }
  return out;
}

const all = skip ? [] : tables();

/** The versions the log of `path` can be read at: from its oldest checkpoint or commit 0 to the latest. */
async function versionsOf(path: string): Promise<number[]> {
  const l = await listLog(path);
  const first = l.commits[0] === 0 ? 0 : Math.min(...l.checkpoints.map((c) => c.version));
  const last = Math.max(...l.commits, ...l.checkpoints.map((c) => c.version));
  const out: number[] = [];
  for (let v = first; v <= last; v++) out.push(v);
  return out;
}

function rejectsWith(code: string, check?: (params: Record<string, unknown>) => void) {
  return (e: { code?: string; params?: Record<string, unknown> }) => {
    assert.equal(e.code, code, String(e));
    check?.(e.params ?? {});
    return true;
  };
}

test('every fixture table reads as chdb (delta-kernel-rs) reads it, at every version', { skip }, async () => {
  assert.ok(all.length >= 75, `found ${all.length} tables`);
  let compared = 0;
  const seen = new Set<string>();
  const missing = new Set<string>();
  for (const { name, path } of all) {
    if (name === 'crc-malformed') {
      // A _delta_log holding only a .crc file is no table.
      await assert.rejects(loadSnapshot(path), rejectsWith('DELTA_TABLE_NOT_FOUND'));
      continue;
    }
    const refused = REFUSED[name];
    if (refused) {
      await assert.rejects(
        loadSnapshot(path),
        rejectsWith('DELTA_UNSUPPORTED_FEATURE', (p) => assert.equal(p.feature, refused, name)),
      );
      continue;
    }
    for (const v of await versionsOf(path)) {
      const snap = await loadSnapshot(path, { version: v });
      let sql: string;
      try {
        sql = snapshotScanSql(snap);
      } catch (e) {
        // Only log-only tables miss data files, and chdb cannot read them either.
        assert.ok(LOG_ONLY.has(name), `${name}@${v}: ${String(e)}`);
        rejectsWith('DELTA_MISSING_DATA_FILE')(e as { code?: string });
        assert.throws(() => chdbRows(path, v, snap.schema));
        missing.add(name);
        continue;
      }
      const mine = await sluiceRows(conn!, sql, snap.schema);
      if (CHDB_CANNOT.has(name)) continue;
      const theirs = chdbRows(path, v, snap.schema);
      assert.deepEqual(mine, theirs, `${name}@${v}`);
      compared++;
      seen.add(name);
    }
  }
  // The tables of the reader features this issue is about are all among those compared.
  for (const name of [
    'table-with-dv-small',
    'with-short-dv',
    'cdf-table-with-dv',
    'cdf-table-with-cdc-and-dvs',
    'cdf-column-mapping-id-mode',
    'cdf-column-mapping-name-mode',
    'table_with_column_mapping',
    'v2-checkpoints-json-with-sidecars',
    'v2-checkpoints-parquet-with-sidecars',
    'v2-classic-checkpoint-json',
    'v2-parquet-sidecars-struct-stats-only',
    'v1-multi-part-struct-stats-only',
    'compacted-log-files-table',
    'type-widening',
    'data-reader-timestamp_ntz',
  ]) {
    assert.ok(seen.has(name), `${name} was compared`);
  }
  assert.ok(compared >= 250, `compared ${compared} table versions`);
  assert.deepEqual([...missing].sort(), [...LOG_ONLY].sort());
});

test('deleted rows are filtered in DuckDB by row position', { skip }, async () => {
  const path = all.find((t) => t.name === 'table-with-dv-small')!.path;
  const sql = snapshotScanSql(await loadSnapshot(path));
  // The table's one file, with a vector, is filtered by one bit test per row of its read_parquet.
  assert.match(
    sql,
    /file_index AS "__sluice_entry" FROM read_parquet\(\['[^']+'\], [^)]*\) WHERE \(get_bit\(from_base64\('[^']+'\)::BIT, \(file_row_number\)::INTEGER\) = 0\)/,
  );
  // Version 0 has no vector: the file is read whole, in the shared read_parquet.
  assert.doesNotMatch(snapshotScanSql(await loadSnapshot(path, { version: 0 })), /file_row_number/);
  const rows = await queryRows<{ value: number }>(conn!, `SELECT value FROM (${sql}) ORDER BY value`);
  assert.deepEqual(
    rows.map((r) => Number(r.value)),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
});

test('void columns read as NULL, variant columns as their JSON text', { skip }, async () => {
  const voidTable = await loadSnapshot(all.find((t) => t.name === 'void-column')!.path);
  const voids = await queryRows<{ id: bigint; void_col: unknown }>(
    conn!,
    `SELECT id, void_col FROM (${snapshotScanSql(voidTable)}) ORDER BY id`,
  );
  assert.deepEqual(
    voids.map((r) => [Number(r.id), r.void_col]),
    [
      [1, null],
      [2, null],
      [3, null],
    ],
  );
  // Written by Spark from `parse_json('{"key": <id>}')` for ids 0..99, then ids 0 and 1 again
  // (see info.txt): every variant, nested or not, is that document as JSON text.
  const variant = await loadSnapshot(all.find((t) => t.name === 'unshredded-variant')!.path);
  const rows = await queryRows<Record<string, unknown>>(
    conn!,
    `SELECT id, v, array_of_variants AS a, struct_of_variants AS s, map_of_variants AS m,
      array_of_struct_of_variants AS aos, struct_of_array_of_variants AS soa FROM (${snapshotScanSql(variant)})`,
  );
  assert.equal(rows.length, 102);
  for (const r of rows) {
    const doc = `{"key":${Number(r.id)}}`;
    const got = JSON.parse(
      JSON.stringify({ v: r.v, a: r.a, s: r.s, m: r.m, aos: r.aos, soa: r.soa }, (_, x) =>
        typeof x === 'bigint' ? Number(x) : x,
      ),
    ) as Record<string, unknown>;
    assert.deepEqual(
      got,
      {
        v: doc,
        a: [doc, null, doc, null, doc],
        s: { v: doc },
        m: [
          { key: String(r.id), value: doc },
          { key: 'nullKey', value: null },
        ],
        aos: [{ v: doc }, { v: null }, null, { v: doc }, null, { v: doc }],
        soa: { v: [null, doc] },
      },
      `row ${r.id}`,
    );
  }
});

test('change data feeds match chdb, with deletion vectors and column mapping', { skip }, async () => {
  let compared = 0;
  const seen = new Set<string>();
  for (const { name, path } of all) {
    if (REFUSED[name] || LOG_ONLY.has(name) || CHDB_CANNOT.has(name) || name === 'crc-malformed') continue;
    const versions = await versionsOf(path);
    const latest = await loadSnapshot(path);
    const schema: StructType = {
      type: 'struct',
      fields: [
        ...latest.schema.fields,
        { name: '_change_type', type: 'string', nullable: true, metadata: {} },
        { name: '_commit_version', type: 'long', nullable: true, metadata: {} },
      ],
    };
    for (const start of versions) {
      const snap = await loadSnapshot(path, { version: start });
      if (snap.metadata.configuration['delta.enableChangeDataFeed'] !== 'true') continue;
      let theirs: string[];
      try {
        theirs = chdbChangeRows(path, start, schema);
      } catch {
        // delta-kernel-rs refuses ranges whose schema changed; sluice's reading is checked elsewhere.
        continue;
      }
      const mine = await sluiceRows(conn!, await changesSql(path, start), schema);
      assert.deepEqual(mine, theirs, `${name} changes from ${start}`);
      compared++;
      seen.add(name);
    }
  }
  for (const name of [
    'cdf-table-with-dv',
    'cdf-table-with-cdc-and-dvs',
    'cdf-column-mapping-id-mode',
    'cdf-column-mapping-name-mode',
  ]) {
    assert.ok(seen.has(name), `${name} was compared`);
  }
  assert.ok(compared >= 60, `compared ${compared} change ranges`);
});

test('a streaming read of a table whose files gain deletion vectors meets change commits', {
  skip,
}, async () => {
  const path = all.find((t) => t.name === 'cdf-table-with-dv')!.path;
  const tables = new TableCache(session.db);
  // Version 1 deletes rows by giving a file a deletion vector (no remove of the whole file's rows).
  await assert.rejects(
    tables.addedFilesBetween(path, 0, 1, { dataset: 'src', skipChangeCommits: false }),
    rejectsWith('STREAMING_SOURCE_NOT_APPEND_ONLY', (p) => assert.equal(p.version, 1)),
  );
  const skipped = await tables.addedFilesBetween(path, 0, 1, { dataset: 'src', skipChangeCommits: true });
  assert.deepEqual(skipped, []);
});
