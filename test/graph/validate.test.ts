import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors/index.ts';
import { validateDefinitions } from '../../src/graph/index.ts';
import { session } from '../helpers/session.ts';
import { dataset, def, defs, flow } from './model-builders.ts';

const codes = (list: readonly SluiceError[]) => list.map((e) => e.code);

test('plan orders datasets and flows topologically, ties by definition order', async () => {
  const r = await validateDefinitions(
    defs(
      def('materialized_view', 'report', 1, ['silver_a', 'silver_b']),
      def('streaming_table', 'silver_b', 2, ['STREAM bronze']),
      def('streaming_table', 'bronze', 3, [{ files: 'data/*.json' }]),
      def('streaming_table', 'silver_a', 4, ['STREAM bronze']),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.graph.plan.datasets, ['bronze', 'silver_b', 'silver_a', 'report']);
  assert.deepEqual(r.graph.plan.flows, ['bronze', 'silver_b', 'silver_a', 'report']);
  assert.deepEqual(
    r.graph.edges.map((e) => `${e.input}->${e.target}${e.streaming ? ' (stream)' : ''}`).sort(),
    ['bronze->silver_a (stream)', 'bronze->silver_b (stream)', 'silver_a->report', 'silver_b->report'],
  );
  assert.equal(r.valid, true);
  assert.deepEqual(codes(r.warnings), [
    'MISSING_EXPECTATIONS',
    'MISSING_EXPECTATIONS',
    'MISSING_EXPECTATIONS',
  ]);
});

test('CIRCULAR_DEPENDENCY lists the cycle once; its readers are downstream, not root errors', async () => {
  const r = await validateDefinitions(
    defs(
      def('materialized_view', 'a', 1, ['b']),
      def('materialized_view', 'b', 2, ['c']),
      def('materialized_view', 'c', 3, ['a']),
      def('materialized_view', 'd', 4, ['c']),
      def('materialized_view', 'e', 5, ['d']),
      def('materialized_view', 'ok', 6, []),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['CIRCULAR_DEPENDENCY']);
  assert.equal(r.errors[0]!.dataset, 'a');
  assert.deepEqual(r.errors[0]!.params.cycle, ['a', 'b', 'c', 'a']);
  assert.match(r.errors[0]!.message, /a → b → c → a/);
  assert.deepEqual(
    r.downstream.map((e) => [e.code, e.dataset, e.params.upstream]),
    [
      ['UPSTREAM_FAILED', 'd', ['c']],
      ['UPSTREAM_FAILED', 'e', ['d']],
    ],
  );
  assert.deepEqual(r.graph.plan.datasets, ['ok']);
  assert.equal(r.valid, false);
});

test('a self-reading streaming table is a cycle', async () => {
  const r = await validateDefinitions(defs(def('streaming_table', 's', 1, ['STREAM s'])), {
    sql: session.sql,
  });
  assert.deepEqual(codes(r.errors), ['CIRCULAR_DEPENDENCY']);
  assert.deepEqual(r.errors[0]!.params.cycle, ['s', 's']);
});

test('DATASET_NOT_DEFINED suggests the closest name and points at the input', async () => {
  const r = await validateDefinitions(
    defs(
      def('streaming_table', 'bronze_events', 1, [{ files: 'x' }]),
      def('materialized_view', 'stats', 7, ['bronze_evnts']),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['DATASET_NOT_DEFINED']);
  const e = r.errors[0]!;
  assert.equal(e.dataset, 'stats');
  assert.equal(e.params.suggestion, 'bronze_events');
  assert.match(e.message, /did you mean 'bronze_events'/);
  assert.deepEqual(e.location, { file: 'q.sql', line: 100 });
  // nothing far away is suggested
  const r2 = await validateDefinitions(defs(def('materialized_view', 'stats', 7, ['zzz_totally_else'])), {
    sql: session.sql,
  });
  assert.equal(r2.errors[0]!.params.suggestion, undefined);
});

test('DUPLICATE_GRAPH_ELEMENT for datasets and for flows, reported at the second definition', async () => {
  const r = await validateDefinitions(
    defs(
      def('streaming_table', 'x', 1, [{ files: 'a' }]),
      def('streaming_table', 'x', 9, [{ files: 'b' }]),
      def('streaming_table', 't', 10, [{ files: 'c' }]),
      flow('f', 't', [{ files: 'd' }], 'append'),
      flow('f', 't', [{ files: 'e' }], 'append'),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['DUPLICATE_GRAPH_ELEMENT', 'DUPLICATE_GRAPH_ELEMENT']);
  assert.deepEqual(
    [r.errors[0]!.dataset, r.errors[0]!.location?.line, r.errors[0]!.params.element],
    ['x', 9, 'dataset'],
  );
  assert.deepEqual([r.errors[1]!.params.name, r.errors[1]!.params.element], ['f', 'flow']);
});

test('PIPELINE_DATASET_WITHOUT_FLOW; an append flow satisfies a streaming table', async () => {
  const r = await validateDefinitions(
    defs(
      dataset('streaming_table', 'lonely', 4),
      dataset('streaming_table', 'fed', 5),
      flow('feed', 'fed', [{ files: 'x' }], 'append'),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['PIPELINE_DATASET_WITHOUT_FLOW']);
  assert.deepEqual([r.errors[0]!.dataset, r.errors[0]!.location?.line], ['lonely', 4]);
});

test('MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES', async () => {
  const r = await validateDefinitions(
    defs(
      def('streaming_table', 's', 1, [{ files: 'x' }]),
      def('materialized_view', 'mv', 2, ['s']),
      flow('more', 'mv', ['s'], 'append'),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['MATERIALIZED_VIEW_WITH_MULTIPLE_QUERIES']);
  assert.equal(r.errors[0]!.dataset, 'mv');
});

test('BATCH_RELATION_FOR_STREAMING_TABLE; reading a streaming view counts as streaming; once flows may be batch', async () => {
  const r = await validateDefinitions(
    defs(
      def('streaming_table', 'src', 1, [{ files: 'x' }]),
      def('temporary_view', 'v', 2, ['STREAM src']),
      def('streaming_table', 'via_view', 3, ['STREAM v']),
      def('streaming_table', 'batchy', 4, ['src']),
      dataset('streaming_table', 'backfilled', 5),
      flow('backfill', 'backfilled', ['src'], 'append', { once: 'true' }),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['INVALID_FLOW_QUERY_TYPE.BATCH_RELATION_FOR_STREAMING_TABLE']);
  assert.deepEqual([r.errors[0]!.dataset, r.errors[0]!.location?.line], ['batchy', 4]);
  assert.equal(r.graph.flows.get('via_view')!.streaming, true);
});

test('STREAMING_RELATION_FOR_MATERIALIZED_VIEW; a plain read of a streaming view is INCOMPATIBLE_STREAMING_VIEW_READ', async () => {
  const r = await validateDefinitions(
    defs(
      def('streaming_table', 'src', 1, [{ files: 'x' }]),
      def('materialized_view', 'mv_direct', 2, ['STREAM src']),
      def('temporary_view', 'v', 3, ['STREAM src']),
      def('materialized_view', 'mv_view', 4, ['v']),
      def('materialized_view', 'mv_ok', 5, ['src']),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.dataset]),
    [
      ['INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW', 'mv_direct'],
      ['INCOMPATIBLE_STREAMING_VIEW_READ', 'mv_view'],
    ],
  );
});

test('INVALID_DATASET_NAME: path-like names never pass', async () => {
  const r = await validateDefinitions(
    defs(def('materialized_view', '../escape', 3, []), def('materialized_view', 'ok_name', 4, [])),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors), ['INVALID_DATASET_NAME']);
  assert.deepEqual([r.errors[0]!.dataset, r.errors[0]!.location?.line], ['../escape', 3]);
});

test('a dataset whose definition failed to load is failed upstream, not undefined', async () => {
  const broken = new SluiceError('SQL_SYNTAX_ERROR', 'syntax error at or near "SELEC"', {
    dataset: 'bronze',
    location: { file: 'b.sql', line: 2, column: 4 },
  });
  const r = await validateDefinitions(defs(def('streaming_table', 'silver', 1, ['STREAM bronze'])), {
    sql: session.sql,
    loadErrors: [broken],
  });
  assert.deepEqual(codes(r.errors), ['SQL_SYNTAX_ERROR']);
  assert.deepEqual(
    r.downstream.map((e) => [e.code, e.dataset]),
    [['UPSTREAM_FAILED', 'silver']],
  );
});

test('three independent mistakes are all reported, downstream separately', async () => {
  const r = await validateDefinitions(
    defs(
      def('streaming_table', 'bronze', 1, [{ files: 'x' }]),
      def('streaming_table', 'silver', 2, ['STREAM bronze_typo']),
      def('materialized_view', 'gold', 3, ['silver']),
      def('materialized_view', 'mv', 4, ['STREAM bronze']),
      dataset('streaming_table', 'empty', 5),
    ),
    { sql: session.sql },
  );
  assert.deepEqual(codes(r.errors).sort(), [
    'DATASET_NOT_DEFINED',
    'INVALID_FLOW_QUERY_TYPE.STREAMING_RELATION_FOR_MATERIALIZED_VIEW',
    'PIPELINE_DATASET_WITHOUT_FLOW',
  ]);
  assert.deepEqual(
    r.downstream.map((e) => e.dataset),
    ['gold'],
  );
});
