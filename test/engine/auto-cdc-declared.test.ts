import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { runPipeline, type SluiceError, validatePipeline } from '../../src/index.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { chdbRows } from '../helpers/delta-compare.ts';
import { ndjson, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** A `$` in pipeline source text, so interpolations written into it read as what they are. */
const D = '$';

/**
 * Snapshot functions giving one snapshot (version 1) of `snap.json` through `select`: `unnamed`
 * with an unaliased computed column, `undeclared` into a target that lacks a column, `fits` into
 * one that declares one column more; `from_view` snapshots a pipeline view into a target whose
 * declared type is not the view's.
 */
const TS = `import { createAutoCdcFromSnapshotFlow, createStreamingTable, materializedView, raw, readFiles, sql } from 'sluice';

function once(select: string) {
  return (latest: number | bigint | undefined) => {
    if (latest !== undefined) return null;
    const read = readFiles('snap.json', { format: 'json', schemaHints: 'id INT, name STRING, amount INT' });
    return { query: sql${'`'}SELECT ${D}{raw(select)} FROM ${D}{read}${'`'}, version: 1 };
  };
}

createStreamingTable({ name: 'unnamed' });
createAutoCdcFromSnapshotFlow({ target: 'unnamed', source: once('id, upper(name)'), keys: ['id'] });
createStreamingTable({ name: 'undeclared', schema: 'id INT, name STRING' });
createAutoCdcFromSnapshotFlow({ target: 'undeclared', source: once('id, name, amount'), keys: ['id'] });
createStreamingTable({ name: 'fits', schema: 'id INT, note STRING, name STRING, amount INT, __START_AT BIGINT, __END_AT BIGINT' });
createAutoCdcFromSnapshotFlow({ target: 'fits', source: once('name, amount, id'), keys: ['id'], storedAsScdType: 2 });
materializedView({ name: 'source_view' }, sql${'`'}SELECT id, name FROM ${D}{readFiles('snap.json', { format: 'json' })}${'`'});
createStreamingTable({ name: 'from_view', schema: 'id INT, name STRING' });
createAutoCdcFromSnapshotFlow({ target: 'from_view', source: 'source_view', keys: ['id'] });
`;

test('AUTO CDC FROM SNAPSHOT: a snapshot query is named like any dataset query (UNALIASED_EXPRESSION) and must fit the target’s declared columns (USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE) — at validate when the source is a dataset, before anything is written when it is a function; a fitting one writes the declared columns', async () => {
  const dir = tmpDir('snapshot-declared');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: snapdecl\nlibraries:\n  - glob:\n      include: transformations/**\n',
    'transformations/cdc.ts': TS,
    'snap.json': ndjson([
      { id: 1, name: 'a', amount: 10 },
      { id: 2, name: 'b', amount: 20 },
    ]),
  });
  const brief = (l: readonly SluiceError[]) =>
    l
      .map((e) => [e.code, e.dataset, e.location?.file, e.location?.line] as const)
      .sort((x, y) => String(x[1]).localeCompare(String(y[1])));
  // JSON infers BIGINT for the view's id; the target declares INT.
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(brief(v.errors), [
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'from_view', 'transformations/cdc.ts', 19],
  ]);

  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  const failed = run.result.flows.filter((f) => f.state === 'FAILED').map((f) => f.error!);
  assert.deepEqual(brief(failed), [
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'from_view', 'transformations/cdc.ts', 19],
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'undeclared', 'transformations/cdc.ts', 14],
    ['UNALIASED_EXPRESSION', 'unnamed', 'transformations/cdc.ts', 12],
  ]);
  assert.match(
    failed.find((e) => e.dataset === 'undeclared')!.message,
    /writes column 'amount', which 'undeclared' does not declare/,
  );
  for (const name of ['unnamed', 'undeclared', 'from_view']) {
    assert.equal(existsSync(tableDir(dir, name)), false, `${name} has no table`);
  }
  const fits = tableDir(dir, 'fits');
  const snap = await loadSnapshot(fits);
  assert.deepEqual(
    snap.schema.fields.map((f) => [f.name, f.type]),
    [
      ['id', 'integer'],
      ['note', 'string'],
      ['name', 'string'],
      ['amount', 'integer'],
      ['__START_AT', 'long'],
      ['__END_AT', 'long'],
    ],
  );
  assert.deepEqual(chdbRows(fits, snap.version, snap.schema), [
    '["1",null,"a","10","1",null]',
    '["2",null,"b","20","1",null]',
  ]);
});

test("AUTO CDC into a table that declares its columns: every column the flow writes (SCD 2's __START_AT / __END_AT too) is declared, or validate and the run refuse it; a declared column no flow writes is NULL in every row, across updates", async () => {
  const dir = tmpDir('cdc-declared');
  const events = "STREAM read_files('events', format => 'json')";
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: cdcdecl\n',
    'transformations/cdc.sql': `CREATE STREAMING TABLE events AS SELECT id, name, seq FROM ${events};
CREATE STREAMING TABLE hist (id BIGINT, name STRING, note STRING, seq BIGINT, __START_AT BIGINT, __END_AT BIGINT);
CREATE FLOW hist_cdc AS AUTO CDC INTO hist FROM STREAM(events) KEYS (id) SEQUENCE BY seq STORED AS SCD TYPE 2;
CREATE STREAMING TABLE cur (id BIGINT, name STRING, note STRING);
CREATE FLOW cur_cdc AS AUTO CDC INTO cur FROM STREAM(events) KEYS (id) SEQUENCE BY seq COLUMNS * EXCEPT (seq);
CREATE STREAMING TABLE no_interval (id BIGINT, name STRING, seq BIGINT);
CREATE FLOW no_interval_cdc AS AUTO CDC INTO no_interval FROM STREAM(events) KEYS (id) SEQUENCE BY seq STORED AS SCD TYPE 2;
`,
    'events/1.json': ndjson([
      { id: 1, name: 'a', seq: 1 },
      { id: 2, name: 'b', seq: 1 },
    ]),
  });
  const refused = [
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'no_interval', 'transformations/cdc.sql', 7],
  ];
  const brief = (l: readonly SluiceError[]) =>
    l.map((e) => [e.code, e.dataset, e.location?.file, e.location?.line] as const);
  const v = await validatePipeline(dir, { session });
  assert.deepEqual(brief(v.errors), refused);
  assert.match(
    v.errors[0]!.message,
    /flow 'no_interval_cdc' writes column '__START_AT', which 'no_interval' does not declare/,
  );
  const update = async () => {
    const run = await runPipeline(dir, { session });
    assert.equal(run.kind, 'ran');
    if (run.kind !== 'ran') return;
    assert.deepEqual(
      brief(run.result.flows.filter((f) => f.state === 'FAILED').map((f) => f.error!)),
      refused,
    );
  };
  await update();
  writeFiles(dir, { 'events/2.json': ndjson([{ id: 1, name: 'a2', seq: 2 }]) });
  await update();
  assert.equal(existsSync(tableDir(dir, 'no_interval')), false);
  const rows = async (name: string) => {
    const snap = await loadSnapshot(tableDir(dir, name));
    return {
      columns: snap.schema.fields.map((f) => f.name),
      rows: chdbRows(tableDir(dir, name), snap.version, snap.schema),
    };
  };
  assert.deepEqual(await rows('hist'), {
    columns: ['id', 'name', 'note', 'seq', '__START_AT', '__END_AT'],
    rows: ['["1","a",null,"1","1","2"]', '["1","a2",null,"2","2",null]', '["2","b",null,"1","1",null]'],
  });
  assert.deepEqual(await rows('cur'), {
    columns: ['id', 'name', 'note'],
    rows: ['["1","a2",null]', '["2","b",null]'],
  });
});
