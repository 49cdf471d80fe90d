/**
 * Column mapping with renamed, dropped and re-added columns: a table built the way Spark builds
 * one (Parquet columns under physical names, with field ids), read at every version by sluice and
 * by chdb (delta-kernel-rs), in `name` and `id` modes, with a mapped partition column and, last,
 * a deletion vector.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { encodeRoaringBitmapArray, encodeZ85 } from '../../../src/storage/delta/deletion-vector-encode.ts';
import { RowIndexSet } from '../../../src/storage/delta/roaring-bitmap.ts';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { sqlString } from '../../../src/util/duckdb.ts';
import { chdbRows, sluiceRows } from '../../helpers/delta-compare.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
await conn.run("SET TimeZone = 'UTC'");
after(() => conn.closeSync());

const field = (name: string, type: unknown, id: number) => ({
  name,
  type,
  nullable: true,
  metadata: { 'delta.columnMapping.id': id, 'delta.columnMapping.physicalName': `col-${id}` },
});

/** Writes the rows of `sql` as a Parquet file with the field ids `ids` (DuckDB's FIELD_IDS syntax). */
async function writeFile(
  path: string,
  sql: string,
  ids: Record<string, string>,
): Promise<Record<string, unknown>> {
  const name = `part-${Object.keys(ids).join('-')}-${Math.random().toString(36).slice(2)}.parquet`;
  const idList = Object.entries(ids)
    .map(([k, v]) => `${sqlString(k)}: ${v}`)
    .join(', ');
  await conn.run(`COPY (${sql}) TO ${sqlString(join(path, name))} (FORMAT parquet, FIELD_IDS {${idList}})`);
  return { path: name, size: statSync(join(path, name)).size, modificationTime: 1, dataChange: true };
}

async function build(mode: 'name' | 'id'): Promise<string> {
  const path = join(tmpDir(`cm-${mode}`), 't');
  mkdirSync(join(path, '_delta_log'), { recursive: true });
  const metadata = (fields: unknown[], maxId: number) => ({
    metaData: {
      id: `cm-${mode}`,
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({ type: 'struct', fields }),
      partitionColumns: ['part'],
      configuration: { 'delta.columnMapping.mode': mode, 'delta.columnMapping.maxColumnId': String(maxId) },
      createdTime: 1,
    },
  });
  const nested = { type: 'struct', fields: [field('inner', 'integer', 4)] };
  const v0Fields = [
    field('id', 'long', 1),
    field('name', 'string', 2),
    field('part', 'string', 3),
    field('s', nested, 5),
  ];
  const a = await writeFile(
    path,
    `SELECT range AS "col-1", 'n' || range AS "col-2", {'col-4': range::INTEGER * 10} AS "col-5" FROM range(3)`,
    { 'col-1': '1', 'col-2': '2', 'col-5': "{__duckdb_field_id: 5, 'col-4': 4}" },
  );
  const commits: unknown[][] = [
    [
      { protocol: { minReaderVersion: 2, minWriterVersion: 5 } },
      metadata(v0Fields, 5),
      {
        add: {
          ...a,
          partitionValues: { 'col-3': 'x' },
          stats: JSON.stringify({
            numRecords: 3,
            minValues: { 'col-1': 0 },
            maxValues: { 'col-1': 2 },
            nullCount: { 'col-1': 0 },
          }),
        },
      },
    ],
    // Rename name → label and s.inner → s.deep (same physical names and ids).
    [
      metadata(
        [
          field('id', 'long', 1),
          field('label', 'string', 2),
          field('part', 'string', 3),
          field('s', { type: 'struct', fields: [field('deep', 'integer', 4)] }, 5),
        ],
        5,
      ),
    ],
    // Drop id.
    [
      metadata(
        [
          field('label', 'string', 2),
          field('part', 'string', 3),
          field('s', { type: 'struct', fields: [field('deep', 'integer', 4)] }, 5),
        ],
        5,
      ),
    ],
  ];
  // Add a new `id` column (a new physical name and id) and a file that has it.
  const v3Fields = [
    field('label', 'string', 2),
    field('part', 'string', 3),
    field('s', { type: 'struct', fields: [field('deep', 'integer', 4)] }, 5),
    field('id', 'long', 6),
  ];
  const b = await writeFile(path, `SELECT 'm' || range AS "col-2", range + 100 AS "col-6" FROM range(2)`, {
    'col-2': '2',
    'col-6': '6',
  });
  commits.push([metadata(v3Fields, 6), { add: { ...b, partitionValues: { 'col-3': 'y' } } }]);
  // Delete the first file's row 1 with an inline deletion vector (the features upgraded first).
  const vector = encodeRoaringBitmapArray(RowIndexSet.of([1]));
  const features = ['columnMapping', 'deletionVectors'];
  commits.push([
    {
      protocol: {
        minReaderVersion: 3,
        minWriterVersion: 7,
        readerFeatures: features,
        writerFeatures: features,
      },
    },
    { remove: { path: a.path, dataChange: true, deletionTimestamp: 2 } },
    {
      add: {
        ...a,
        partitionValues: { 'col-3': 'x' },
        deletionVector: {
          storageType: 'i',
          pathOrInlineDv: encodeZ85(vector),
          sizeInBytes: vector.length,
          cardinality: 1,
        },
      },
    },
  ]);
  commits.forEach((actions, v) => {
    writeFileSync(
      join(path, '_delta_log', `${String(v).padStart(20, '0')}.json`),
      `${actions.map((x) => JSON.stringify(x)).join('\n')}\n`,
    );
  });
  return path;
}

for (const mode of ['name', 'id'] as const) {
  test(`column mapping (${mode}): renamed, dropped and re-added columns read as chdb reads them at every version`, async () => {
    const path = await build(mode);
    const expected = [
      [
        '["0","n0","x","{\\"inner\\":\\"0\\"}"]',
        '["1","n1","x","{\\"inner\\":\\"10\\"}"]',
        '["2","n2","x","{\\"inner\\":\\"20\\"}"]',
      ],
      undefined,
      undefined,
      undefined,
      undefined,
    ];
    for (let v = 0; v <= 4; v++) {
      const snap = await loadSnapshot(path, { version: v });
      const mine = await sluiceRows(conn, snapshotScanSql(snap), snap.schema);
      assert.deepEqual(mine, chdbRows(path, v, snap.schema), `${mode}@${v}`);
      if (expected[v]) assert.deepEqual(mine, expected[v], `${mode}@${v}`);
    }
    // The latest version: the dropped id is gone, the new id is NULL in the old file.
    const latest = await loadSnapshot(path);
    assert.deepEqual(
      latest.schema.fields.map((f) => f.name),
      ['label', 'part', 's', 'id'],
    );
    const rows = await sluiceRows(conn, snapshotScanSql(latest), latest.schema);
    assert.equal(rows.length, 4, rows.join(' '));
    assert.ok(!rows.some((r) => r.startsWith('["n1"')), 'row 1 of the first file is deleted');
    assert.ok(rows.includes('["n0","x","{\\"deep\\":\\"0\\"}",null]'), rows.join(' '));
    assert.ok(rows.includes('["m1","y",null,"101"]'), rows.join(' '));
    // Statistics and partition values come out under the logical names.
    const first = (await loadSnapshot(path, { version: 0 })).files[0]!;
    assert.deepEqual(first.partitionValues, { part: 'x' });
    assert.deepEqual(JSON.parse(first.stats ?? '{}').minValues, { id: 0 });
  });
}
