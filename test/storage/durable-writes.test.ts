// Durability of what a commit depends on: data and change-data files are written under a temp
// name, fsynced, published (renamed) and their directories fsynced — all before the commit file
// is linked into place. What a power loss would do cannot be observed here; the order of the
// system calls that make it safe can, by wrapping fs.promises' rename/link and FileHandle.sync.
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { after, mock, test } from 'node:test';
import { writeDataFiles } from '../../src/storage/delta/data-files.ts';
import { dataFilePath } from '../../src/storage/delta/scan.ts';
import { readCommit } from '../../src/storage/delta/snapshot.ts';
import { appendRows, createTable, overwriteRows } from '../../src/storage/delta/table.ts';
import { TEMP_PREFIX } from '../../src/util/durable-file.ts';
import { connect } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());

type Call =
  | { op: 'fsync'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'link'; from: string; to: string };

/** Records rename, link and FileHandle.sync (with the synced file's path) while `work` runs. */
async function recordCalls(work: () => Promise<void>): Promise<Call[]> {
  const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
  const calls: Call[] = [];
  const rename = fsp.rename;
  const link = fsp.link;
  const probe = await fsp.open(import.meta.filename, 'r');
  const handleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = handleProto.sync;
  mock.method(fsp, 'rename', async (from: string, to: string) => {
    calls.push({ op: 'rename', from: String(from), to: String(to) });
    return rename(from, to);
  });
  mock.method(fsp, 'link', async (from: string, to: string) => {
    calls.push({ op: 'link', from: String(from), to: String(to) });
    return link(from, to);
  });
  mock.method(handleProto, 'sync', function (this: { fd: number }) {
    calls.push({ op: 'fsync', path: readlinkSync(`/proc/self/fd/${this.fd}`) });
    return sync.call(this);
  });
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    mock.restoreAll();
    syncBuiltinESMExports();
  }
  return calls;
}

const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'id', type: 'long' as const, nullable: true, metadata: {} },
    { name: 'p', type: 'string' as const, nullable: true, metadata: {} },
  ],
};

test('every data and change-data file a commit names is complete, fsynced and published (directory fsynced) before the commit', async () => {
  const table = join(tmpDir('durable'), 't');
  await createTable(table, {
    schema: SCHEMA,
    partitionColumns: ['p'],
    configuration: { 'delta.enableChangeDataFeed': 'true' },
  });
  await appendRows(conn, table, `SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, p)`);
  const calls = await recordCalls(async () => {
    // An overwrite of a CDF table: data files in two new partition folders plus _change_data files.
    await overwriteRows(conn, table, `SELECT * FROM (VALUES (3, 'c'), (4, 'd'), (5, 'a')) t(id, p)`);
  });
  const actions = await readCommit(table, 2);
  const named = actions.flatMap((a) => ('add' in a ? [a.add.path] : 'cdc' in a ? [a.cdc.path] : []));
  assert.ok(named.length >= 4, `the commit names data and change files: ${named}`);
  const commitAt = calls.findIndex((c) => c.op === 'link' && c.to.endsWith('00000000000000000002.json'));
  assert.ok(commitAt > 0, 'the commit file was linked into place');
  for (const rel of named) {
    const file = dataFilePath(table, rel);
    const published = calls.findIndex((c) => c.op === 'rename' && c.to === file);
    assert.ok(
      published >= 0 && published < commitAt,
      `${rel} was published (renamed into place) before the commit`,
    );
    const from = (calls[published] as { from: string }).from;
    assert.ok(from.split('/').at(-1)!.startsWith(TEMP_PREFIX), `${rel} was written under a temp name`);
    assert.equal(dirname(from), dirname(file), 'the temp file is in the same folder (rename stays atomic)');
    const synced = calls.findIndex((c) => c.op === 'fsync' && (c.path === from || c.path === file));
    assert.ok(synced >= 0 && synced < published, `${rel} was fsynced before it was published`);
    const dirSynced = calls.findIndex(
      (c, i) => i > published && c.op === 'fsync' && c.path === dirname(file),
    );
    assert.ok(dirSynced > 0 && dirSynced < commitAt, `the folder of ${rel} was fsynced before the commit`);
  }
  // New partition folders (p=c, p=d; _change_data/p=…) are fsynced into their parents before the commit.
  const before = calls.slice(0, commitAt);
  assert.ok(
    before.some((c) => c.op === 'fsync' && c.path === table),
    'the table folder (holding p=c, p=d)',
  );
  assert.ok(
    before.some((c) => c.op === 'fsync' && c.path === join(table, '_change_data')),
    'the _change_data folder (holding its new partition folders)',
  );
  // No temp file is left behind.
  const left = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? left(join(d, e.name)) : e.name.startsWith(TEMP_PREFIX) ? [join(d, e.name)] : [],
    );
  assert.deepEqual(left(table), []);
});

test('a data file is never visible under its final name before it is complete', async () => {
  const table = join(tmpDir('durable'), 'big');
  const schema = {
    type: 'struct' as const,
    fields: [
      { name: 'id', type: 'long' as const, nullable: true, metadata: {} },
      { name: 's', type: 'string' as const, nullable: true, metadata: {} },
    ],
  };
  await createTable(table, { schema });
  // Watch the folder while DuckDB writes a file large enough to take a while.
  const seen = new Map<string, Set<number>>();
  let sawTemp = false;
  let writing = true;
  const watch = (async () => {
    while (writing) {
      for (const name of readdirSync(table)) {
        if (name.startsWith(TEMP_PREFIX)) sawTemp = true;
        if (!name.endsWith('.parquet') || name.startsWith(TEMP_PREFIX)) continue;
        try {
          const sizes = seen.get(name) ?? new Set();
          sizes.add(statSync(join(table, name)).size);
          seen.set(name, sizes);
        } catch {
          // gone meanwhile
        }
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  const adds = await writeDataFiles(
    conn,
    table,
    `SELECT i AS id, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) AS s FROM range(600000) t(i)`,
    { schema, partitionColumns: [] },
  );
  writing = false;
  await watch;
  assert.equal(adds.length, 1);
  const [add] = adds;
  for (const [name, sizes] of seen) {
    assert.equal(name, add!.path);
    assert.deepEqual([...sizes], [add!.size], 'the final name only ever shows the complete file');
  }
  assert.ok(sawTemp, 'the file was written under a temp name first');
});

test("a new table's folders are fsynced into their parents before its first commit", async () => {
  const root = tmpDir('durable');
  const table = join(root, 'tables', 'default', 'fresh');
  const calls = await recordCalls(async () => {
    await createTable(table, { schema: SCHEMA });
  });
  const commitAt = calls.findIndex((c) => c.op === 'link' && c.to.endsWith('00000000000000000000.json'));
  assert.ok(commitAt > 0);
  for (const dir of [root, join(root, 'tables'), join(root, 'tables', 'default'), table]) {
    assert.ok(
      calls.slice(0, commitAt).some((c) => c.op === 'fsync' && c.path === dir),
      `${dir} was fsynced (it holds a folder created for the table) before the commit`,
    );
  }
});
