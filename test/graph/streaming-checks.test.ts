import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDefinitions } from '../../src/graph/index.ts';
import { session } from '../helpers/session.ts';

/**
 * Validates SQL statements (over a few declared inputs) and returns the STREAMING_QUERY_NOT_SUPPORTED
 * errors (and the stream–stream join refusals, STREAM_JOIN_*, see test/sql/stream-join.test.ts).
 */
async function refused(sql: string): Promise<{ dataset?: string; operation: unknown; line?: number }[]> {
  const base = `
CREATE STREAMING TABLE a AS SELECT * FROM STREAM read_files('x', format => 'json');
CREATE STREAMING TABLE b AS SELECT * FROM STREAM read_files('y', format => 'json');
CREATE MATERIALIZED VIEW dim AS SELECT * FROM read_files('z', format => 'json');
`;
  const parsed = await session.sql.parsePipelineSql(base + sql, { file: 'p.sql', configuration: {} });
  assert.deepEqual(parsed.errors, []);
  const v = await validateDefinitions(parsed.definitions, { sql: session.sql });
  return v.errors
    .filter((e) => e.code === 'STREAMING_QUERY_NOT_SUPPORTED' || e.code.startsWith('STREAM_JOIN_'))
    .map((e) => ({
      ...(e.dataset ? { dataset: e.dataset } : {}),
      operation: e.params.operation,
      line: e.location?.line,
    }));
}

test('a streaming table whose query needs state across micro-batches is refused at validate', async () => {
  assert.deepEqual(
    await refused('CREATE STREAMING TABLE t AS SELECT k, count(*) AS n FROM STREAM(a) GROUP BY k;'),
    [{ dataset: 't', operation: 'aggregate', line: 5 }],
  );
  assert.deepEqual(await refused('CREATE STREAMING TABLE t AS SELECT count(*) AS n FROM STREAM(a);'), [
    { dataset: 't', operation: 'aggregate', line: 5 },
  ]);
  assert.deepEqual(await refused('CREATE STREAMING TABLE t AS SELECT DISTINCT k FROM STREAM(a);'), [
    { dataset: 't', operation: 'distinct', line: 5 },
  ]);
  assert.deepEqual(
    await refused('CREATE STREAMING TABLE t AS SELECT * FROM STREAM(a) JOIN STREAM(b) USING (k);'),
    [{ dataset: 't', operation: 'join', line: 5 }],
  );
  assert.deepEqual(
    await refused('CREATE STREAMING TABLE t AS SELECT * FROM dim LEFT JOIN STREAM(a) USING (k);'),
    [{ dataset: 't', operation: 'join', line: 5 }],
  );
  assert.deepEqual(
    (
      await refused(
        'CREATE STREAMING TABLE t AS SELECT k, row_number() OVER (ORDER BY k) AS r FROM STREAM(a) ORDER BY k LIMIT 5;',
      )
    )
      .map((e) => e.operation)
      .sort(),
    ['limit', 'order', 'window'],
  );
  // Inside a streaming view the table reads.
  assert.deepEqual(
    await refused(
      'CREATE TEMPORARY VIEW v AS SELECT DISTINCT k FROM STREAM(a);\nCREATE STREAMING TABLE t AS SELECT * FROM STREAM(v);',
    ),
    [{ dataset: 't', operation: 'distinct', line: 5 }],
  );
});

test('a streaming view joining a stream with a table is a stream-static join, not two streams', async () => {
  assert.deepEqual(
    await refused(`
CREATE TEMPORARY VIEW v AS SELECT s.*, d.name FROM STREAM(a) s JOIN dim d USING (k);
CREATE STREAMING TABLE t AS SELECT * FROM STREAM(v);`),
    [],
  );
  // Aggregating the batch side inside the view needs no state either.
  assert.deepEqual(
    await refused(`
CREATE TEMPORARY VIEW v AS SELECT s.k, g.n FROM STREAM(a) s JOIN (SELECT k, count(*) AS n FROM dim GROUP BY k) g USING (k);
CREATE STREAMING TABLE t AS SELECT * FROM STREAM(v);`),
    [],
  );
});

