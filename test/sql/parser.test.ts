import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from '../helpers/session.ts';
import { runBound } from './helpers.ts';

// The SQL example of ../shared/reference/streaming-production-patterns.md, verbatim.
const REFERENCE_SQL = `CREATE OR REFRESH STREAMING TABLE silver_events (
    CONSTRAINT valid_event_id EXPECT (event_id IS NOT NULL),
    CONSTRAINT valid_timestamp EXPECT (event_timestamp > '2020-01-01'),
    CONSTRAINT valid_user_id EXPECT (user_id IS NOT NULL AND user_id > 0) ON VIOLATION DROP ROW,
    CONSTRAINT valid_amount EXPECT (amount >= 0) ON VIOLATION FAIL UPDATE
)
AS SELECT 
    event_id,
    user_id,
    event_timestamp,
    amount,
    current_timestamp() AS processed_at
FROM STREAM(bronze_events);
`;

const parse = (text: string, configuration: Record<string, string> = {}, schema?: string) =>
  session.sql.parsePipelineSql(text, {
    file: 'transformations/x.sql',
    configuration,
    ...(schema ? { schema } : {}),
  });

test('reference example: kind, expectations with actions, streaming input, and the query runs', async () => {
  const { definitions, errors } = await parse(REFERENCE_SQL);
  assert.deepEqual(errors, []);
  const [d] = definitions.datasets;
  assert.equal(definitions.datasets.length, 1);
  assert.equal(d!.kind, 'streaming_table');
  assert.equal(d!.name, 'silver_events');
  assert.deepEqual(d!.location, { file: 'transformations/x.sql', line: 1, column: 1 });
  assert.deepEqual(
    d!.expectations.map((e) => [e.name, e.expression, e.action, e.location?.line, e.location?.column]),
    [
      ['valid_event_id', 'event_id IS NOT NULL', 'warn', 2, 5],
      ['valid_timestamp', "event_timestamp > '2020-01-01'", 'warn', 3, 5],
      ['valid_user_id', 'user_id IS NOT NULL AND user_id > 0', 'drop', 4, 5],
      ['valid_amount', 'amount >= 0', 'fail', 5, 5],
    ],
  );
  assert.equal(definitions.flows.length, 1);
  const f = definitions.flows[0]!;
  assert.equal(f.name, 'silver_events');
  assert.equal(f.target, 'silver_events');
  assert.equal(f.role, 'defining');
  assert.deepEqual(
    f.query.inputs.map((i) => ({ ...i, location: undefined })),
    [{ kind: 'dataset', name: 'bronze_events', streaming: true, location: undefined }],
  );
  assert.deepEqual(f.query.inputs[0]!.location, { file: 'transformations/x.sql', line: 13, column: 6 });
  assert.deepEqual(f.query.outputColumns, [
    'event_id',
    'user_id',
    'event_timestamp',
    'amount',
    'processed_at',
  ]);
  assert.deepEqual(f.query.location, { file: 'transformations/x.sql', line: 7, column: 4 });

  const out = await runBound(f.query.sql, [
    `SELECT 1 AS event_id, 7 AS user_id, TIMESTAMPTZ '2024-01-01 10:00:00+00' AS event_timestamp, 9.5 AS amount`,
  ]);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.event_id, 1);
  assert.equal(out[0]!.user_id, 7);
  assert.equal(typeof out[0]!.processed_at, 'string');
});

