import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * `cloud_files(path, format[, map(…)])`, the legacy Auto Loader table function, end to end: a
 * stream with or without STREAM, Auto Loader's defaults (JSON and CSV columns STRING unless
 * cloudFiles.inferColumnTypes; CSV headers; a _rescued_data column) and its options.
 */

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

async function run(dir: string) {
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return flowsOf(r.stdout);
}

async function columnTypes(path: string): Promise<Record<string, string>> {
  const { loadSnapshot } = await import('../../../src/storage/delta/snapshot.ts');
  const snap = await loadSnapshot(path);
  return Object.fromEntries(snap.schema.fields.map((f) => [f.name, JSON.stringify(f.type)]));
}

test('cloud_files: a stream without STREAM; JSON and CSV columns are STRING by default, typed with cloudFiles.inferColumnTypes; CSV has headers', async () => {
  const dir = tmpDir('cloud-files');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: cf\n',
    'data/j/1.json':
      '{"zeta": 1, "alpha": {"x": 2.5}, "flag": true}\n{"zeta": 3, "alpha": {"x": 1}, "flag": false}\n',
    'data/c/1.csv': 'id,amount\n1,1.5\n2,2.5\n',
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE raw_j AS SELECT * FROM cloud_files('data/j', 'json');
CREATE OR REFRESH STREAMING TABLE typed_j AS SELECT * FROM STREAM(cloud_files('data/j', 'json', map("cloudFiles.inferColumnTypes", "true")));
CREATE OR REFRESH STREAMING TABLE raw_c AS SELECT * FROM STREAM cloud_files('data/c', 'csv');
CREATE OR REFRESH STREAMING TABLE typed_c AS SELECT * FROM cloud_files('data/c', 'csv', map('cloudFiles.inferColumnTypes', 'true', 'header', 'true'));
`,
  });
  const flows = await run(dir);
  assert.equal(flows.raw_j.metrics.num_output_rows, 2);

  // Auto Loader's default: every column a STRING, nested objects as their JSON text; sorted like Spark.
  const rawJ = await readTable(tableDir(dir, 'raw_j'), 'zeta');
  assert.deepEqual(Object.keys(rawJ[0]!), ['alpha', 'flag', 'zeta', '_rescued_data']);
  assert.deepEqual(
    rawJ.map((r) => [r.alpha, r.flag, r.zeta]),
    [
      ['{"x":2.5}', 'true', '1'],
      ['{"x":1}', 'false', '3'],
    ],
  );
  const typedJ = await readTable(tableDir(dir, 'typed_j'), 'zeta');
  assert.deepEqual(
    typedJ.map((r) => [r.alpha, r.flag, Number(r.zeta)]),
    [
      [{ x: 2.5 }, true, 1],
      [{ x: 1 }, false, 3],
    ],
  );
  const jt = await columnTypes(tableDir(dir, 'typed_j'));
  assert.equal(jt.zeta, '"long"');
  assert.equal(jt.flag, '"boolean"');

  // CSV: the first line is the header when the schema is inferred (Auto Loader's default).
  const rawC = await readTable(tableDir(dir, 'raw_c'), 'id');
  assert.deepEqual(
    rawC.map((r) => [r.id, r.amount]),
    [
      ['1', '1.5'],
      ['2', '2.5'],
    ],
  );
  const ct = await columnTypes(tableDir(dir, 'typed_c'));
  assert.deepEqual([ct.id, ct.amount], ['"integer"', '"double"']);
});

test('cloud_files options: maxFilesPerTrigger splits batches, schemaHints set types, a materialized view cannot read it, avro is UNSUPPORTED_FILE_FORMAT', async () => {
  const dir = tmpDir('cloud-files-opts');
  const files: Record<string, string> = {};
  // A numeric string reads into DECIMAL; into INT only a JSON integer does (Spark's JSON reader).
  for (let i = 0; i < 5; i++) files[`data/${i}.json`] = `{"n": ${i}, "price": "${i}.25"}\n`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: cf2\n',
    ...files,
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE t AS SELECT * FROM cloud_files('data', 'json',
  map('cloudFiles.maxFilesPerTrigger', '2', 'cloudFiles.schemaHints', 'n INT, price DECIMAL(10,2)'));
`,
  });
  const flows = await run(dir);
  assert.equal(flows.t.metrics.num_output_rows, 5);
  assert.equal(flows.t.metrics.num_batches, 3, 'five files, two per batch');
  const types = await columnTypes(tableDir(dir, 't'));
  assert.deepEqual([types.n, types.price], ['"integer"', '"decimal(10,2)"']);
  const rows = await readTable(tableDir(dir, 't'), 'n');
  assert.deepEqual(
    rows.map((r) => [r.n, String(r.price), r._rescued_data]),
    [0, 1, 2, 3, 4].map((i) => [i, `${i}.25`, null]),
  );

  const mv = tmpDir('cloud-files-mv');
  writeFiles(mv, {
    'spark-pipeline.yml': 'name: cf3\n',
    'data/1.json': '{"a": 1}\n',
    'transformations/p.sql': `
CREATE MATERIALIZED VIEW v AS SELECT * FROM cloud_files('data', 'json');
CREATE OR REFRESH STREAMING TABLE x AS SELECT * FROM cloud_files('data', 'avro');
`,
  });
  const v = await runCli(['validate', mv, '--format', 'json']);
  assert.equal(v.code, 1);
  const errors = JSON.parse(v.stdout).errors as { code: string; dataset?: string }[];
  const byDataset = (d: string) => errors.filter((e) => e.dataset === d).map((e) => e.code);
  assert.ok(
    byDataset('v').includes('INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW'),
    JSON.stringify(errors),
  );
  assert.ok(byDataset('x').includes('UNSUPPORTED_FILE_FORMAT'), JSON.stringify(errors));
});
