import assert from 'node:assert/strict';
import { readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** A pipeline that has run once: `raw` holds one file per input file (6 batches). */
async function pipelineWithSmallFiles(): Promise<string> {
  const dir = tmpDir('cli-maintain');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: m\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT id FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');`,
    ...Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`data/${i}.json`, ndjson([{ id: i }])])),
  });
  const run = await runCli(['run'], { cwd: dir });
  assert.equal(run.code, 0, run.stderr);
  return dir;
}

const ids = async (dir: string) => (await readTable(tableDir(dir, 'raw'), 'id')).map((r) => Number(r.id));

test('sluice maintain: --dry-run changes nothing; a real run compacts, keeps the rows, reports per table', async () => {
  const dir = await pipelineWithSmallFiles();
  const raw = tableDir(dir, 'raw');
  const before = await loadSnapshot(raw);
  assert.equal(before.files.length, 6, 'below the automatic threshold: not compacted by the run');

  const dry = await runCli(['maintain', '--dry-run'], { cwd: dir });
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /raw\s+6 → 1\s+6 files → 1/);
  assert.match(dry.stdout, /Dry run: nothing changed/);
  assert.equal((await loadSnapshot(raw)).version, before.version);

  const real = await runCli(['maintain', '--format', 'json', '--table', 'raw'], { cwd: dir });
  assert.equal(real.code, 0, real.stderr);
  const report = JSON.parse(real.stdout) as {
    tables: { table: string; compaction: { filesRemoved: number; filesAdded: number } }[];
    errors: unknown[];
  };
  assert.deepEqual(
    report.tables.map((t) => [t.table, t.compaction.filesRemoved, t.compaction.filesAdded]),
    [['raw', 6, 1]],
  );
  assert.deepEqual(report.errors, []);
  assert.equal((await loadSnapshot(raw)).files.length, 1);
  assert.deepEqual(await ids(dir), [0, 1, 2, 3, 4, 5]);

  // Everything, event log included; then a run goes on as before.
  const all = await runCli(['maintain'], { cwd: dir });
  assert.equal(all.code, 0, all.stderr);
  assert.match(all.stdout, /event_log/);
  writeFiles(dir, { 'data/6.json': ndjson([{ id: 6 }]) });
  assert.equal((await runCli(['run'], { cwd: dir })).code, 0);
  assert.deepEqual(await ids(dir), [0, 1, 2, 3, 4, 5, 6]);
});

test('sluice maintain refuses while an update holds the lock, and names unknown tables', async () => {
  const dir = await pipelineWithSmallFiles();
  const lock = join(dir, '.sluice', 'lock.json');
  writeFileSync(
    lock,
    JSON.stringify({
      pid: process.pid,
      host: hostname(),
      updateId: 'u-live',
      startedAt: new Date().toISOString(),
    }),
  );
  const held = await runCli(['maintain'], { cwd: dir });
  assert.equal(held.code, 1);
  assert.match(held.stderr, /PIPELINE_ALREADY_RUNNING/);
  // A dry run reads only: it takes no lock.
  assert.equal((await runCli(['maintain', '--dry-run'], { cwd: dir })).code, 0);

  const unknown = await runCli(['maintain', '--dry-run', '--table', 'nope'], { cwd: dir });
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /DATASET_NOT_DEFINED/);
  const usage = await runCli(['maintain', '--retain', '0'], { cwd: dir });
  assert.equal(usage.code, 2);
});

test('sluice maintain killed right before and right after its compaction commits: the table reads the same rows', async () => {
  const dir = await pipelineWithSmallFiles();
  const raw = tableDir(dir, 'raw');
  const before = await loadSnapshot(raw);
  const killedBefore = await runCli(['maintain'], {
    cwd: dir,
    env: { SLUICE_CRASH_AT: 'before-commit:maintenance' },
  });
  assert.equal(killedBefore.signal, 'SIGKILL');
  assert.equal((await loadSnapshot(raw)).version, before.version, 'nothing committed');
  assert.deepEqual(await ids(dir), [0, 1, 2, 3, 4, 5]);
  const parquet = () => readdirSync(raw).filter((n) => n.endsWith('.parquet'));
  assert.equal(parquet().length, 7, 'the compacted file is an orphan (left for vacuum)');

  const killedAfter = await runCli(['maintain'], {
    cwd: dir,
    env: { SLUICE_CRASH_AT: 'after-commit:maintenance' },
  });
  assert.equal(killedAfter.signal, 'SIGKILL');
  assert.equal((await loadSnapshot(raw)).files.length, 1);
  assert.deepEqual(await ids(dir), [0, 1, 2, 3, 4, 5]);

  // The dead process's lock is taken over; the pipeline runs on.
  const again = await runCli(['maintain'], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  writeFiles(dir, { 'data/6.json': ndjson([{ id: 6 }]) });
  assert.equal((await runCli(['run'], { cwd: dir })).code, 0);
  assert.deepEqual(await ids(dir), [0, 1, 2, 3, 4, 5, 6]);
});
