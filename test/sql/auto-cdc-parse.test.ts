import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CDC_DELETE_COLUMN, CDC_SEQUENCE_COLUMN } from '../../src/model/index.ts';
import { session } from '../helpers/session.ts';

const parse = (text: string) =>
  session.sql.parsePipelineSql(text, { file: 'transformations/cdc.sql', configuration: {} });

test('AUTO CDC: CREATE FLOW … AS AUTO CDC INTO, APPLY CHANGES INTO and STREAMING TABLE … FLOW AUTO CDC', async () => {
  const { definitions, errors } = await parse(`
CREATE STREAMING TABLE customers;
CREATE FLOW customers_cdc COMMENT 'x' AS AUTO CDC INTO customers
FROM STREAM(cdc_events)
KEYS (id)
APPLY AS DELETE WHEN op = 'DELETE'
SEQUENCE BY version
COLUMNS * EXCEPT (op);
CREATE STREAMING TABLE hist;
APPLY CHANGES INTO LIVE.hist
FROM STREAM(LIVE.cdc_events)
KEYS (id, region)
IGNORE NULL UPDATES
SEQUENCE BY struct(ts, seq)
COLUMNS id, region, name, ts, seq
STORED AS SCD TYPE 2
TRACK HISTORY ON * EXCEPT (ts, seq);
CREATE OR REFRESH STREAMING TABLE IF NOT EXISTS combined (id INT, name STRING)
FLOW AUTO CDC FROM STREAM cdc_events KEYS (id) SEQUENCE BY version IGNORE NULL UPDATES ON (name) STORED AS SCD TYPE 1;
`);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    definitions.datasets.map((d) => d.name),
    ['customers', 'hist', 'combined'],
  );
  const [a, b, c] = definitions.flows;
  assert.deepEqual(
    [a, b, c].map((f) => [f!.name, f!.target, f!.role]),
    [
      ['customers_cdc', 'customers', 'append'],
      ['hist', 'hist', 'defining'],
      ['combined', 'combined', 'defining'],
    ],
  );
  assert.deepEqual(a!.cdc, {
    kind: 'auto_cdc',
    source: 'STREAM(cdc_events)',
    keys: ['id'],
    sequenceBy: 'version',
    deleteWhen: "op = 'DELETE'",
    columns: { kind: 'except', columns: ['op'] },
    scdType: 1,
    location: { file: 'transformations/cdc.sql', line: 5, column: 1 },
  });
  assert.deepEqual(
    { ...b!.cdc, location: undefined },
    {
      kind: 'auto_cdc',
      source: 'STREAM(LIVE.cdc_events)',
      keys: ['id', 'region'],
      sequenceBy: 'struct(ts, seq)',
      ignoreNullUpdates: { kind: 'except', columns: [] },
      columns: { kind: 'include', columns: ['id', 'region', 'name', 'ts', 'seq'] },
      scdType: 2,
      trackHistory: { kind: 'except', columns: ['ts', 'seq'] },
      location: undefined,
    },
  );
  assert.deepEqual(c!.cdc?.ignoreNullUpdates, { kind: 'include', columns: ['name'] });
  // The flow's query reads the source as a stream and computes the event columns.
  assert.deepEqual(
    a!.query.inputs.map((i) => (i.kind === 'dataset' ? [i.name, i.streaming] : [])),
    [['cdc_events', true]],
  );
  assert.match(a!.query.sql, new RegExp(CDC_SEQUENCE_COLUMN));
  assert.match(a!.query.sql, new RegExp(CDC_DELETE_COLUMN));
});

test('AUTO CDC: documented clauses sluice does not implement are UNSUPPORTED_SQL_SYNTAX on the target; mistakes are coded', async () => {
  const { errors } = await parse(`
CREATE STREAMING TABLE t1;
APPLY CHANGES INTO t1 FROM STREAM(s) KEYS (id) SEQUENCE BY v STORED AS BITEMPORAL;
CREATE STREAMING TABLE t2;
CREATE FLOW f2 AS AUTO CDC INTO t2 FROM STREAM(s) KEYS (id) SEQUENCE BY v SYSTEM SEQUENCE BY w;
CREATE STREAMING TABLE t3;
CREATE FLOW f3 AS AUTO CDC INTO t3 FROM STREAM(s) KEYS (id) SEQUENCE BY v COLUMNS TO UPDATE changed;
CREATE STREAMING TABLE t4;
APPLY CHANGES INTO t4 FROM STREAM(s) KEYS (id) SEQUENCE BY v TRACK HISTORY ON (a);
CREATE STREAMING TABLE t5;
APPLY CHANGES INTO t5 FROM STREAM(s) KEYS (id);
CREATE STREAMING TABLE t6;
APPLY CHANGES INTO t6 FROM STREAM(s) KEYS (id) SEQUENCE BY v SEQUENCE BY w;
`);
  assert.deepEqual(
    errors.map((e) => [e.code, e.dataset, e.location?.line, e.params.construct]),
    [
      ['UNSUPPORTED_SQL_SYNTAX', 't1', 3, 'STORED AS BITEMPORAL'],
      ['UNSUPPORTED_SQL_SYNTAX', 't2', 5, 'SYSTEM SEQUENCE BY'],
      ['UNSUPPORTED_SQL_SYNTAX', 't3', 7, 'COLUMNS TO UPDATE'],
      ['AUTO_CDC_INVALID_DEFINITION', 't4', 9, undefined],
      ['AUTO_CDC_INVALID_DEFINITION', 't5', 11, undefined],
      ['SQL_SYNTAX_ERROR', 't6', 13, undefined],
    ],
  );
});

test('AUTO CDC … FROM SNAPSHOT in SQL is UNSUPPORTED_SQL_SYNTAX at the SNAPSHOT word, not a relation named SNAPSHOT missing SEQUENCE BY; a table named snapshot is still a source', async () => {
  const { errors, definitions } = await parse(`
CREATE STREAMING TABLE t1;
CREATE FLOW f1 AS AUTO CDC INTO t1 FROM SNAPSHOT src KEYS (id) STORED AS SCD TYPE 1;
CREATE STREAMING TABLE t2;
CREATE FLOW f2 AS AUTO CDC INTO t2 FROM snapshot KEYS (id) SEQUENCE BY v;
`);
  assert.deepEqual(
    errors.map((e) => [e.code, e.dataset, e.location?.line, e.params.construct]),
    [['UNSUPPORTED_SQL_SYNTAX', 't1', 3, 'AUTO CDC FROM SNAPSHOT in SQL']],
  );
  assert.deepEqual(
    definitions.flows.map((f) => [f.name, f.cdc?.source]),
    [['f2', 'snapshot']],
  );
});
