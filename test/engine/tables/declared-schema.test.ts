import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { declaredSchemaMismatch, mergesInto } from '../../../src/engine/tables/declared-schema.ts';
import { runPipeline, type SluiceError, validatePipeline } from '../../../src/index.ts';
import type { Dataset } from '../../../src/model/index.ts';
import { parseSparkType } from '../../../src/sql/index.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { chdbRows } from '../../helpers/delta-compare.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { session } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const t = parseSparkType;

test("a written type fits a declared one as Spark's schema merge leaves it unchanged: equal, a decimal of the same scale and no more precision, nested types alike", () => {
  assert.equal(mergesInto(t('BIGINT'), t('BIGINT')), true);
  assert.equal(mergesInto(t('INT'), t('BIGINT')), false);
  assert.equal(mergesInto(t('BIGINT'), t('INT')), false, 'no widening: Spark cannot merge INT into BIGINT');
  assert.equal(mergesInto(t('STRING'), t('INT')), false);
  assert.equal(mergesInto(t('DECIMAL(10,2)'), t('DECIMAL(5,2)')), true);
  assert.equal(mergesInto(t('DECIMAL(5,2)'), t('DECIMAL(10,2)')), false);
  assert.equal(mergesInto(t('DECIMAL(10,3)'), t('DECIMAL(5,2)')), false);
  assert.equal(mergesInto(t('ARRAY<DECIMAL(10,2)>'), t('ARRAY<DECIMAL(4,2)>')), true);
  assert.equal(mergesInto(t('ARRAY<INT>'), t('ARRAY<BIGINT>')), false);
  assert.equal(mergesInto(t('MAP<STRING, INT>'), t('MAP<STRING, INT>')), true);
  assert.equal(mergesInto(t('MAP<STRING, INT>'), t('MAP<STRING, STRING>')), false);
  assert.equal(mergesInto(t('STRUCT<a: INT, b: STRING>'), t('STRUCT<a: INT, b: STRING>')), true);
  // Nested fields by exact name and in order: sluice does not reorder, rename or fill them.
  assert.equal(mergesInto(t('STRUCT<a: INT, b: STRING>'), t('STRUCT<b: STRING, a: INT>')), false);
  assert.equal(mergesInto(t('STRUCT<A: INT>'), t('STRUCT<a: INT>')), false);
  assert.equal(mergesInto(t('STRUCT<a: INT, b: STRING>'), t('STRUCT<a: INT>')), false);
});

test('declaredSchemaMismatch: undeclared columns, other types and NOT NULL columns left out are refused; missing nullable columns and any order are not', () => {
  const st: Dataset = {
    kind: 'streaming_table',
    name: 'st',
    properties: {},
    partitionBy: [],
    clusterBy: [],
    expectations: [],
    private: false,
    language: 'sql',
    columns: [
      { name: 'ID', type: 'BIGINT', nullable: false },
      { name: 'name', type: 'STRING', nullable: true },
      { name: 'note', type: 'STRING', nullable: true },
    ],
  };
  const check = (d: Dataset, cols: [string, string][]) =>
    declaredSchemaMismatch(
      d,
      'f',
      cols.map(([name, type]) => ({ name, type })),
    );
  assert.equal(
    check(st, [
      ['name', 'VARCHAR'],
      ['id', 'BIGINT'],
    ]),
    undefined,
  );
  const reason = (e: SluiceError | undefined) => [
    e?.code,
    e?.params.reason,
    e?.params.column,
    e?.params.flow,
  ];
  assert.deepEqual(
    reason(
      check(st, [
        ['id', 'BIGINT'],
        ['other', 'VARCHAR'],
      ]),
    ),
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'undeclared', 'other', 'f'],
  );
  assert.deepEqual(reason(check(st, [['id', 'INTEGER']])), [
    'USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE',
    'type',
    'ID',
    'f',
  ]);
  assert.deepEqual(reason(check(st, [['name', 'VARCHAR']])), [
    'USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE',
    'not_null_missing',
    'ID',
    'f',
  ]);
  // A declared column without a type takes the flow's; one no flow writes cannot be created.
  const untyped: Dataset = {
    ...st,
    columns: [
      { name: 'id', nullable: true },
      { name: 'x', nullable: true },
    ],
  };
  assert.deepEqual(reason(check(untyped, [['id', 'BIGINT']])), [
    'USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE',
    'untyped_missing',
    'x',
    'f',
  ]);
  // A materialized view: only the types of the columns it declares (names and order are
  // declaredColumnsMismatch's); views and datasets without a list are not checked.
  const mv: Dataset = { ...st, kind: 'materialized_view' };
  assert.equal(check(mv, [['other', 'VARCHAR']]), undefined);
  assert.deepEqual(reason(check(mv, [['id', 'DOUBLE']])), [
    'USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE',
    'type',
    'ID',
    'f',
  ]);
  assert.equal(check({ ...st, kind: 'temporary_view' }, [['id', 'DOUBLE']]), undefined);
  const { columns: _, ...undeclared } = st;
  assert.equal(check(undeclared, [['other', 'VARCHAR']]), undefined);
});

const STREAM = "STREAM read_files('data', format => 'json')";

