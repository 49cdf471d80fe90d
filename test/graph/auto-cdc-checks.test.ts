import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDefinitions } from '../../src/graph/index.ts';
import { session } from '../helpers/session.ts';

async function validate(text: string) {
  const parsed = await session.sql.parsePipelineSql(text, { file: 'cdc.sql', configuration: {} });
  assert.deepEqual(parsed.errors, []);
  return validateDefinitions(parsed.definitions, { sql: session.sql });
}

const SOURCE = `CREATE STREAMING TABLE src AS SELECT * FROM STREAM read_files('d', format => 'json');\n`;

test('AUTO CDC graph checks: a streaming-table target with one flow, keys written, no expectations on it', async () => {
  const r = await validate(`${SOURCE}
CREATE MATERIALIZED VIEW mv AS SELECT 1 AS id;
CREATE FLOW into_mv AS AUTO CDC INTO mv FROM STREAM(src) KEYS (id) SEQUENCE BY seq;
CREATE STREAMING TABLE shared AS SELECT * FROM STREAM(src);
CREATE FLOW into_shared AS AUTO CDC INTO shared FROM STREAM(src) KEYS (id) SEQUENCE BY seq;
CREATE STREAMING TABLE keyless;
APPLY CHANGES INTO keyless FROM STREAM(src) KEYS (id) SEQUENCE BY seq COLUMNS * EXCEPT (id);
CREATE STREAMING TABLE checked (CONSTRAINT c EXPECT (id > 0));
APPLY CHANGES INTO checked FROM STREAM(src) KEYS (id) SEQUENCE BY seq;
CREATE STREAMING TABLE fine;
APPLY CHANGES INTO fine FROM STREAM(src) KEYS (id) SEQUENCE BY seq;
CREATE MATERIALIZED VIEW downstream AS SELECT count(*) AS n FROM fine;
`);
  const byDataset = r.errors.map((e) => [e.dataset, e.code]).sort();
  assert.deepEqual(byDataset, [
    ['checked', 'UNSUPPORTED_SQL_SYNTAX'],
    ['keyless', 'AUTO_CDC_INVALID_DEFINITION'],
    ['mv', 'AUTO_CDC_INVALID_DEFINITION'],
    ['mv', 'INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW'],
    ['mv', 'MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES'],
    ['shared', 'AUTO_CDC_INVALID_DEFINITION'],
  ]);
  const ok = await validate(`${SOURCE}
CREATE STREAMING TABLE fine;
APPLY CHANGES INTO fine FROM STREAM(src) KEYS (id) SEQUENCE BY seq;
CREATE MATERIALIZED VIEW downstream AS SELECT count(*) AS n FROM fine;
`);
  assert.deepEqual(ok.errors, []);
  assert.deepEqual(
    ok.graph.execution?.flows.map((f) => [f.flow.name, f.kind]),
    [
      ['src', 'streaming_append'],
      ['fine', 'auto_cdc'],
      ['downstream', 'materialized_view'],
    ],
  );
});

test('a CDC flow that reads its source without STREAM is refused like any streaming table flow', async () => {
  const r = await validate(`${SOURCE}
CREATE STREAMING TABLE t;
APPLY CHANGES INTO t FROM src KEYS (id) SEQUENCE BY seq;
`);
  assert.deepEqual(
    r.errors.map((e) => e.code),
    ['INVALID_FLOW_QUERY_TYPE.BATCH_RELATION_FOR_STREAMING_TABLE'],
  );
});
