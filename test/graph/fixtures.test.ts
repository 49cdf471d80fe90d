import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { SluiceError } from '../../src/errors/index.ts';
import type { ValidationResult } from '../../src/graph/index.ts';
import { validatePipeline } from '../../src/index.ts';
import { ROOT } from '../helpers/tmp.ts';

const PIPELINES = join(ROOT, 'test', 'fixtures', 'pipelines');
const validate = (name: string) => validatePipeline(join(PIPELINES, name));
const brief = (e: SluiceError) => [e.code, e.dataset, e.location?.file, e.location?.line];

function datasetSummary(r: ValidationResult) {
  const g = r.graph!;
  return Object.fromEntries(
    g.plan.datasets.map((n) => {
      const d = g.datasets.get(n)!;
      const deps = [
        ...new Set(
          g.edges.filter((e) => e.target === n).map((e) => `${e.streaming ? 'STREAM ' : ''}${e.input}`),
        ),
      ];
      return [n, { kind: d.kind, deps, expectations: d.expectations.map((x) => `${x.name}:${x.action}`) }];
    }),
  );
}

test('reference SQL example validates with kinds, dependencies and actions', async () => {
  const r = await validate('reference-sql');
  assert.deepEqual(
    r.errors.map((e) => e.format()),
    [],
  );
  assert.equal(r.valid, true);
  assert.deepEqual(datasetSummary(r), {
    bronze_events: { kind: 'streaming_table', deps: [], expectations: ['has_event_id:warn'] },
    silver_events: {
      kind: 'streaming_table',
      deps: ['STREAM bronze_events'],
      expectations: [
        'valid_event_id:warn',
        'valid_timestamp:warn',
        'valid_user_id:drop',
        'valid_amount:fail',
      ],
    },
  });
  assert.deepEqual(r.warnings, []);
});

test('reference Python examples rewritten in TypeScript validate', async () => {
  const r = await validate('reference-ts');
  assert.deepEqual(
    r.errors.map((e) => e.format()),
    [],
  );
  const s = datasetSummary(r);
  assert.deepEqual(s.silver_events, {
    kind: 'streaming_table',
    deps: ['STREAM bronze_events'],
    expectations: ['valid_event_id:warn', 'valid_timestamp:warn', 'valid_user_id:drop', 'valid_amount:fail'],
  });
  assert.deepEqual(s.silver_transactions, {
    kind: 'streaming_table',
    deps: ['STREAM bronze_transactions'],
    expectations: [
      'valid_transaction_id:drop',
      'valid_customer_id:drop',
      'valid_amount:drop',
      'valid_currency:drop',
    ],
  });
  assert.deepEqual(s.silver_orders?.expectations, [
    'valid_order_id:drop',
    'valid_customer:drop',
    'valid_total:drop',
  ]);
  assert.deepEqual(s.quarantine_orders, {
    kind: 'streaming_table',
    deps: ['STREAM bronze_orders'],
    expectations: [],
  });
  // rule ST-02: the quarantine table keeps failing rows on purpose, so it needs no expectations
  assert.deepEqual(r.warnings.map(brief), []);
  const props = r.graph!.datasets.get('silver_events')!;
  assert.equal(props.properties['delta.enableChangeDataFeed'], 'true');
  assert.equal(props.language, 'ts');
  assert.deepEqual(props.location, { file: 'transformations/silver.ts', line: 4, column: 1 });
});

test('reference complete pipeline in TypeScript: quarantine_events and the hourly stats MV', async () => {
  const r = await validate('reference-ts-complete');
  assert.deepEqual(
    r.errors.map((e) => e.format()),
    [],
  );
  const s = datasetSummary(r);
  assert.deepEqual(Object.keys(s), [
    'bronze_events',
    'silver_events',
    'quarantine_events',
    'silver_event_hourly_stats',
  ]);
  assert.deepEqual(s.silver_events?.expectations, [
    'event_id_not_null:warn',
    'valid_event_type:warn',
    'valid_user_id:drop',
    'valid_timestamp:fail',
  ]);
  assert.deepEqual(s.quarantine_events?.deps, ['STREAM bronze_events']);
  assert.deepEqual(s.silver_event_hourly_stats, {
    kind: 'materialized_view',
    deps: ['silver_events'],
    expectations: [],
  });
  // ctx.conf reached the query
  assert.match(r.graph!.flows.get('quarantine_events')!.flow.query.source, /'silver' AS quarantine_schema/);
});

const CASES: [string, string, string, string, number][] = [
  ['circular-dependency', 'CIRCULAR_DEPENDENCY', 'a', 'transformations/cycle.sql', 2],
  ['dataset-not-defined', 'DATASET_NOT_DEFINED', 'stats', 'transformations/stats.ts', 4],
  ['duplicate-graph-element', 'DUPLICATE_GRAPH_ELEMENT', 'bronze', 'transformations/b_again.ts', 3],
  ['dataset-without-flow', 'PIPELINE_DATASET_WITHOUT_FLOW', 'sink', 'transformations/sink.ts', 3],
  ['mv-multiple-queries', 'MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES', 'totals', 'transformations/mv.sql', 8],
  [
    'batch-for-streaming-table',
    'INVALID_FLOW_QUERY_TYPE.BATCH_RELATION_FOR_STREAMING_TABLE',
    'silver',
    'transformations/st.sql',
    6,
  ],
  [
    'streaming-for-mv',
    'INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW',
    'counts',
    'transformations/mv.ts',
    3,
  ],
  ['duplicate-expectation-name', 'DUPLICATE_EXPECTATION_NAME', 'silver', 'transformations/silver.ts', 6],
  ['invalid-dataset-name', 'INVALID_DATASET_NAME', '../../etc/escape', 'transformations/escape.ts', 3],
];

for (const [fixture, code, dataset, file, line] of CASES) {
  test(`${code}: fixture ${fixture} reports code, dataset and line`, async () => {
    const r = await validate(`errors/${fixture}`);
    assert.equal(r.valid, false);
    assert.deepEqual(r.errors.map(brief), [[code, dataset, file, line]]);
  });
}

test('INVALID_EXPECTATION: unknown column (SQL) and unparsable expression (TS)', async () => {
  const r = await validate('errors/invalid-expectation');
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.dataset, e.params.expectation, e.location?.file, e.location?.line]),
    [
      ['INVALID_EXPECTATION', 'silver', 'valid_amount', 'transformations/b_silver.sql', 3],
      ['INVALID_EXPECTATION', 'gold', 'broken', 'transformations/c_gold.ts', 4],
    ],
  );
  assert.deepEqual(r.errors[0]!.params.columns, ['amount']);
});

test('MISSING_EXPECTATIONS is a warning: the pipeline stays valid', async () => {
  const r = await validate('errors/missing-expectations');
  assert.equal(r.valid, true);
  assert.deepEqual(r.warnings.map(brief), [
    ['MISSING_EXPECTATIONS', 'bronze', 'transformations/bronze.sql', 1],
  ]);
});

test('three independent mistakes are all reported; their readers are downstream notes', async () => {
  const r = await validate('errors/three-mistakes');
  assert.deepEqual(r.errors.map(brief), [
    ['DATASET_NOT_DEFINED', 'silver', 'transformations/b_silver.sql', 5],
    [
      'INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW',
      'live_counts',
      'transformations/c_more.ts',
      4,
    ],
    ['DUPLICATE_EXPECTATION_NAME', 'audit', 'transformations/c_more.ts', 8],
  ]);
  assert.deepEqual(
    r.downstream.map((e) => [e.code, e.dataset]),
    [['UPSTREAM_FAILED', 'gold']],
  );
});
