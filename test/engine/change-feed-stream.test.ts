import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPipeline, type UpdateResult, validatePipeline } from '../../src/index.ts';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import type { StructType } from '../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { chdbChangeRows, chdbRows, sluiceRows } from '../helpers/delta-compare.ts';
import { ndjson, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { connect } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SPEC = 'name: cdf\nlibraries:\n  - glob:\n      include: transformations/**\n';
const EVENTS = `CREATE STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json',
  schemaHints => 'id INT, name STRING, seq BIGINT, op STRING');
`;

async function run(dir: string): Promise<UpdateResult> {
  const outcome = await runPipeline(dir, {});
  assert.equal(outcome.kind, 'ran', JSON.stringify(outcome));
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  const failed = outcome.result.flows.filter((f) => f.state === 'FAILED');
  assert.deepEqual(
    failed.map((f) => `${f.flow}: ${f.error?.code} ${f.error?.message}`),
    [],
  );
  return outcome.result;
}

const field = (name: string, type: 'integer' | 'string' | 'long') => ({
  name,
  type,
  nullable: true,
  metadata: {},
});
/** The compared columns: the table's, then the change columns chdb reads. */
const TABLE: StructType = {
  type: 'struct',
  fields: [field('id', 'integer'), field('name', 'string'), field('seq', 'long')],
};
const CHANGES: StructType = {
  type: 'struct',
  fields: [...TABLE.fields, field('_change_type', 'string'), field('_commit_version', 'long')],
};

async function rowsOf(path: string, schema: StructType, where = 'true'): Promise<string[]> {
  const conn = await connect();
  try {
    return await sluiceRows(
      conn,
      `SELECT * FROM (${snapshotScanSql(await loadSnapshot(path))}) WHERE ${where}`,
      schema,
    );
  } finally {
    conn.closeSync();
  }
}

/** Three batches of change events: inserts only; updates, a delete and an insert; a late update, more. */
const BATCHES = [
  [1, 2, 3, 4].map((id) => ({ id, name: `v${id}`, seq: id, op: 'U' })),
  [
    { id: 2, name: 'two', seq: 10, op: 'U' },
    { id: 3, name: null, seq: 11, op: 'D' },
    { id: 5, name: 'v5', seq: 12, op: 'U' },
  ],
  [
    { id: 2, name: 'stale', seq: 5, op: 'U' },
    { id: 4, name: 'four', seq: 20, op: 'U' },
    { id: 1, name: null, seq: 21, op: 'D' },
  ],
];

for (const vectors of [false, true]) {
  test(`a streaming table reads a CDC target's change data feed batch by batch, as chdb reads the feed (${vectors ? 'deletion vectors' : 'copy-on-write'})`, async () => {
    const dir = tmpDir('cdf-stream');
    const props = `'delta.enableChangeDataFeed' = 'true'${vectors ? ", 'delta.enableDeletionVectors' = 'true'" : ''}`;
    writeFiles(dir, {
      'spark-pipeline.yml': SPEC,
      'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE customers TBLPROPERTIES (${props});
CREATE FLOW customers_cdc AS AUTO CDC INTO customers FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE feed_all AS SELECT * FROM STREAM(customers) WITH ('readChangeFeed' = 'true', 'startingVersion' = 0);
CREATE STREAMING TABLE feed_new AS SELECT id, name, seq, _change_type, _commit_version, _commit_timestamp
  FROM STREAM customers WITH (readChangeFeed = true) AS c;
CREATE STREAMING TABLE feed_latest AS SELECT * FROM STREAM(customers) WITH ('readChangeFeed' = 'true', 'startingVersion' = 'latest');
CREATE STREAMING TABLE feed_future AS SELECT * FROM STREAM(customers) WITH ('readChangeFeed' = 'true', 'startingVersion' = 1000);
`,
      'transformations/feed.ts': `import { sql, stream, table } from 'sluice';
table({ name: 'feed_ts' }, sql\`SELECT * FROM \${stream('customers', { readChangeFeed: true, startingVersion: 0 })}\`);
`,
    });
    const customers = tableDir(dir, 'customers');
    let started: number | undefined;
    for (const [i, batch] of BATCHES.entries()) {
      writeFiles(dir, { [`data/${i}.json`]: ndjson(batch) });
      await run(dir);
      const latest = (await loadSnapshot(customers)).version;
      started ??= latest;
      // From version 0: every change the table's log holds, each once.
      assert.deepEqual(
        await rowsOf(tableDir(dir, 'feed_all'), CHANGES),
        chdbChangeRows(customers, 0, CHANGES),
        `run ${i}`,
      );
      assert.deepEqual(
        await rowsOf(tableDir(dir, 'feed_ts'), CHANGES),
        await rowsOf(tableDir(dir, 'feed_all'), CHANGES),
      );
      // Without a starting version: the table as of the first batch, as inserts, then the changes after it.
      const first = chdbRows(customers, started, TABLE).map((r) =>
        JSON.stringify([...JSON.parse(r), 'insert', String(started)]),
      );
      assert.deepEqual(
        await rowsOf(tableDir(dir, 'feed_new'), CHANGES, `_commit_version = ${started}`),
        first.sort(),
        `run ${i} (snapshot)`,
      );
      assert.deepEqual(
        await rowsOf(tableDir(dir, 'feed_new'), CHANGES, `_commit_version > ${started}`),
        latest > started ? chdbChangeRows(customers, started + 1, CHANGES) : [],
        `run ${i} (changes)`,
      );
      // From 'latest': only the changes after the stream's first batch; from a version not reached yet: nothing.
      assert.deepEqual(
        await rowsOf(tableDir(dir, 'feed_latest'), CHANGES),
        latest > started ? chdbChangeRows(customers, started + 1, CHANGES) : [],
        `run ${i} (latest)`,
      );
      assert.deepEqual(await rowsOf(tableDir(dir, 'feed_future'), CHANGES), [], `run ${i} (future)`);
    }
    const kinds = await rowsOf(tableDir(dir, 'feed_all'), {
      type: 'struct',
      fields: [field('_change_type', 'string')],
    });
    assert.deepEqual([...new Set(kinds.map((k) => JSON.parse(k)[0]))].sort(), [
      'delete',
      'insert',
      'update_postimage',
      'update_preimage',
    ]);
    // A run with nothing new reads nothing again.
    const before = await rowsOf(tableDir(dir, 'feed_all'), CHANGES);
    await run(dir);
    assert.deepEqual(await rowsOf(tableDir(dir, 'feed_all'), CHANGES), before);
  });
}

test('readChangeFeed of a table without the change data feed, unknown options and misplaced ones are refused at validate', async () => {
  const dir = tmpDir('cdf-refused');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE plain;
APPLY CHANGES INTO plain FROM STREAM(events) KEYS (id) SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE a AS SELECT * FROM STREAM(plain) WITH ('readChangeFeed' = 'true');
CREATE STREAMING TABLE b AS SELECT * FROM STREAM(events) WITH ('maxFilesPerTrigger' = '1');
CREATE STREAMING TABLE c AS SELECT * FROM STREAM(events) WITH ('startingVersion' = '1');
CREATE STREAMING TABLE d AS SELECT * FROM STREAM(events) WITH ('readChangeFeed' = 'true', 'startingVersion' = '-1');
CREATE MATERIALIZED VIEW e AS SELECT * FROM table_changes('plain', 1);
CREATE TEMPORARY VIEW v AS SELECT * FROM events;
CREATE MATERIALIZED VIEW f AS SELECT * FROM table_changes('v', 0, 2);
CREATE MATERIALIZED VIEW g AS SELECT * FROM table_changes('plain', '2024-01-01');
`,
  });
  const v = await validatePipeline(dir);
  const errors = v.errors.map((e) => [e.dataset, e.code]).sort();
  assert.deepEqual(errors, [
    ['a', 'DELTA_CDF_NOT_ENABLED'],
    ['b', 'STREAM_READ_OPTION_UNSUPPORTED'],
    ['c', 'STREAM_READ_OPTION_UNSUPPORTED'],
    ['d', 'DELTA_CDF_NOT_ENABLED'],
    ['d', 'STREAM_READ_OPTION_UNSUPPORTED'],
    ['e', 'DELTA_CDF_NOT_ENABLED'],
    ['f', 'STREAM_READ_OPTION_UNSUPPORTED'],
    ['g', 'UNSUPPORTED_SQL_SYNTAX'],
  ]);
  const a = v.errors.find((e) => e.dataset === 'a')!;
  assert.deepEqual(a.params, { table: 'plain', property: 'delta.enableChangeDataFeed' });
  assert.match(a.message, /'delta\.enableChangeDataFeed' = 'true'/);
});

test('a plain streaming read of a CDC target still fails with STREAMING_SOURCE_NOT_APPEND_ONLY; skipChangeCommits on the read skips its change commits', async () => {
  const dir = tmpDir('cdf-plain');
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/cdc.sql': `${EVENTS}
CREATE STREAMING TABLE t TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true');
APPLY CHANGES INTO t FROM STREAM(events) KEYS (id) APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE plain AS SELECT * FROM STREAM(t);
CREATE STREAMING TABLE skipping AS SELECT * FROM STREAM(t) WITH ('skipChangeCommits' = 'true');
`,
    'data/0.json': ndjson(BATCHES[0]!),
  });
  await run(dir);
  writeFiles(dir, { 'data/1.json': ndjson(BATCHES[1]!) });
  const outcome = await runPipeline(dir, {});
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') return;
  const state = (f: string) => outcome.result.flows.find((x) => x.flow === f);
  assert.equal(state('plain')?.error?.code, 'STREAMING_SOURCE_NOT_APPEND_ONLY');
  assert.equal(state('skipping')?.state, 'COMPLETED');
  // Only the first batch's inserts: the update/delete commit was skipped whole.
  const skipped = await rowsOf(tableDir(dir, 'skipping'), TABLE);
  assert.equal(skipped.length, 4);
  assert.deepEqual(skipped, await rowsOf(tableDir(dir, 'plain'), TABLE));
});
