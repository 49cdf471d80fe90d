import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDefinitions } from '../../src/graph/index.ts';
import { session } from '../helpers/session.ts';

/** Validates SQL statements (over a few declared inputs) and returns the STREAMING_QUERY_NOT_SUPPORTED errors. */
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
    .filter((e) => e.code === 'STREAMING_QUERY_NOT_SUPPORTED')
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
  // Inside a view read as a stream.
  assert.deepEqual(
    await refused(
      'CREATE TEMPORARY VIEW v AS SELECT DISTINCT k FROM a;\nCREATE STREAMING TABLE t AS SELECT * FROM STREAM(v);',
    ),
    [{ dataset: 't', operation: 'distinct', line: 5 }],
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
