import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/** 20 MiB: longer than the default maxRecordSize (16 MiB) and than DuckDB's read buffer. */
const BIG = 20 * 1024 * 1024;

const csvRows = (n: number) => Array.from({ length: n }, (_, i) => `${i},x`).join('\n');
const jsonRows = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, v: 'x' })).join('\n');

function pipeline(files: Record<string, string | Buffer>, options = ''): string {
  const dir = tmpDir('file-records');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: records\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE c (CONSTRAINT ok EXPECT (id IS NOT NULL))
AS SELECT * FROM STREAM read_files('csv', format => 'csv', header => 'true'${options});
CREATE OR REFRESH STREAMING TABLE j (CONSTRAINT ok EXPECT (id IS NOT NULL))
AS SELECT * FROM STREAM read_files('json', format => 'json'${options});`,
  });
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

test('a line longer than maxRecordSize ending a CSV or JSON file is SOURCE_RECORD_TOO_LARGE naming file:line and the option (never dropped); raising the option reads it', {
  timeout: 120_000,
}, async () => {
  const files = {
    'csv/a.csv': `id,v\n${csvRows(500)}\n500,${'y'.repeat(BIG)}\n`,
    'json/a.json': `${jsonRows(500)}\n${JSON.stringify({ id: 500, v: 'y'.repeat(BIG) })}\n`,
  };
  const dir = pipeline(files);
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 1, r.stdout);
  const flows = flowsOf(r.stdout);
  assert.equal(flows.c.error.code, 'SOURCE_RECORD_TOO_LARGE');
  assert.equal(flows.j.error.code, 'SOURCE_RECORD_TOO_LARGE');
  assert.match(flows.c.error.message, /^csv\/a\.csv:502: .*maxRecordSize => '32m'/);
  assert.match(flows.j.error.message, /^json\/a\.json:501: .*maxRecordSize/);
  assert.equal(flows.c.metrics.num_output_rows, 0, 'nothing of the batch is committed');

  const raised = pipeline(files, ", maxRecordSize => '32m'");
  // Two flows reading 20 MiB records at once can pass the default 600 MB DuckDB limit (then a
  // clear OUT_OF_MEMORY): this run is about reading them whole, so it gets more room.
  const ok = await runCli(['run', raised, '--format', 'json'], { env: { SLUICE_MEMORY_LIMIT: '2GB' } });
  assert.equal(ok.code, 0, ok.stderr);
  const done = flowsOf(ok.stdout);
  assert.equal(done.c.metrics.num_output_rows, 501);
  assert.equal(done.j.metrics.num_output_rows, 501);
  const rows = await readTable(tableDir(raised, 'c'), 'id');
  assert.equal(String(rows.at(-1)!.v).length, BIG, 'the long value is read whole');
});

test('a too-long line in the middle of a file, or in a gzip file, is SOURCE_RECORD_TOO_LARGE naming file:line (not DuckDB’s parallel reader text)', {
  timeout: 120_000,
}, async () => {
  const dir = pipeline({
    'csv/m.csv': `id,v\n${csvRows(10)}\n10,${'y'.repeat(BIG)}\n11,z\n`,
    'json/z.json.gz': gzipSync(`${jsonRows(10)}\n${JSON.stringify({ id: 10, v: 'y'.repeat(BIG) })}\n`),
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 1, r.stdout);
  const flows = flowsOf(r.stdout);
  assert.equal(flows.c.error.code, 'SOURCE_RECORD_TOO_LARGE', flows.c.error.message);
  assert.match(flows.c.error.message, /^csv\/m\.csv:12: /);
  assert.equal(flows.j.error.code, 'SOURCE_RECORD_TOO_LARGE', flows.j.error.message);
  assert.match(flows.j.error.message, /^json\/z\.json\.gz:11: .*maxRecordSize/);
  assert.doesNotMatch(r.stderr, /Parallel CSV Reader/);
});
