import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RowIndexSet } from '../../../src/storage/delta/roaring-bitmap.ts';
import { filesScanSql, type ScanFile } from '../../../src/storage/delta/scan.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';

const SCHEMA: StructType = {
  type: 'struct',
  fields: [
    { name: 'v', type: 'long', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
  ],
};

/**
 * `files` Parquet files of 10 rows each (v = 100·file + row); every third file keeps all its
 * rows, the others only the rows `row % 3 = file % 3`. Partition `p` is the file's number.
 */
async function scanWithSelections(files: number): Promise<{ got: string[]; want: string[]; sql: string }> {
  const conn = await connect();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-scan-sel-'));
  const scanFiles: ScanFile[] = [];
  const want: string[] = [];
  for (let f = 0; f < files; f++) {
    const name = `f${f}.parquet`;
    await conn.run(
      `COPY (SELECT ${f * 100} + range AS v FROM range(10)) TO '${join(dir, name)}' (FORMAT parquet)`,
    );
    const selected = f % 3 !== 0;
    const rows = [...Array(10).keys()].filter((r) => !selected || r % 3 === f % 3);
    for (const r of rows) want.push(`${f * 100 + r}/${f}`);
    scanFiles.push({
      path: name,
      partitionValues: { p: String(f) },
      ...(selected ? { onlyRows: RowIndexSet.of(rows) } : {}),
    });
  }
  const sql = filesScanSql(dir, SCHEMA, ['p'], scanFiles);
  const got = (await queryRows<{ k: string }>(conn, `SELECT v || '/' || p AS k FROM (${sql})`)).map(
    (r) => r.k,
  );
  return { got: got.sort(), want: want.sort(), sql };
}

test('files with a row selection are each read alone, with partition values joined by entry', async () => {
  const { got, want, sql } = await scanWithSelections(9);
  assert.deepEqual(got, want);
  assert.doesNotMatch(sql, /CASE file_index/);
});

test('past 64 files with a row selection, they share one read_parquet and a CASE picks the vector', async () => {
  const { got, want, sql } = await scanWithSelections(100);
  assert.match(sql, /CASE file_index/);
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want);
});