test('several statements with comments, quoted semicolons, SET and USE SCHEMA', async () => {
  const text = `-- a comment; with a semicolon
/* block; comment
   CREATE TABLE nothing; */
SET source = '/data/in;x';
SET pipelines.trigger.interval = 10 seconds;
CREATE MATERIALIZED VIEW mv COMMENT 'it''s; fine' AS SELECT 'a;b' AS s, "dq;" AS t FROM src;
USE SCHEMA gold;
CREATE OR REFRESH PRIVATE MATERIALIZED VIEW \`agg\` AS SELECT * FROM STREAM read_files('\${source}', format => 'csv', header => true);
CREATE TEMPORARY VIEW tv AS SELECT 1 AS one;
CREATE OR REPLACE TEMP VIEW tv2 AS SELECT 2 AS two;
CREATE VIEW pv COMMENT 'persisted' AS SELECT * FROM mv;
CREATE STREAMING TABLE other.st;
CREATE STREAMING TABLE cat.sch.st2;
CREATE STREAMING TABLE LIVE.st3
`;
  const { definitions, errors } = await parse(text, {}, 'silver');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    definitions.datasets.map((d) => [d.kind, d.name, d.schema, d.private, d.location?.line]),
    [
      ['materialized_view', 'mv', 'silver', false, 6],
      ['materialized_view', 'agg', 'gold', true, 8],
      ['temporary_view', 'tv', 'gold', false, 9],
      ['temporary_view', 'tv2', 'gold', false, 10],
      ['persisted_view', 'pv', 'gold', false, 11],
      ['streaming_table', 'st', 'other', false, 12],
      ['streaming_table', 'st2', 'sch', false, 13],
      ['streaming_table', 'st3', 'gold', false, 14],
    ],
  );
  assert.equal(definitions.datasets[0]!.comment, "it's; fine");
  assert.deepEqual(
    definitions.settings.map((s) => [s.key, s.value, s.location?.line]),
    [
      ['source', '/data/in;x', 4],
      ['pipelines.trigger.interval', '10 seconds', 5],
    ],
  );
  assert.deepEqual(
    definitions.flows.map((f) => f.name),
    ['mv', 'agg', 'tv', 'tv2', 'pv'],
  );
  const mv = definitions.flows[0]!;
  assert.deepEqual(await runBound(mv.query.sql, ['SELECT 1 AS x']), [{ s: 'a;b', t: 'dq;' }]);
  const agg = definitions.flows[1]!;
  assert.deepEqual(agg.query.inputs[0], {
    kind: 'files',
    path: '/data/in;x',
    format: 'csv',
    options: { header: 'true' },
    streaming: true,
    location: { file: 'transformations/x.sql', line: 8, column: 68 },
  });
});

test('table clauses in any order, column definitions and ignored key constraints', async () => {
  const text = `CREATE OR REFRESH STREAMING TABLE events (
  id BIGINT NOT NULL COMMENT 'the id',
  amount DECIMAL(10, 2),
  tags ARRAY<STRING> FOREIGN KEY REFERENCES cat.sch.tags,
  attrs MAP<STRING, STRUCT<a: INT, b: STRING>> CONSTRAINT fk_attrs FOREIGN KEY REFERENCES parent (a) NOT ENFORCED,
  CONSTRAINT pk PRIMARY KEY (id),
  CONSTRAINT positive EXPECT (amount > 0) ON VIOLATION QUARANTINE
)
TBLPROPERTIES ('quality' = 'silver', delta.enableChangeDataFeed = true)
CLUSTER BY (id, amount)
COMMENT 'Events'
PARTITIONED BY (day)
AS SELECT * FROM STREAM raw_events`;
  const { definitions, errors } = await parse(text);
  assert.deepEqual(errors, []);
  const d = definitions.datasets[0]!;
  assert.deepEqual(d.columns, [
    { name: 'id', type: 'BIGINT', nullable: false, comment: 'the id' },
    { name: 'amount', type: 'DECIMAL(10, 2)', nullable: true },
    { name: 'tags', type: 'ARRAY<STRING>', nullable: true },
    { name: 'attrs', type: 'MAP<STRING, STRUCT<a: INT, b: STRING>>', nullable: true },
  ]);
  assert.deepEqual(d.properties, { quality: 'silver', 'delta.enableChangeDataFeed': 'true' });
  assert.deepEqual(d.clusterBy, ['id', 'amount']);
  assert.deepEqual(d.partitionBy, ['day']);
  assert.equal(d.comment, 'Events');
  assert.deepEqual(
    d.expectations.map((e) => [e.name, e.action]),
    [['positive', 'quarantine']],
  );
  assert.equal(definitions.flows[0]!.query.outputColumns, undefined);
});

