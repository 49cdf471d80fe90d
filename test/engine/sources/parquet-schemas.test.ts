import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FUSE_MAX_BATCHES } from '../../../src/engine/flows/fused-aggregate.ts';
import { inferFileSchema, ParquetSchemas } from '../../../src/engine/sources/files.ts';
import { Database } from '../../../src/util/index.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * The update's remembered Parquet columns: a batch's planning and binding read the same files'
 * columns once, and a file rewritten in between is read again (never a stale schema).
 */

test('Parquet columns are read once for the same files and again once a file is rewritten', async () => {
  const dir = tmpDir('parquet-schemas');
  const db = new Database();
  const conn = await db.connect();
  try {
    const file = join(dir, 'a.parquet');
    const write = (select: string) => conn.run(`COPY (${select}) TO '${file}' (FORMAT parquet)`);
    await write('SELECT 1::INTEGER AS x');
    utimesSync(file, 1_000, 1_000);
    const remembered = new ParquetSchemas();
    const hooks = { parquetSchemas: remembered };

    const first = await inferFileSchema(conn, [file], 'parquet', {}, hooks);
    assert.deepEqual(first.columns, [{ name: 'x', type: 'INTEGER' }]);

    // The same files again: answered from what was read (a read here would fail the test).
    let reads = 0;
    const again = await remembered.of([file], async () => {
      reads++;
      return { names: [], types: [] };
    });
    assert.equal(reads, 0);
    assert.deepEqual(again.names, ['x']);

    // Rewritten with another type (and another modification time): read again.
    await write("SELECT 'text' AS x, 2::BIGINT AS y");
    utimesSync(file, 2_000, 2_000);
    const rewritten = await inferFileSchema(conn, [file], 'parquet', {}, hooks);
    assert.deepEqual(rewritten.columns, [
      { name: 'x', type: 'VARCHAR' },
      { name: 'y', type: 'BIGINT' },
    ]);

    // A failed read is not remembered: the next caller reads (and succeeds).
    const other = join(dir, 'b.parquet');
    await conn.run(`COPY (SELECT 1.5::DOUBLE AS z) TO '${other}' (FORMAT parquet)`);
    await assert.rejects(
      remembered.of([other], async () => {
        throw new Error('read failed');
      }),
      /read failed/,
    );
    const retried = await inferFileSchema(conn, [other], 'parquet', {}, hooks);
    assert.deepEqual(retried.columns, [{ name: 'z', type: 'DOUBLE' }]);
  } finally {
    conn.closeSync();
    db.close();
  }
});

test("the columns of a fused group's files are all still remembered when its first batch is bound", async () => {
  // A streaming aggregation's fused catch-up plans up to FUSE_MAX_BATCHES batches (each reads
  // its files' columns) before it binds the first of them (which asks for them again).
  const dir = tmpDir('parquet-schemas');
  const remembered = new ParquetSchemas();
  const paths = Array.from({ length: FUSE_MAX_BATCHES }, (_, i) => join(dir, `${i}.parquet`));
  for (const p of paths) writeFileSync(p, 'PAR1');
  let reads = 0;
  const read = async () => {
    reads++;
    return { names: ['x'], types: [] };
  };
  for (const p of paths) await remembered.of([p], read);
  assert.equal(reads, FUSE_MAX_BATCHES);
  for (const p of paths) await remembered.of([p], read);
  assert.equal(reads, FUSE_MAX_BATCHES, 'binding reads none of them again');
});

test('files prefetched with the same Parquet schema and metadata are answered from one read; any difference, a rewrite or an unreadable file is read on its own', async () => {
  const dir = tmpDir('parquet-schemas');
  const db = new Database();
  const conn = await db.connect();
  try {
    const path = (n: string) => join(dir, `${n}.parquet`);
    const write = (n: string, select: string, options = '') =>
      conn.run(`COPY (${select}) TO '${path(n)}' (FORMAT parquet${options})`);
    for (const n of ['a', 'b', 'c']) await write(n, `SELECT 1::INTEGER AS x, 'v' AS y`);
    await write('wide', `SELECT 1::BIGINT AS x, 'v' AS y`);
    await write('tagged', `SELECT 1::INTEGER AS x, 'v' AS y`, `, KV_METADATA {origin: 'elsewhere'}`);
    writeFileSync(path('broken'), 'not parquet');
    const remembered = new ParquetSchemas();
    let reads = 0;
    const columnsOf = (n: string) =>
      remembered.of([path(n)], async () => {
        reads++;
        const r = await conn.runAndReadAll(`SELECT * FROM read_parquet(['${path(n)}']) LIMIT 0`);
        return { names: r.columnNames(), types: r.columnTypes() };
      });
    const typesOf = async (n: string) => (await columnsOf(n)).types.map(String);

    // Unreadable among them: the prefetch reads nothing, every file is read on its own.
    await remembered.prefetch(conn, [path('broken'), path('a'), path('b')]);
    await typesOf('a');
    await typesOf('b');
    assert.equal(reads, 2);

    const fresh = new ParquetSchemas();
    reads = 0;
    const freshOf = (n: string) =>
      fresh.of([path(n)], async () => {
        reads++;
        const r = await conn.runAndReadAll(`SELECT * FROM read_parquet(['${path(n)}']) LIMIT 0`);
        return { names: r.columnNames(), types: r.columnTypes() };
      });
    await fresh.prefetch(conn, ['a', 'b', 'c', 'wide', 'tagged'].map(path));
    assert.deepEqual((await freshOf('a')).types.map(String), ['INTEGER', 'VARCHAR']);
    assert.deepEqual((await freshOf('b')).types.map(String), ['INTEGER', 'VARCHAR']);
    assert.deepEqual((await freshOf('c')).types.map(String), ['INTEGER', 'VARCHAR']);
    assert.equal(reads, 1, 'one read for the three files of one schema');
    assert.deepEqual((await freshOf('wide')).types.map(String), ['BIGINT', 'VARCHAR']);
    assert.equal(reads, 2, 'another column type: read');
    await freshOf('tagged');
    assert.equal(reads, 3, 'other key-value metadata: read');

    // Rewritten with another schema after the prefetch: read again, with its new columns.
    await write('c', `SELECT 'text' AS x`);
    utimesSync(path('c'), 5_000, 5_000);
    assert.deepEqual((await freshOf('c')).types.map(String), ['VARCHAR']);
    assert.equal(reads, 4);
  } finally {
    conn.closeSync();
    db.close();
  }
});
