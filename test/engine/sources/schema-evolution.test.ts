import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * Auto Loader's schemaEvolutionMode (addNewColumns, rescue, failOnNewColumns, none), schemaHints
 * and rescuedDataColumn, end to end over two updates: the second brings a file with a new column.
 */

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

function table(name: string, options: string): string {
  return `CREATE OR REFRESH STREAMING TABLE ${name} AS SELECT * FROM STREAM read_files('data', format => 'json'${options});\n`;
}

test('schemaEvolutionMode: addNewColumns adds the column, rescue keeps the schema and rescues it, none ignores it (no rescued data column unless named), failOnNewColumns fails naming it', async () => {
  const dir = tmpDir('evolution');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: evo\n',
    'data/1.json': '{"id": 1, "a": "x"}\n',
    'transformations/p.sql':
      table('added', '') +
      table('rescued', ", schemaEvolutionMode => 'rescue'") +
      table('ignored', ", schemaEvolutionMode => 'none'") +
      table('named', ", schemaEvolutionMode => 'none', rescuedDataColumn => 'leftovers'") +
      table('strict', ", schemaEvolutionMode => 'failOnNewColumns'"),
  });
  const first = await runCli(['run', dir, '--format', 'json']);
  assert.equal(first.code, 0, first.stdout);

  writeFiles(dir, { 'data/2.json': '{"id": 2, "a": "y", "b": 7, "c": true}\n' });
  const second = await runCli(['run', dir, '--format', 'json']);
  assert.equal(second.code, 1, 'the strict flow fails the update');
  const flows = flowsOf(second.stdout);
  assert.equal(flows.strict.error.code, 'SOURCE_SCHEMA_NEW_COLUMNS');
  assert.match(flows.strict.error.message, /'b', 'c'/);
  for (const ok of ['added', 'rescued', 'ignored', 'named']) assert.equal(flows[ok].state, 'COMPLETED', ok);

  const added = await readTable(tableDir(dir, 'added'), 'id');
  assert.deepEqual(
    added.map((r) => [Number(r.id), r.a, r.b === null ? null : Number(r.b), r.c, r._rescued_data]),
    [
      [1, 'x', null, null, null],
      [2, 'y', 7, true, null],
    ],
  );
  const rescued = await readTable(tableDir(dir, 'rescued'), 'id');
  assert.deepEqual(Object.keys(rescued[0]!), ['a', 'id', '_rescued_data']);
  assert.deepEqual(
    rescued.map((r) => [Number(r.id), r._rescued_data === null ? null : JSON.parse(String(r._rescued_data))]),
    [
      [1, null],
      [2, { b: 7, c: true }],
    ],
  );
  // none: no rescued data column at all unless rescuedDataColumn names one (Auto Loader's rule).
  const ignored = await readTable(tableDir(dir, 'ignored'), 'id');
  assert.deepEqual(
    ignored.map((r) => Object.values(r)),
    [
      ['x', '1'],
      ['y', '2'],
    ],
  );
  const named = await readTable(tableDir(dir, 'named'), 'id');
  assert.deepEqual(Object.keys(named[0]!), ['a', 'id', 'leftovers']);
  assert.deepEqual(JSON.parse(String(named[1]!.leftovers)), { b: 7, c: true });

  // Removing the offending file lets the strict flow go on.
  const { rmSync } = await import('node:fs');
  rmSync(`${dir}/data/2.json`);
  const third = await runCli(['run', dir, '--format', 'json']);
  assert.equal(third.code, 0, third.stdout);
});

