import assert from 'node:assert/strict';
import { test } from 'node:test';
import { autoCdcFlowSql } from '../../src/export/emit-sql.ts';
import { createAutoCdcFlow, createAutoCdcFromSnapshotFlow, runPipeline } from '../../src/index.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const TS = `import { createAutoCdcFlow, createStreamingTable } from 'sluice';

createStreamingTable({ name: 'customers' });
createAutoCdcFlow({
  target: 'customers',
  source: 'events',
  keys: ['id'],
  sequenceBy: 'seq',
  applyAsDeletes: "op = 'D'",
  exceptColumnList: ['op', '_rescued_data'],
});
createStreamingTable({ name: 'history' });
createAutoCdcFlow({
  name: 'history_flow',
  target: 'history',
  source: 'events',
  keys: ['id'],
  sequenceBy: 'seq',
  applyAsDeletes: "op = 'D'",
  columnList: ['id', 'name', 'seq'],
  storedAsScdType: 2,
  trackHistoryColumnList: ['name'],
});
`;

test('createAutoCdcFlow (create_auto_cdc_flow in TypeScript) runs like the SQL form', async () => {
  const dir = tmpDir('cdc-ts');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: cdc_ts\nlibraries:\n  - glob:\n      include: transformations/**\n',
    'transformations/events.sql': `CREATE STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json',
  schemaHints => 'id INT, name STRING, seq BIGINT, op STRING');`,
    'transformations/cdc.ts': TS,
    'data/a.json': ndjson([
      { id: 1, name: 'a', seq: 2, op: 'U' },
      { id: 1, name: 'z', seq: 1, op: 'U' },
      { id: 2, name: 'b', seq: 3, op: 'U' },
      { id: 2, name: null, seq: 4, op: 'D' },
      { id: 3, name: 'c', seq: 5, op: 'U' },
      { id: 3, name: 'c', seq: 6, op: 'U' },
    ]),
  });
  const outcome = await runPipeline(dir, {});
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') return;
  assert.deepEqual(
    outcome.result.flows.filter((f) => f.state !== 'COMPLETED').map((f) => [f.flow, f.error?.code]),
    [],
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'customers'), 'id')).map((r) => [r.id, r.name, Number(r.seq)]),
    [
      [1, 'a', 2],
      [3, 'c', 6],
    ],
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'history'), 'id, __START_AT')).map((r) => [
      r.id,
      r.name,
      Number(r.seq),
      Number(r.__START_AT),
      r.__END_AT === null ? null : Number(r.__END_AT),
    ]),
    [
      [1, 'z', 1, 1, 2],
      [1, 'a', 2, 2, null],
      [2, 'b', 3, 3, 4],
      [3, 'c', 6, 5, null], // seq is not tracked: updated in place
    ],
  );
});

test('an AUTO CDC flow written out as SQL parses back to the same flow', async () => {
  const text = `CREATE STREAMING TABLE t;
CREATE FLOW f AS AUTO CDC INTO t FROM STREAM(s) KEYS (id, \`odd key\`) IGNORE NULL UPDATES ON * EXCEPT (b)
APPLY AS DELETE WHEN op = 'D' SEQUENCE BY struct(ts, n) COLUMNS * EXCEPT (op) STORED AS SCD TYPE 2 TRACK HISTORY ON (a);`;
  const parse = (sql: string) => session.sql.parsePipelineSql(sql, { file: 'x.sql', configuration: {} });
  const first = await parse(text);
  assert.deepEqual(first.errors, []);
  const cdc = first.definitions.flows[0]!.cdc!;
  const again = await parse(`CREATE STREAMING TABLE t;\n${autoCdcFlowSql('f', 't', cdc)}`);
  assert.deepEqual(again.errors, []);
  assert.deepEqual(
    { ...again.definitions.flows[0]!.cdc, location: undefined },
    { ...cdc, location: undefined },
  );
});

test('createAutoCdcFlow refuses options that contradict each other (TS_INVALID_DEFINITION)', () => {
  const base = { target: 't', source: 's', keys: ['id'], sequenceBy: 'seq' };
  const code = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  assert.equal(
    code(() => createAutoCdcFlow({ ...base, keys: [] })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFlow({ ...base, trackHistoryColumnList: ['a'] })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFlow({ ...base, storedAsScdType: 2, applyAsTruncates: "op = 'T'" })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFlow({ ...base, columnList: ['a'], exceptColumnList: ['b'] })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFlow({ ...base, storedAsScdType: 3 as 1 })),
    'TS_INVALID_DEFINITION',
  );
});

test('createAutoCdcFromSnapshotFlow refuses options it cannot honour (TS_INVALID_DEFINITION)', () => {
  const base = { target: 't', source: 's', keys: ['id'] };
  const code = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return (e as { code?: string }).code;
    }
    return undefined;
  };
  assert.equal(
    code(() => createAutoCdcFromSnapshotFlow({ ...base, keys: [] })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFromSnapshotFlow({ ...base, trackHistoryColumnList: ['a'] })),
    'TS_INVALID_DEFINITION',
  );
  // A source is a dataset name or a function (Python's next_snapshot_and_version), nothing else.
  assert.equal(
    code(() => createAutoCdcFromSnapshotFlow({ ...base, source: 42 as unknown as string })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFromSnapshotFlow({ ...base, source: '' })),
    'TS_INVALID_DEFINITION',
  );
  assert.equal(
    code(() => createAutoCdcFromSnapshotFlow({ ...base, source: () => null })),
    undefined,
  );
});
