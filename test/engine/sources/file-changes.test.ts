import assert from 'node:assert/strict';
import { appendFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

function pipeline(options: string): string {
  const dir = tmpDir('file-changes');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: changes\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw (CONSTRAINT ok EXPECT (id IS NOT NULL))
AS SELECT * FROM STREAM read_files('data', format => 'json'${options});`,
  });
  return dir;
}

async function run(dir: string) {
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).flows[0];
}

/** Appends rows to a file and moves its modification time on, as a writer appending later would. */
function append(file: string, records: Record<string, unknown>[], at: number): void {
  appendFileSync(file, ndjson(records));
  utimesSync(file, at, at);
}

const ids = async (dir: string) => (await readTable(tableDir(dir, 'raw'), 'id')).map((x) => Number(x.id));

test('a file that changed after it was read is a SOURCE_FILE_CHANGED warning naming it, once per update; its rows are not read again', async () => {
  const dir = pipeline('');
  writeFiles(dir, { 'data/a.json': ndjson([{ id: 1 }, { id: 2 }]), 'data/b.json': ndjson([{ id: 3 }]) });
  assert.equal((await run(dir)).metrics.num_output_rows, 3);
  append(join(dir, 'data/a.json'), [{ id: 4 }], Date.now() / 1000 + 60);
  writeFiles(dir, { 'data/c.json': ndjson([{ id: 5 }]) });
  const flow = await run(dir);
  assert.equal(flow.metrics.num_output_rows, 1, 'only the new file');
  assert.deepEqual(
    flow.warnings.map((w: { code: string }) => w.code),
    ['SOURCE_FILE_CHANGED'],
  );
  assert.match(
    flow.warnings[0].message,
    /^source file data\/a\.json of read_files\('data'\) changed after it was read \(18 → 27 bytes/,
  );
  assert.match(flow.warnings[0].message, /allowOverwrites/);
  assert.deepEqual(await ids(dir), [1, 2, 3, 5]);
  const again = await run(dir);
  assert.equal(again.warnings.length, 1, 'each update says it again');

  const text = await runCli(['run', dir]);
  assert.match(text.stdout + text.stderr, /warning SOURCE_FILE_CHANGED: source file data\/a\.json/);
});

test('allowOverwrites (or cloudFiles.allowOverwrites) reads a changed file again in full, as a new batch', async () => {
  const dir = pipeline(", `cloudFiles.allowOverwrites` => 'true'");
  writeFiles(dir, { 'data/a.json': ndjson([{ id: 1 }, { id: 2 }]) });
  assert.equal((await run(dir)).metrics.num_output_rows, 2);
  append(join(dir, 'data/a.json'), [{ id: 3 }], Date.now() / 1000 + 60);
  const flow = await run(dir);
  assert.equal(flow.metrics.num_output_rows, 3, 'the whole file again');
  assert.equal(flow.warnings, undefined);
  assert.deepEqual(await ids(dir), [1, 1, 2, 2, 3]);
  assert.equal((await run(dir)).metrics.num_output_rows, 0, 'unchanged since: not read again');
});

test('minFileAge leaves files modified more recently than that for a later update', async () => {
  const dir = pipeline(", minFileAge => '1 hour'");
  writeFiles(dir, { 'data/old.json': ndjson([{ id: 1 }]), 'data/young.json': ndjson([{ id: 2 }]) });
  const twoHoursAgo = Date.now() / 1000 - 7200;
  utimesSync(join(dir, 'data/old.json'), twoHoursAgo, twoHoursAgo);
  assert.equal((await run(dir)).metrics.num_output_rows, 1);
  assert.deepEqual(await ids(dir), [1]);
  utimesSync(join(dir, 'data/young.json'), twoHoursAgo, twoHoursAgo);
  assert.equal((await run(dir)).metrics.num_output_rows, 1);
  assert.deepEqual(await ids(dir), [1, 2]);
});