test('schemaHints override inferred types (and add hinted columns); an explicit schema has no _rescued_data unless rescuedDataColumn names one; addNewColumns with a schema is refused', async () => {
  const dir = tmpDir('hints');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: hints\n',
    'data/1.json': '{"id": 1, "price": 2.5, "code": 7}\n{"id": 2, "price": 3, "code": 8}\n',
    'transformations/p.sql':
      table('hinted', ", schemaHints => 'price DECIMAL(10,2), code INT, extra STRING'") +
      table('declared', ", schema => 'id BIGINT, price DOUBLE'") +
      table('declared_rescue', ", schema => 'id BIGINT, price BIGINT', rescuedDataColumn => '_rescue'"),
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stdout);
  const hinted = await readTable(tableDir(dir, 'hinted'), 'id');
  assert.deepEqual(Object.keys(hinted[0]!), ['code', 'id', 'price', 'extra', '_rescued_data']);
  assert.deepEqual(
    hinted.map((r) => [r.code, String(r.price), r.extra, r._rescued_data]),
    [
      [7, '2.50', null, null],
      [8, '3.00', null, null],
    ],
  );
  const declared = await readTable(tableDir(dir, 'declared'), 'id');
  assert.deepEqual(Object.keys(declared[0]!), ['id', 'price']);
  const rescue = await readTable(tableDir(dir, 'declared_rescue'), 'id');
  assert.deepEqual(Object.keys(rescue[0]!), ['id', 'price', '_rescue']);
  assert.deepEqual(
    rescue.map((x) => [
      x.price === null ? null : Number(x.price),
      x._rescue === null ? null : JSON.parse(String(x._rescue)),
    ]),
    [
      [null, { price: 2.5, code: 7 }],
      [3, { code: 8 }],
    ],
    '2.5 into BIGINT is rescued, not rounded; the undeclared code is rescued because a rescue column was named',
  );

  const bad = tmpDir('hints-bad');
  writeFiles(bad, {
    'spark-pipeline.yml': 'name: bad\n',
    'data/1.json': '{"id": 1}\n',
    'transformations/p.sql': table('t', ", schema => 'id BIGINT', schemaEvolutionMode => 'addNewColumns'"),
  });
  const b = await runCli(['run', bad, '--format', 'json']);
  assert.equal(b.code, 1);
  assert.equal(flowsOf(b.stdout).t.error.code, 'INVALID_FILE_SOURCE_OPTION');
});

test('reader options sluice does not implement are refused when they would change what is read (INVALID_FILE_SOURCE_OPTION), accepted at their defaults', async () => {
  const { parseFileOptions } = await import('../../../src/engine/sources/file-options.ts');
  const { isSluiceError } = await import('../../../src/errors/index.ts');
  const refused = (raw: Record<string, string>) => {
    try {
      parseFileOptions(raw);
      return undefined;
    } catch (e) {
      assert.ok(isSluiceError(e));
      return e.code;
    }
  };
  assert.equal(refused({ mode: 'FAILFAST' }), 'INVALID_FILE_SOURCE_OPTION');
  assert.equal(refused({ nullValue: 'NA' }), 'INVALID_FILE_SOURCE_OPTION');
  assert.equal(refused({ 'cloudFiles.includeExistingFiles': 'false' }), 'INVALID_FILE_SOURCE_OPTION');
  assert.equal(refused({ timestampFormat: 'dd/MM/yyyy HH:mm' }), 'INVALID_FILE_SOURCE_OPTION');
  assert.equal(refused({ schemaEvolutionMode: 'sometimes' }), 'INVALID_FILE_SOURCE_OPTION');
  assert.equal(
    refused({ mode: 'permissive', encoding: 'UTF-8', 'cloudFiles.schemaLocation': '/x' }),
    undefined,
  );
  // Defaults by reader: read_files infers types and takes CSV headers; cloud_files reads STRINGs.
  const rf = parseFileOptions({});
  assert.deepEqual(
    [rf.header, rf.inferColumnTypes, rf.rescuedDataColumn, rf.schemaEvolutionMode],
    [true, true, '_rescued_data', 'addNewColumns'],
  );
  const cf = parseFileOptions({}, { reader: 'cloud_files', format: 'json' });
  assert.deepEqual([cf.header, cf.inferColumnTypes, cf.rescuedDataColumn], [true, false, '_rescued_data']);
  const path = parseFileOptions({}, { reader: 'path', format: 'csv' });
  assert.deepEqual([path.header, path.inferColumnTypes, path.rescuedDataColumn], [false, false, undefined]);
  // A declared schema with failOnNewColumns holds the very first files to it.
  const { inferFileSchema } = await import('../../../src/engine/sources/files.ts');
  const { connect } = await import('../../helpers/session.ts');
  const dir = tmpDir('fail-first');
  writeFiles(dir, { 'a.json': '{"id": 1, "extra": true}\n' });
  const conn = await connect();
  try {
    const strict = { schema: 'id BIGINT', schemaEvolutionMode: 'failOnNewColumns' };
    await assert.rejects(inferFileSchema(conn, [`${dir}/a.json`], 'json', strict), (e: unknown) => {
      assert.ok(isSluiceError(e));
      assert.equal(e.code, 'SOURCE_SCHEMA_NEW_COLUMNS');
      assert.deepEqual(e.params.columns, ['extra']);
      return true;
    });
  } finally {
    conn.closeSync();
  }
  const declared = parseFileOptions({ schema: 'a INT' });
  assert.deepEqual(
    [declared.header, declared.rescuedDataColumn, declared.schemaEvolutionMode],
    [false, undefined, 'none'],
  );
});