test('streaming table without AS plus CREATE FLOW append flows (incl. INSERT INTO ONCE)', async () => {
  const text = `CREATE OR REFRESH STREAMING TABLE all_events;
CREATE FLOW from_a AS INSERT INTO all_events BY NAME SELECT * FROM STREAM(a);
CREATE FLOW backfill COMMENT 'one-off' AS INSERT INTO ONCE LIVE.all_events BY NAME SELECT * FROM b;`;
  const { definitions, errors } = await parse(text);
  assert.deepEqual(errors, []);
  assert.equal(definitions.datasets.length, 1);
  assert.deepEqual(
    definitions.flows.map((f) => [
      f.name,
      f.target,
      f.role,
      f.options,
      f.query.inputs.map((i) => i.kind === 'dataset' && [i.name, i.streaming]),
      f.location?.line,
    ]),
    [
      ['from_a', 'all_events', 'append', {}, [['a', true]], 2],
      ['backfill', 'all_events', 'append', { once: 'true' }, [['b', false]], 3],
    ],
  );
});

test('syntax errors point at file:line:column with the offending text; parsing continues', async () => {
  const text = `CREATE MATERIALIZED VIEW ok1 AS SELECT 1 AS a;

CREATE MATERIALIZED VIEW broken AS
  SELECT a,
         FROM src WHERE;
CREATE STREAMING TABLE bad_clause WITH x;
DROP TABLE foo;
CREATE TABLE plain AS SELECT 1;
CREATE MATERIALIZED VIEW ok2 AS SELECT 2 AS b`;
  const { definitions, errors } = await parse(text);
  assert.deepEqual(
    definitions.datasets.map((d) => d.name),
    ['ok1', 'broken', 'ok2'],
  );
  assert.deepEqual(
    definitions.flows.map((f) => f.name),
    ['ok1', 'ok2'],
  );
  assert.deepEqual(
    errors.map((e) => [e.code, e.dataset, e.location?.line, e.location?.column, e.params.near]),
    [
      ['SQL_SYNTAX_ERROR', 'broken', 5, 24, '<end of input>'],
      ['SQL_SYNTAX_ERROR', 'bad_clause', 6, 35, 'WITH'],
      ['SQL_UNSUPPORTED_STATEMENT', undefined, 7, 1, undefined],
      ['SQL_UNSUPPORTED_STATEMENT', 'plain', 8, 1, undefined],
    ],
  );
  assert.match(errors[1]!.message, /near 'WITH'/);
});

test('a syntax error inside a query maps to the exact column of the offending token', async () => {
  const text = `CREATE MATERIALIZED VIEW v AS
SELECT a, b
FROM src
WHERE a = = 1`;
  const { errors } = await parse(text);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.code, 'SQL_SYNTAX_ERROR');
  assert.deepEqual(errors[0]!.location, { file: 'transformations/x.sql', line: 4, column: 11 });
  assert.equal(errors[0]!.params.near, '=');
  assert.match(errors[0]!.message, /near '='/);
});

test('unterminated string is a syntax error at its start', async () => {
  const { errors } = await parse(
    `CREATE MATERIALIZED VIEW v AS SELECT 1 AS a;\nCREATE MATERIALIZED VIEW w AS SELECT 'oops FROM t;`,
  );
  assert.deepEqual(
    errors.map((e) => [e.code, e.location?.line, e.location?.column]),
    [['SQL_SYNTAX_ERROR', 2, 38]],
  );
});

test('configuration substitution: spec configuration, later SET, undefined keys reported at the line', async () => {
  const text = `CREATE MATERIALIZED VIEW a AS SELECT * FROM \${src_schema}.orders WHERE region = '\${region}';
SET region = 'EU';
CREATE MATERIALIZED VIEW b AS SELECT * FROM orders WHERE region = '\${region}';
-- a comment with \${not_a_key} is ignored
CREATE MATERIALIZED VIEW c AS
  SELECT * FROM \${missing_key};`;
  const { definitions, errors } = await parse(text, { src_schema: 'bronze', region: 'US' });
  assert.deepEqual(
    definitions.flows.map((f) => [
      f.name,
      f.query.source,
      f.query.inputs.map((i) => i.kind === 'dataset' && i.name),
    ]),
    [
      ['a', "SELECT * FROM bronze.orders WHERE region = 'US'", [['bronze.orders'][0]]],
      ['b', "SELECT * FROM orders WHERE region = 'EU'", ['orders']],
    ],
  );
  assert.deepEqual(
    errors.map((e) => [e.code, e.params.key, e.dataset, e.location?.line, e.location?.column]),
    [['UNDEFINED_CONFIGURATION_KEY', 'missing_key', 'c', 6, 17]],
  );
});