test("a streaming table's declared columns take what its flows write by Spark's rule: refused at validate and before the run writes (code, dataset, flow's line); fitting flows write the declared columns, in declared order, NULL where a flow writes none", async () => {
  const dir = tmpDir('declared-schema');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: declared_schema\n',
    'transformations/st.sql': `CREATE STREAMING TABLE undeclared (id BIGINT, name STRING) AS SELECT id, name, p FROM ${STREAM};
CREATE STREAMING TABLE retyped (id INT, name STRING) AS SELECT id, name FROM ${STREAM};
CREATE STREAMING TABLE fed (id BIGINT, name STRING, note STRING NOT NULL);
CREATE FLOW feed AS INSERT INTO fed BY NAME SELECT id, name FROM ${STREAM};
CREATE STREAMING TABLE good (
  ID BIGINT COMMENT 'the key',
  note STRING,
  name STRING,
  amount DECIMAL(10,2),
  CONSTRAINT has_id EXPECT (id IS NOT NULL)
) AS SELECT name, id, CAST(amount AS DECIMAL(5,2)) AS amount FROM ${STREAM};
CREATE STREAMING TABLE multi (id BIGINT, name STRING, src STRING);
CREATE FLOW from_a AS INSERT INTO multi BY NAME SELECT id, 'a' AS src FROM ${STREAM};
CREATE FLOW from_b AS INSERT INTO multi BY NAME SELECT name, id FROM ${STREAM};
CREATE MATERIALIZED VIEW downstream AS SELECT ID, note, amount FROM good;
`,
    'data/a.json': ndjson([
      { id: 1, name: 'x', p: 'q', amount: 1.5 },
      { id: 2, name: 'y', p: 'r', amount: 2.25 },
    ]),
  });
  const brief = (l: readonly SluiceError[]) =>
    l
      .map((e) => [e.code, e.dataset, e.params.flow, e.location?.file, e.location?.line] as const)
      .sort((x, y) => Number(x[4]) - Number(y[4]));
  const expected = [
    [
      'USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE',
      'undeclared',
      'undeclared',
      'transformations/st.sql',
      1,
    ],
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'retyped', 'retyped', 'transformations/st.sql', 2],
    ['USER_SPECIFIED_AND_INFERRED_SCHEMA_NOT_COMPATIBLE', 'fed', 'feed', 'transformations/st.sql', 4],
  ];
  const v = await validatePipeline(dir, { session });
  // The downstream view binds over the declared columns (`note` is one no flow writes).
  assert.deepEqual(brief(v.errors), expected);
  const msg = (name: string) => v.errors.find((e) => e.dataset === name)!.message;
  assert.match(msg('undeclared'), /writes column 'p', which 'undeclared' does not declare/);
  assert.match(msg('retyped'), /writes column 'id' as BIGINT, but 'retyped' declares it INT/);
  assert.match(msg('fed'), /flow 'feed' does not write column 'note', which 'fed' declares NOT NULL/);

  const run = await runPipeline(dir, { session });
  assert.equal(run.kind, 'ran');
  if (run.kind !== 'ran') return;
  const failed = run.result.flows.filter((f) => f.state === 'FAILED');
  assert.deepEqual(brief(failed.map((f) => f.error!)), expected);
  for (const name of ['undeclared', 'retyped', 'fed']) {
    assert.equal(existsSync(tableDir(dir, name)), false, `${name} has no table`);
  }

  const good = tableDir(dir, 'good');
  const snap = await loadSnapshot(good);
  assert.deepEqual(
    snap.schema.fields.map((f) => [f.name, f.type, f.nullable, f.metadata.comment ?? null]),
    [
      ['ID', 'long', true, 'the key'],
      ['note', 'string', true, null],
      ['name', 'string', true, null],
      ['amount', 'decimal(10,2)', true, null],
    ],
  );
  const rows = ['["1",null,"x","1.5"]', '["2",null,"y","2.25"]'];
  assert.deepEqual(chdbRows(good, snap.version, snap.schema), rows);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'downstream'), 'ID')).map((r) => [Number(r.ID), r.note, String(r.amount)]),
    [
      [1, null, '1.50'],
      [2, null, '2.25'],
    ],
  );
  const multi = tableDir(dir, 'multi');
  const m = await loadSnapshot(multi);
  assert.deepEqual(
    m.schema.fields.map((f) => f.name),
    ['id', 'name', 'src'],
  );
  assert.deepEqual(chdbRows(multi, m.version, m.schema), [
    '["1","x",null]',
    '["1",null,"a"]',
    '["2","y",null]',
    '["2",null,"a"]',
  ]);
});

test('generated, identity and default columns are refused at their file:line (UNSUPPORTED_SQL_SYNTAX), not read and left out', async () => {
  const dir = tmpDir('declared-generated');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: declared_generated\n',
    'transformations/g.sql': `CREATE STREAMING TABLE gen (
  id BIGINT,
  id2 BIGINT GENERATED ALWAYS AS (id * 2)
) AS SELECT id FROM ${STREAM};
CREATE STREAMING TABLE ident (k BIGINT GENERATED BY DEFAULT AS IDENTITY, id BIGINT) AS SELECT id FROM ${STREAM};
CREATE STREAMING TABLE dflt (id BIGINT, note STRING DEFAULT 'n/a') AS SELECT id FROM ${STREAM};
`,
    'data/a.json': ndjson([{ id: 1 }]),
  });
  const v = await validatePipeline(dir, { session });
  const got = v.errors
    .filter((e) => e.code === 'UNSUPPORTED_SQL_SYNTAX')
    .map((e) => [e.params.construct, e.params.column, e.location?.line]);
  assert.deepEqual(got, [
    ['GENERATED ALWAYS AS column', 'id2', 3],
    ['GENERATED … AS IDENTITY column', 'k', 5],
    ['DEFAULT column', 'note', 6],
  ]);
});
