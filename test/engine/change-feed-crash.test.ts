import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import type { StructType } from '../../src/storage/delta/schema.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { killedRun, runCli } from '../helpers/cli.ts';
import { chdbChangeRows, sluiceRows } from '../helpers/delta-compare.ts';
import { ndjson, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { connect } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const RANDOM_TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 8);

// The AUTO CDC target changes in every batch (one file per batch, deletion vectors), and its
// change data feed is read by a streaming table (every change from version 0) and by an AUTO CDC
// flow that applies the feed to a copy of the table.
const SQL = `CREATE STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json',
  maxFilesPerTrigger => '1', schemaHints => 'id INT, name STRING, seq BIGINT, op STRING');
CREATE STREAMING TABLE current_rows TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', 'delta.enableDeletionVectors' = 'true');
CREATE FLOW scd1 AS AUTO CDC INTO current_rows FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE feed AS SELECT id, name, seq, _change_type, _commit_version
  FROM STREAM(current_rows) WITH ('readChangeFeed' = 'true', 'startingVersion' = '0');
CREATE STREAMING TABLE replica;
CREATE FLOW replicate AS AUTO CDC INTO replica
  FROM (SELECT * FROM STREAM(current_rows) WITH ('readChangeFeed' = 'true', 'startingVersion' = '0') WHERE _change_type <> 'update_preimage')
  KEYS (id) APPLY AS DELETE WHEN _change_type = 'delete' SEQUENCE BY _commit_version COLUMNS id, name, seq;
`;

/** The pipeline, and the event files of `stage` (0: files 0–1, 1: files 2–3, 2: file 4). */
function writeStage(dir: string, stage: number): void {
  const files: Record<string, string> = {
    'spark-pipeline.yml': 'name: cdf_torture\n',
    'transformations/p.sql': SQL,
  };
  for (const f of [[0, 1], [2, 3], [4]][stage]!) {
    const rows = Array.from({ length: 30 }, (_, i) => {
      const seq = i * 5 + f + 1;
      const id = (seq * 7 + i) % 17;
      return { id, name: ['a', 'b', 'c'][(seq + f) % 3], seq, op: seq % 7 === 0 ? 'D' : 'U' };
    });
    files[`data/part-${f}.json`] = ndjson(rows);
  }
  writeFiles(dir, files);
}

const field = (name: string, type: 'integer' | 'string' | 'long') => ({
  name,
  type,
  nullable: true,
  metadata: {},
});
const ROW: StructType = {
  type: 'struct',
  fields: [field('id', 'integer'), field('name', 'string'), field('seq', 'long')],
};
const CHANGES: StructType = {
  type: 'struct',
  fields: [...ROW.fields, field('_change_type', 'string'), field('_commit_version', 'long')],
};

async function rows(path: string, schema: StructType): Promise<string[]> {
  const conn = await connect();
  try {
    return await sluiceRows(conn, snapshotScanSql(await loadSnapshot(path)), schema);
  } finally {
    conn.closeSync();
  }
}

async function capture(dir: string): Promise<{ feed: string[]; replica: string[]; current: string[] }> {
  return {
    feed: await rows(tableDir(dir, 'feed'), CHANGES),
    replica: await rows(tableDir(dir, 'replica'), ROW),
    current: await rows(tableDir(dir, 'current_rows'), ROW),
  };
}

test('change data feed streams killed at every commit point and at random moments read each change exactly once', {
  timeout: 600_000,
}, async () => {
  const refDir = tmpDir('cdf-crash-ref');
  let refMs = 0;
  for (const stage of [0, 1, 2]) {
    writeStage(refDir, stage);
    const started = Date.now();
    const ref = await runCli(['run', refDir]);
    if (stage === 1) refMs = Date.now() - started;
    assert.equal(ref.code, 0, ref.stderr);
  }
  const expected = await capture(refDir);
  // The feed is the table's whole change data feed as chdb reads it, and the replica is the table.
  assert.deepEqual(expected.feed, chdbChangeRows(tableDir(refDir, 'current_rows'), 0, CHANGES));
  assert.deepEqual(expected.replica, expected.current);
  assert.ok(
    expected.feed.some((r) => r.includes('"update_postimage"')) &&
      expected.feed.some((r) => r.includes('"delete"')),
  );

  const trials: { crashAt?: string; afterMs?: number }[] = [];
  for (const flow of ['feed', 'replicate'])
    for (const point of ['offset-written', 'before-commit', 'after-commit'])
      trials.push({ crashAt: `${point}:${flow}` });
  trials.push({ crashAt: 'cdc-between-commits:replicate' }, { crashAt: 'before-commit:scd1' });
  for (let i = 0; i < RANDOM_TRIALS; i++) trials.push({ afterMs: 150 + Math.floor(Math.random() * refMs) });

  const trial = async (i: number) => {
    const t = trials[i]!;
    const dir = tmpDir(`cdf-crash-${i}`);
    const what = t.crashAt ?? `killed after ${t.afterMs} ms`;
    // The second update (whose upstream commits update and delete rows) is killed, then recovered.
    writeStage(dir, 0);
    assert.equal((await runCli(['run', dir])).code, 0);
    writeStage(dir, 1);
    const signal = await killedRun(dir, t);
    if (t.crashAt) assert.equal(signal, 'SIGKILL', `trial ${i}: ${t.crashAt} was not reached`);
    for (const stage of [1, 2]) {
      writeStage(dir, stage);
      const r = await runCli(['run', dir]);
      assert.equal(r.code, 0, `trial ${i} (${what}): ${r.stderr}`);
    }
    const got = await capture(dir);
    assert.deepEqual(
      got.feed,
      chdbChangeRows(tableDir(dir, 'current_rows'), 0, CHANGES),
      `trial ${i} (${what}) feed vs chdb`,
    );
    assert.deepEqual(got, expected, `trial ${i} (${what})`);
  };
  for (let i = 0; i < trials.length; i += 2)
    await Promise.all([trial(i), ...(i + 1 < trials.length ? [trial(i + 1)] : [])]);
});