test('positions after a substitution still map to the original line:column', async () => {
  const text = `CREATE MATERIALIZED VIEW v AS SELECT '\${long_value}' AS a, nope(1) AS b FROM t`;
  const { errors } = await parse(text, { long_value: 'x'.repeat(50) });
  assert.equal(errors[0]!.code, 'UNSUPPORTED_SPARK_FUNCTION');
  assert.equal(errors[0]!.params.function, 'nope');
  assert.equal(errors[0]!.dataset, 'v');
  assert.deepEqual(errors[0]!.location, { file: 'transformations/x.sql', line: 1, column: 60 });
});

test('constraint syntax errors name the problem', async () => {
  const { errors } = await parse(`CREATE STREAMING TABLE t (
  CONSTRAINT c EXPECT (a > 0) ON VIOLATION EXPLODE
) AS SELECT * FROM STREAM s`);
  assert.deepEqual(
    errors.map((e) => [e.code, e.location?.line, e.location?.column, e.params.near]),
    [['SQL_SYNTAX_ERROR', 2, 44, 'EXPLODE']],
  );
});

test('SET without a value shows settings; odd values; USE CATALOG / SCHEMA / IDENTIFIER', async () => {
  const text = `SET spark.source;
SET;
SET list = a, b = c;
SET empty = ;
SET quoted = "dq";
SET TIME ZONE 'UTC';
SET CATALOG main;
USE CATALOG main;
USE IDENTIFIER('my_schema');
CREATE MATERIALIZED VIEW a AS SELECT 1 AS x;
USE SCHEMA IDENTIFIER('cat.\`other schema\`');
CREATE MATERIALIZED VIEW b AS SELECT '\${list}' AS y;
USE gold;
CREATE MATERIALIZED VIEW c AS SELECT 1 AS z`;
  const { definitions, errors } = await parse(text, {}, 'silver');
  assert.deepEqual(errors, []);
  assert.deepEqual(
    definitions.settings.map((s) => [s.key, s.value]),
    [
      ['list', 'a, b = c'],
      ['empty', ''],
      ['quoted', 'dq'],
    ],
  );
  assert.deepEqual(
    definitions.datasets.map((d) => [d.name, d.schema]),
    [
      ['a', 'my_schema'],
      ['b', 'other schema'],
      ['c', 'gold'],
    ],
  );
});

test('a non-UTC time zone is refused; ANSI mode may be turned off (true or false only)', async () => {
  const { errors } = await parse(`SET spark.sql.session.timeZone = America/New_York;
SET spark.sql.ansi.enabled = false;
SET TIME ZONE 'Europe/Paris';
SET spark.sql.session.timeZone = UTC;
SET spark.sql.ansi.enabled = true;
USE IDENTIFIER(some_column);
SET spark.sql.ansi.enabled = 0;`);
  assert.deepEqual(
    errors.map((e) => [e.code, e.location?.line]),
    [
      ['UNSUPPORTED_SQL_SYNTAX', 1],
      ['UNSUPPORTED_SQL_SYNTAX', 3],
      ['SQL_SYNTAX_ERROR', 6],
      ['LEGACY_MODE_INVALID_SETTING', 7],
    ],
  );
});

test('IDENTIFIER(…) names datasets, flows and their targets', async () => {
  const { definitions, errors } = await parse(`CREATE STREAMING TABLE IDENTIFIER('sch.events');
CREATE FLOW IDENTIFIER('f1') AS INSERT INTO IDENTIFIER('sch.events') BY NAME SELECT * FROM STREAM(src);
CREATE MATERIALIZED VIEW IDENTIFIER('\`odd name\`') AS SELECT 1 AS x;
CREATE MATERIALIZED VIEW IDENTIFIER('bad') AS SELECT nope(1) AS x`);
  assert.deepEqual(
    definitions.datasets.map((d) => [d.name, d.schema]),
    [
      ['events', 'sch'],
      ['odd name', undefined],
      ['bad', undefined],
    ],
  );
  assert.deepEqual(
    definitions.flows.map((f) => [f.name, f.target]),
    [
      ['f1', 'sch.events'],
      ['odd name', 'odd name'],
    ],
  );
  assert.deepEqual(
    errors.map((e) => [e.code, e.dataset]),
    [['UNSUPPORTED_SPARK_FUNCTION', 'bad']],
  );
});