test('a view is read the way it is defined: STREAM only for a view whose query streams', async () => {
  const base = `
CREATE STREAMING TABLE a AS SELECT * FROM STREAM read_files('x', format => 'json');
CREATE MATERIALIZED VIEW dim AS SELECT * FROM read_files('z', format => 'json');
CREATE TEMPORARY VIEW batch_v AS SELECT * FROM dim;
CREATE TEMPORARY VIEW stream_v AS SELECT * FROM STREAM(a);
`;
  const codes = async (sql: string) => {
    const parsed = await session.sql.parsePipelineSql(base + sql, { file: 'p.sql', configuration: {} });
    const v = await validateDefinitions(parsed.definitions, { sql: session.sql });
    return v.errors.map((e) => [e.code, e.dataset, e.location?.line, e.params.view]);
  };
  assert.deepEqual(await codes('CREATE STREAMING TABLE t AS SELECT * FROM STREAM(batch_v);'), [
    ['INCOMPATIBLE_BATCH_VIEW_READ', 't', 6, 'batch_v'],
  ]);
  assert.deepEqual(await codes('CREATE STREAMING TABLE t AS SELECT * FROM stream_v;'), [
    ['INCOMPATIBLE_STREAMING_VIEW_READ', 't', 6, 'stream_v'],
  ]);
  assert.deepEqual(
    await codes(
      'CREATE STREAMING TABLE t AS SELECT * FROM STREAM(stream_v);\nCREATE MATERIALIZED VIEW m AS SELECT * FROM batch_v;',
    ),
    [],
  );
});

test('stateless streaming queries, batch aggregates and one-time flows are fine', async () => {
  assert.deepEqual(
    await refused(`
CREATE STREAMING TABLE t1 AS SELECT a.*, d.name FROM STREAM(a) a JOIN dim d USING (k);
CREATE STREAMING TABLE t2 AS SELECT * FROM STREAM(a) LEFT JOIN dim USING (k);
CREATE STREAMING TABLE t3 AS SELECT s.k, g.n FROM STREAM(a) s JOIN (SELECT k, count(*) AS n FROM dim GROUP BY k) g USING (k);
CREATE STREAMING TABLE t4 AS SELECT k FROM STREAM(a) UNION ALL SELECT k FROM STREAM(b);
CREATE MATERIALIZED VIEW m AS SELECT k, count(*) AS n FROM a GROUP BY k ORDER BY k LIMIT 3;
CREATE STREAMING TABLE t5;
CREATE FLOW once AS INSERT INTO ONCE t5 BY NAME SELECT k, count(*) AS n FROM a GROUP BY k;`),
    [],
  );
});

test('a windowed aggregation of a watermarked stream is a streaming_aggregate flow; what Spark refuses in append mode stays refused', async () => {
  const wm = 'FROM STREAM(a) WATERMARK ts DELAY OF INTERVAL 10 SECONDS';
  assert.deepEqual(
    await refused(
      `CREATE STREAMING TABLE t AS SELECT window(ts, '1 minute') AS w, k, count(*) AS n ${wm} GROUP BY w, k;`,
    ),
    [],
  );
  const parsed = await session.sql.parsePipelineSql(
    `CREATE STREAMING TABLE a AS SELECT * FROM STREAM read_files('x', format => 'json');
CREATE STREAMING TABLE t AS SELECT window(ts, '1 minute') AS w, count(*) AS n ${wm} GROUP BY 1;`,
    { file: 'p.sql', configuration: {} },
  );
  const v = await validateDefinitions(parsed.definitions, { sql: session.sql });
  assert.deepEqual(
    v.graph.execution?.flows.map((f) => f.kind),
    ['streaming_append', 'streaming_aggregate'],
  );
  // No window on the event time: a group never closes (Spark refuses append mode).
  assert.deepEqual(await refused(`CREATE STREAMING TABLE t AS SELECT k, count(*) AS n ${wm} GROUP BY k;`), [
    { dataset: 't', operation: 'aggregate', line: 5 },
  ]);
  // Aggregates not kept in state yet (count(DISTINCT k) is: its sets are kept), DISTINCT over a
  // watermarked stream, two watermarked streams.
  assert.deepEqual(
    await refused(
      `CREATE STREAMING TABLE t AS SELECT window(ts, '1 minute') AS w, sum(DISTINCT k) AS n ${wm} GROUP BY w;`,
    ),
    [{ dataset: 't', operation: 'aggregate', line: 5 }],
  );
  assert.deepEqual(
    await refused(
      `CREATE STREAMING TABLE t AS SELECT window(ts, '1 minute') AS w, count(DISTINCT k) AS n ${wm} GROUP BY w;`,
    ),
    [],
  );
  // DISTINCT keeps the rows seen until the watermark passes their event time: it must be a column.
  assert.deepEqual(await refused(`CREATE STREAMING TABLE t AS SELECT DISTINCT k ${wm};`), [
    { dataset: 't', operation: 'distinct', line: 5 },
  ]);
  assert.deepEqual(await refused(`CREATE STREAMING TABLE t AS SELECT DISTINCT k, ts ${wm};`), []);
  assert.deepEqual(await refused(`CREATE STREAMING TABLE t AS SELECT DISTINCT * ${wm};`), []);
  assert.equal(
    (
      await refused(
        `CREATE STREAMING TABLE t AS SELECT window(a.ts, '1 minute') AS w, count(*) AS n ${wm} JOIN STREAM(b) WATERMARK ts DELAY OF INTERVAL 1 SECOND ON a.k = b.k GROUP BY w;`,
      )
    ).length > 0,
    true,
  );
});
