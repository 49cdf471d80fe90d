// The Python front end (tree-sitter) and the rules read from Python code: ST-01, ST-03, ST-06,
// RSS-DEBUG-CODE, and ST-02 / SDP-CDF over Python datasets.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { lintPipelines, Session, validatePipeline } from '../../src/index.ts';
import { lintPython } from '../../src/lint/python-rules.ts';
import { findPythonDefinitions, PythonParser } from '../../src/python/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { NEEDS_REFERENCE, sample } from './reference-samples.ts';

let parser: PythonParser;
const session = new Session();
before(async () => {
  parser = await PythonParser.open();
});
after(async () => {
  parser.close();
  await session.close();
});

const rules = (source: string, file = '/repo/src/job.py') =>
  lintPython(parser.parse(source), file).findings.map((f) => `${f.line}:${f.column} ${f.rule}`);

test('findPythonDefinitions: decorators, create_streaming_table, append and CDC flows, imports as dp', () => {
  const m = parser.parse(`from pyspark import pipelines as dp

@dp.table(name="orders_bronze", table_properties={"quality": "bronze", "delta.enableChangeDataFeed": True})
@dp.expect_or_drop("valid_id", "id IS NOT NULL")
def bronze():
    return spark.readStream.format("cloudFiles").load("/data/orders")

@dp.materialized_view
def order_totals():
    return spark.read.table("orders_bronze").groupBy("customer").count()

@dp.temporary_view()
def recent():
    return dp.read("order_totals")

dp.create_streaming_table("orders_all", expect_all_or_fail={"has_id": "id IS NOT NULL"})

@dp.append_flow(target="orders_all")
def from_bronze():
    return dp.read_stream("orders_bronze")

dp.create_auto_cdc_flow(target="customers", source="customers_cdc", keys=["id"], sequence_by="ts")
`);
  const d = findPythonDefinitions(m);
  assert.equal(d.usesPipelineApi, true);
  assert.deepEqual(
    d.datasets.map((x) => [
      x.name,
      x.kind,
      x.api,
      x.position.line,
      x.expectations.map((e) => `${e.name}:${e.action}`),
    ]),
    [
      ['orders_bronze', 'streaming_table', 'table', 3, ['valid_id:drop']],
      ['order_totals', 'materialized_view', 'materialized_view', 8, []],
      ['recent', 'temporary_view', 'temporary_view', 12, []],
      ['orders_all', 'streaming_table', 'create_streaming_table', 16, ['has_id:fail']],
    ],
  );
  assert.deepEqual(d.datasets[0]!.properties, { quality: 'bronze', 'delta.enableChangeDataFeed': 'true' });
  assert.deepEqual(d.datasets[1]!.reads, [{ name: 'orders_bronze', streaming: false, line: 10 }]);
  assert.deepEqual(
    d.flows.map((f) => [
      f.name,
      f.target,
      f.api,
      f.reads.map((r) => `${r.name}${r.streaming ? ' (stream)' : ''}`),
    ]),
    [
      ['from_bronze', 'orders_all', 'append_flow', ['orders_bronze (stream)']],
      ['customers', 'customers', 'create_auto_cdc_flow', ['customers_cdc (stream)']],
    ],
  );
});

test('findPythonDefinitions: the complete reference pipeline, dlt imported, names from name= or the function', {
  skip: NEEDS_REFERENCE,
}, () => {
  // lines of the sample (its line 1 is reference line 373)
  const d = findPythonDefinitions(parser.parse(sample('Bronze to Silver').text));
  assert.deepEqual(
    d.datasets.map((x) => [x.name, x.kind, x.position.line, x.expectations.length]),
    [
      ['silver_events', 'streaming_table', 18, 4],
      ['quarantine_events', 'streaming_table', 54, 0],
      ['silver_event_hourly_stats', 'materialized_view', 84, 0],
    ],
  );
  const other = findPythonDefinitions(
    parser.parse('import dlt as pipelines\n\n@pipelines.view\ndef v():\n    return 1\n'),
  );
  assert.deepEqual(
    other.datasets.map((x) => [x.name, x.kind]),
    [['v', 'temporary_view']],
  );
  const none = findPythonDefinitions(parser.parse('import table\n\n@table.thing\ndef f():\n    pass\n'));
  assert.deepEqual(none, { datasets: [], flows: [], usesPipelineApi: false });
});

