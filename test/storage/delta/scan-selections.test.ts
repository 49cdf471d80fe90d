import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { RowIndexSet } from '../../../src/storage/delta/roaring-bitmap.ts';
import { filesScanSql, type ScanFile } from '../../../src/storage/delta/scan.ts';
import type { StructType } from '../../../src/storage/delta/schema.ts';
import { Database, queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

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
  const dir = tmpDir('scan-sel');
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

test('files with and without a row selection share one read_parquet, with partition values joined by entry', async () => {
  const { got, want, sql } = await scanWithSelections(9);
  assert.deepEqual(got, want);
  assert.equal(sql.match(/read_parquet\(/g)?.length, 1);
  assert.match(sql, /CASE file_index/);
});

test('past 32 files with a row selection, they take one read_parquet per 32, entries numbered across them', async () => {
  // 100 files, 66 of them with a selection: three reads (the first with the 34 files without one).
  const { got, want, sql } = await scanWithSelections(100);
  assert.equal(sql.match(/read_parquet\(/g)?.length, 3);
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want);
});

test('a large row selection is a constant its connection defines (the statement stays small), also where SQL may only read the table folder', async () => {
  const conn = await connect();
  const dir = tmpDir('scan-sel');
  await conn.run(
    `COPY (SELECT range AS v FROM range(100000)) TO '${join(dir, 'big.parquet')}' (FORMAT parquet)`,
  );
  // Every seventh row, and a run at the end: a bitmap of 12.5 KB.
  const rows = [...Array(100000).keys()].filter((r) => r % 7 === 3 || r >= 99990);
  const sql = filesScanSql(
    dir,
    SCHEMA,
    [],
    [{ path: 'big.parquet', partitionValues: {}, onlyRows: RowIndexSet.of(rows) }],
  );
  assert.match(sql, /sluice_bits_[0-9a-f]{40}\(\)/);
  assert.ok(sql.length < 2000, `the statement stays small (${sql.length} characters)`);
  const count = `SELECT count(*) AS n, sum(v) AS s FROM (${sql})`;
  const want = { n: rows.length, s: rows.reduce((a, b) => a + b, 0) };
  const [got] = await queryRows<{ n: bigint; s: bigint }>(conn, count);
  assert.deepEqual({ n: Number(got?.n), s: Number(got?.s) }, want);
  // The test of the vector is pushed into the Parquet scan, not evaluated after it as a join.
  const [plan] = await queryRows<{ explain_value: string }>(conn, `EXPLAIN ${count}`);
  assert.doesNotMatch(plan?.explain_value ?? '', /JOIN/);
  assert.match(plan?.explain_value ?? '', /READ_PARQUET[\s\S]*Filters:[\s\S]*get_bit/);
  // User SQL runs with reads limited to the pipeline's folders: the constant is defined there too.
  const limited = new Database({ allowedPaths: [dir] });
  const c = await limited.connect();
  try {
    const [r] = await queryRows<{ n: bigint; s: bigint }>(c, count);
    assert.deepEqual({ n: Number(r?.n), s: Number(r?.s) }, want);
    await assert.rejects(queryRows(c, `SELECT * FROM read_blob('/etc/hostname')`));
  } finally {
    c.closeSync();
    limited.close();
  }
});
