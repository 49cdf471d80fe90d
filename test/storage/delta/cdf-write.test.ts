import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { query } from 'chdb';
import { changesSql } from '../../../src/storage/delta/cdf-read.ts';
import { appendRows, createTable, overwriteRows } from '../../../src/storage/delta/table.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());

type Change = { id: number; p: string | null; _change_type: string; _commit_version: number };

function sortChanges(rows: Change[]): Change[] {
  return rows
    .map((r) => ({
      id: Number(r.id),
      p: r.p,
      _change_type: r._change_type,
      _commit_version: Number(r._commit_version),
    }))
    .sort(
      (a, b) =>
        a._commit_version - b._commit_version || a._change_type.localeCompare(b._change_type) || a.id - b.id,
    );
}

for (const partitioned of [false, true]) {
  test(`CDF (${partitioned ? 'partitioned' : 'unpartitioned'}): overwrite writes delete + insert change files, read by chdb and sluice`, async () => {
    const table = join(tmpDir('delta-cdf'), 't');
    await createTable(table, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'p', type: 'string', nullable: true, metadata: {} },
        ],
      },
      partitionColumns: partitioned ? ['p'] : [],
      configuration: { 'delta.enableChangeDataFeed': 'true' },
    });
    const proto = JSON.parse(
      readFileSync(join(table, '_delta_log', '00000000000000000000.json'), 'utf8').split('\n')[1],
    );
    assert.deepEqual(proto, { protocol: { minReaderVersion: 1, minWriterVersion: 4 } });
    await appendRows(conn, table, `SELECT * FROM (VALUES (1, 'a/b'), (2, NULL)) t(id, p)`);
    await overwriteRows(conn, table, `SELECT * FROM (VALUES (3, 'a/b'), (4, 'c d')) t(id, p)`);
    const commit2 = readFileSync(join(table, '_delta_log', '00000000000000000002.json'), 'utf8');
    assert.match(commit2, /"cdc":\{"path":"_change_data\//);
    const expected: Change[] = [
      { id: 1, p: 'a/b', _change_type: 'insert', _commit_version: 1 },
      { id: 2, p: null, _change_type: 'insert', _commit_version: 1 },
      { id: 1, p: 'a/b', _change_type: 'delete', _commit_version: 2 },
      { id: 2, p: null, _change_type: 'delete', _commit_version: 2 },
      { id: 3, p: 'a/b', _change_type: 'insert', _commit_version: 2 },
      { id: 4, p: 'c d', _change_type: 'insert', _commit_version: 2 },
    ];
    const viaChdb = query(
      `SELECT id, p, _change_type, _commit_version FROM deltaLakeLocal('${table}') SETTINGS delta_lake_snapshot_start_version = 1, delta_lake_snapshot_end_version = 2`,
      'JSONEachRow',
    )
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Change);
    assert.deepEqual(sortChanges(viaChdb), sortChanges(expected));
    const viaSluice = await queryRows<Change>(
      conn,
      `SELECT id, p, _change_type, _commit_version FROM (${await changesSql(table, 1, 2)})`,
    );
    assert.deepEqual(sortChanges(viaSluice), sortChanges(expected));
    // The latest snapshot is just the overwrite's rows.
    const now = query(`SELECT id FROM deltaLakeLocal('${table}') ORDER BY id`, 'JSONEachRow');
    assert.deepEqual(
      now
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l).id),
      [3, 4],
    );
  });
}