test('ST-01: a stream writer outside the pipeline API, once per statement; pipeline readStream is fine', () => {
  assert.deepEqual(
    rules(`df = spark.readStream.format("kafka").load()
query = (df.writeStream
  .format("delta")
  .option("checkpointLocation", "/chk/a")
  .toTable("events"))
`),
    ['2:13 ST-01'],
  );
  assert.deepEqual(rules('display(spark.readStream.table("events"))\n'), [
    '1:15 ST-01',
    '1:1 RSS-DEBUG-CODE',
  ]);
  assert.deepEqual(
    rules(`import dlt

@dlt.table
def bronze():
    return spark.readStream.format("cloudFiles").option("cloudFiles.format", "json").load("/in")
`),
    [],
  );
});

test('ST-03: checkpointLocation in pipeline code, or missing on a started raw stream', () => {
  assert.deepEqual(
    rules(`import dlt

@dlt.table
def bronze():
    return spark.readStream.option("checkpointLocation", "/chk").table("raw")
`),
    ['5:12 ST-03'],
  );
  assert.deepEqual(rules('import dlt\nspark.conf.set("spark.sql.streaming.checkpointLocation", "/chk")\n'), [
    '2:1 ST-03',
  ]);
  assert.deepEqual(rules('spark.readStream.table("a").writeStream.toTable("b")\n'), [
    '1:7 ST-01',
    '1:29 ST-03',
  ]);
  assert.deepEqual(
    rules('spark.readStream.table("a").writeStream.start(path="/x", checkpointLocation="/chk")\n'),
    ['1:7 ST-01'],
  );
  // a writer that is not started here cannot be judged
  assert.deepEqual(rules('w = spark.readStream.table("a").writeStream.format("delta")\n'), ['1:11 ST-01']);
});

test('ST-06: foreachBatch functions must MERGE (directly, through a helper, or DeltaTable.merge) or write with txnVersion', () => {
  const stream = (fn: string) => `(spark.readStream.table("a").writeStream.foreachBatch(${fn})
  .option("checkpointLocation", "/chk").start())
`;
  assert.deepEqual(
    rules(`def append(batch_df, batch_id):
    batch_df.write.mode("append").saveAsTable("t")

${stream('append')}`),
    ['4:8 ST-01', '4:55 ST-06'],
  );
  assert.deepEqual(rules(stream('lambda df, i: df.write.saveAsTable("t")')), ['1:8 ST-01', '1:55 ST-06']);
  for (const ok of [
    `def upsert(df, i):\n    _merge(df)\n\ndef _merge(df):\n    df.sparkSession.sql(f"""\n      -- upsert\n      MERGE INTO {TARGET} t USING updates s ON t.id = s.id\n      WHEN MATCHED THEN UPDATE SET *""")\n\n${stream('upsert')}`,
    `def upsert(df, i):\n    DeltaTable.forName(spark, "t").alias("t").merge(df.alias("s"), "t.id = s.id").whenNotMatchedInsertAll().execute()\n\n${stream('upsert')}`,
    `def write(df, batch_id):\n    df.write.option("txnAppId", "app").option("txnVersion", batch_id).mode("append").saveAsTable("t")\n\n${stream('write')}`,
    `from helpers import upsert\n${stream('upsert')}`,
  ])
    assert.deepEqual(
      rules(ok).filter((r) => r.endsWith('ST-06')),
      [],
      ok,
    );
  // a MERGE in a comment of the SQL text is no MERGE
  assert.deepEqual(
    rules(
      `def w(df, i):\n    spark.sql("-- MERGE INTO t\\nINSERT INTO t SELECT * FROM updates")\n\n${stream('w')}`,
    ).filter((r) => r.endsWith('ST-06')),
    ['4:55 ST-06'],
  );
});

