import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

test('files: a malformed line and a wrong-typed value are rescued, an empty file is fine, a new column evolves the table', async () => {
  const dir = tmpDir('src-files');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: files\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw (CONSTRAINT clean EXPECT (_rescued_data IS NULL))
AS SELECT * FROM STREAM read_files('data', format => 'json');`,
    'data/1.json': ndjson([
      { id: 1, amount: 2.5 },
      { id: 2, amount: 4 },
    ]),
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFiles(dir, {
    'data/2.json': '{"id": 3, "amount": "lots"}\n{"id": 4, "amount": 1.0\nthis is not json\n',
    'data/3.json': '',
    'data/4.json': ndjson([{ id: 5, amount: 1, note: 'new column' }]),
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const f = flowsOf(r.stdout).raw;
  assert.equal(f.metrics.num_output_rows, 4, 'three lines of 2.json (one per line) and one of 4.json');
  assert.equal(f.dataQuality.expectations[0].failed_records, 3);
  const rows = await readTable(tableDir(dir, 'raw'), 'id NULLS LAST, _rescued_data');
  assert.equal(rows.length, 6);
  const byId = new Map(rows.filter((x) => x.id !== null).map((x) => [Number(x.id), x]));
  assert.equal(byId.get(3)!.amount, null);
  assert.match(String(byId.get(3)!._rescued_data), /lots/);
  assert.equal(byId.get(5)!.note, 'new column');
  assert.equal(byId.get(1)!.note, null, 'older rows read the new column as NULL');
  assert.ok(rows.some((x) => String(x._rescued_data).includes('this is not json')));
  const snap = await loadSnapshot(tableDir(dir, 'raw'));
  assert.deepEqual(
    snap.schema.fields.map((x) => x.name),
    ['amount', 'id', '_rescued_data', 'note'],
    'inferred JSON columns are sorted by name, as Spark sorts them',
  );
});

test('a streaming read of a table whose rows were replaced fails with STREAMING_SOURCE_NOT_APPEND_ONLY unless skipChangeCommits', async () => {
  const dir = tmpDir('src-append-only');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: appendonly\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw (CONSTRAINT ok EXPECT (id IS NOT NULL)) AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW latest AS SELECT max(id) AS id FROM raw;
CREATE OR REFRESH STREAMING TABLE strict_reader (CONSTRAINT ok EXPECT (id IS NOT NULL)) AS SELECT id FROM STREAM(latest);
CREATE OR REFRESH STREAMING TABLE lenient_reader (CONSTRAINT ok EXPECT (id IS NOT NULL))
TBLPROPERTIES ('skipChangeCommits' = 'true') AS SELECT id FROM STREAM(latest);`,
    'data/1.json': ndjson([{ id: 1 }]),
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFileSync(join(dir, 'data', '2.json'), ndjson([{ id: 2 }]));
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 1);
  const flows = flowsOf(r.stdout);
  assert.equal(flows.strict_reader.error.code, 'STREAMING_SOURCE_NOT_APPEND_ONLY');
  assert.match(r.stderr, /^STREAMING_SOURCE_NOT_APPEND_ONLY: streaming source 'latest'/m);
  assert.equal(flows.lenient_reader.error, undefined);
  assert.equal(flows.lenient_reader.metrics.num_output_rows, 0, 'the overwrite commit is skipped');
  assert.deepEqual(
    (await readTable(tableDir(dir, 'lenient_reader'), 'id')).map((x) => Number(x.id)),
    [1],
  );
});

test('--continuous picks up files as they arrive and stops cleanly on SIGTERM', async () => {
  const dir = tmpDir('src-continuous');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: continuous\nconfiguration:\n  pipelines.trigger.interval: 200 ms\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw (CONSTRAINT ok EXPECT (id IS NOT NULL)) AS SELECT * FROM STREAM read_files('data', format => 'json');`,
    'data/1.json': ndjson([{ id: 1 }]),
  });
  const child = spawn(process.execPath, [join(ROOT, 'bin/sluice.js'), 'run', dir, '--continuous'], {
    stdio: 'pipe',
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 300 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, re);
  };
  await waitFor(/batch 0/);
  writeFileSync(join(dir, 'data', '2.json'), ndjson([{ id: 2 }, { id: 3 }]));
  await waitFor(/batch 1/);
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('close', r));
  assert.equal(code, 0, out);
  assert.match(out, /STOPPING/);
  assert.match(out, /Update \w+ CANCELED/);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'raw'), 'id')).map((x) => Number(x.id)),
    [1, 2, 3],
  );
});