test('RSS-DEBUG-CODE: display, show, count and collect in production code; grouped count and test files are fine', () => {
  assert.deepEqual(
    rules(`df = spark.table("t")
display(df)
df.show(5)
n = df.count()
rows = df.collect()
agg = df.groupBy("k").count()
from pyspark.sql.functions import count, collect_list
x = df.agg(count("*"), collect_list("v"))
`),
    ['2:1 RSS-DEBUG-CODE', '3:4 RSS-DEBUG-CODE', '4:8 RSS-DEBUG-CODE', '5:11 RSS-DEBUG-CODE'],
  );
  assert.deepEqual(rules('display(df)\nprint(df.count())\n', '/repo/tests/test_silver.py'), []);
  assert.deepEqual(rules('display(df)\n', '/repo/src/test_silver.py'), []);
});

test('Python datasets in a loose file: ST-02 for streaming tables without expectations, SDP-CDF for tables others read', async () => {
  const dir = tmpDir('lint-python-datasets');
  writeFiles(dir, {
    'bronze.py': `import dlt

@dlt.table
def bronze():
    return spark.readStream.format("cloudFiles").load("/in")

@dlt.table(name="silver")
@dlt.expect("has_id", "id IS NOT NULL")
def silver():
    return dlt.read_stream("bronze")

@dlt.table(name="events_quarantine")
def quarantined():
    return dlt.read_stream("bronze").where("id IS NULL")
`,
  });
  const r = await lintPipelines([], { cwd: dir, session });
  assert.deepEqual(
    r.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`),
    [
      "bronze.py:3 SDP-CDF table 'bronze' is read by 'events_quarantine', 'silver' but does not enable the change data feed",
      "bronze.py:3 ST-02 streaming table 'bronze' declares no expectations",
    ],
  );
});

test('a file with a syntax error is still read as far as it parses', () => {
  const m = parser.parse(
    'import dlt\n@dlt.table(\ndef broken(:\n  pass\n\n(spark.readStream.table("a").writeStream.toTable("b"))\n',
  );
  assert.equal(m.hasErrors, true);
  assert.ok(rules('(spark.readStream.table("a").writeStream.toTable("b"))\ndef (:\n').includes('1:8 ST-01'));
});

test('validate names each dataset a Python library defines, at its line; SQL readers of them are downstream, not undefined', async () => {
  const dir = tmpDir('lint-py-validate');
  writeFiles(dir, {
    'databricks.yml':
      'bundle:\n  name: nb\nresources:\n  pipelines:\n    p:\n      name: nb\n      libraries:\n        - file:\n            path: src/silver.py\n        - file:\n            path: src/gold.sql\n        - file:\n            path: src/helpers.py\n',
    'src/silver.py':
      'import dlt\n\n@dlt.table(name="silver_events")\n@dlt.expect("id", "id IS NOT NULL")\ndef silver_events():\n    return dlt.read_stream("bronze")\n\n@dlt.view\ndef helper():\n    return spark.range(3)\n',
    'src/helpers.py': 'def clean(df):\n    return df\n',
    'src/gold.sql': 'CREATE MATERIALIZED VIEW gold AS SELECT count(*) AS n FROM silver_events;\n',
  });
  const v = await validatePipeline(dir, { session });
  assert.equal(v.valid, false);
  assert.deepEqual(
    v.errors.map((e) => [e.code, e.dataset, `${e.location?.file}:${e.location?.line}`]),
    [
      ['PYTHON_LIBRARY_NOT_SUPPORTED', undefined, 'src/helpers.py:1'],
      ['PYTHON_LIBRARY_NOT_SUPPORTED', 'silver_events', 'src/silver.py:3'],
      ['PYTHON_LIBRARY_NOT_SUPPORTED', 'helper', 'src/silver.py:8'],
    ],
  );
  assert.match(
    v.errors[1]!.message,
    /^streaming table 'silver_events' is defined in Python \(src\/silver\.py\)/,
  );
  assert.deepEqual(
    v.downstream.map((e) => [e.code, e.dataset]),
    [['UPSTREAM_FAILED', 'gold']],
  );
});
