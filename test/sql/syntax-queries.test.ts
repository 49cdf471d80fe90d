import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rejects } from '../helpers/errors.ts';
import { session } from '../helpers/session.ts';
import { rows, runBound } from './helpers.ts';

// Spark SQL syntax at the query level: star clauses, relations, names DuckDB reserves, and the
// syntax sluice refuses with a code naming the construct and the user's line.

const placed = { location: { file: 'f.sql', line: 3, column: 1 } };

/** Compiles a query over one input `t` and runs it with `t` bound to `relation`. */
async function over(sql: string, relation: string): Promise<Record<string, unknown>[]> {
  const q = await session.sql.compileQuery(sql);
  return runBound(
    q.sql,
    q.inputs.map(() => relation),
  );
}

const T = "SELECT 1 AS id, 'x' AS s, 2 AS n, {'a': {'b': 1, 'c': 2}} AS st";

test('SELECT * EXCEPT (…) and t.* EXCEPT (t.…) drop columns', async () => {
  assert.deepEqual(await over('SELECT * EXCEPT (s, st) FROM t', T), [{ id: 1, n: 2 }]);
  assert.deepEqual(await over('SELECT t.* EXCEPT (t.id, n) FROM t', T), [
    { s: 'x', st: { a: { b: 1, c: 2 } } },
  ]);
  assert.deepEqual(await over('SELECT x.* EXCEPT (x.s, st) FROM t AS x', T), [{ id: 1, n: 2 }]);
  // A set operation after `*` is not an EXCEPT list.
  const q = await session.sql.compileQuery('SELECT * FROM a EXCEPT SELECT * FROM b');
  assert.equal(q.inputs.length, 2);
  // Excluding a field of a struct column is refused, naming it, at the user's line.
  const err = await rejects(session.sql.compileQuery('SELECT *\n  EXCEPT (st.a) FROM t', placed));
  assert.equal(err.code, 'UNSUPPORTED_SQL_SYNTAX');
  assert.equal(err.params.construct, '* EXCEPT');
  assert.match(err.message, /st\.a/);
  assert.equal(err.location?.file, 'f.sql');
  assert.equal(err.location?.line, 3);
  const deep = await rejects(session.sql.compileQuery('SELECT * EXCEPT (a.b.c) FROM t'));
  assert.equal(deep.code, 'UNSUPPORTED_SQL_SYNTAX');
});

test('struct stars, struct fields and parenthesized relations', async () => {
  assert.deepEqual(await over('SELECT st.a.* FROM t', T), [{ b: 1, c: 2 }]);
  assert.deepEqual(await over('SELECT id, t.st.a.* FROM t', T), [{ id: 1, b: 1, c: 2 }]);
  assert.deepEqual(await over('SELECT st.a.b, t.st.a.c AS c FROM t', T), [{ b: 1, c: 2 }]);
  assert.deepEqual(await over('SELECT LIVE.t.* FROM LIVE.t', 'SELECT 1 AS id'), [{ id: 1 }]);
  assert.deepEqual(await over('SELECT id FROM (t)', T), [{ id: 1 }]);
  assert.deepEqual(await over('SELECT x.id FROM (t) AS x JOIN (t) y ON x.id = y.id', T), [{ id: 1 }]);
});

test('names DuckDB reserves are column names where Spark reads them so', async () => {
  const rel = 'SELECT 1 AS "offset", 2 AS "window", 3 AS "desc", \'l\' AS "left"';
  assert.deepEqual(await over('SELECT offset, desc, left FROM t ORDER BY desc LIMIT 5 OFFSET 0', rel), [
    { offset: 1, desc: 3, left: 'l' },
  ]);
  assert.deepEqual(await over('SELECT t.offset + 1 AS o, window FROM t WHERE offset = 1', rel), [
    { o: 2, window: 2 },
  ]);
  assert.deepEqual(await over('SELECT id AS offset FROM t', T), [{ offset: 1 }]);
  const q = await session.sql.compileQuery(
    "SELECT window.start FROM (SELECT named_struct('start', 1) AS window) WINDOW w AS (ORDER BY 1)",
  );
  assert.deepEqual(await rows(q.sql), [{ start: 1 }]);
  assert.deepEqual(await rows((await session.sql.compileQuery("SELECT trim(BOTH FROM '  a ') AS x")).sql), [
    { x: 'a' },
  ]);
});

test('range(…) is a table of BIGINT id; VALUES rows without parentheses; col1… names', async () => {
  const r = await session.sql.compileQuery('SELECT id FROM range(3)');
  assert.deepEqual(r.inputs, []);
  assert.deepEqual(await rows(r.sql), [{ id: '0' }, { id: '1' }, { id: '2' }]);
  assert.deepEqual(
    await rows((await session.sql.compileQuery('SELECT * FROM range(5, 1, -2) AS r(x)')).sql),
    [{ x: '5' }, { x: '3' }],
  );
  const [typed] = await rows(`SELECT typeof(id) AS t FROM (${r.sql})`);
  assert.equal(typed!.t, 'BIGINT');
  assert.deepEqual(await rows((await session.sql.compileQuery("SELECT * FROM VALUES 'a', 'b' tab(x)")).sql), [
    { x: 'a' },
    { x: 'b' },
  ]);
  assert.deepEqual(await rows((await session.sql.compileQuery('SELECT * FROM VALUES (1, 2), (3, -4)')).sql), [
    { col1: 1, col2: 2 },
    { col1: 3, col2: -4 },
  ]);
  assert.deepEqual(
    await rows((await session.sql.compileQuery('SELECT col2 FROM (VALUES (1, 2)) AS v')).sql),
    [{ col2: 2 }],
  );
});

test('grouping_id() means all GROUP BY columns; MINUS; LEFT SEMI / ANTI JOIN', async () => {
  const q = await session.sql.compileQuery(
    "SELECT name, grouping_id() AS g, sum(age) AS s FROM VALUES (2, 'Alice', 165), (5, 'Bob', 180) people(age, name, height) GROUP BY cube(name, height) ORDER BY g, name",
  );
  const out = await rows(`SELECT name, g::VARCHAR AS g, s::VARCHAR AS s FROM (${q.sql})`);
  assert.deepEqual(
    out.map((r) => [r.name, r.g, r.s]),
    [
      ['Alice', '0', '2'],
      ['Bob', '0', '5'],
      ['Alice', '1', '2'],
      ['Bob', '1', '5'],
      [null, '2', '2'],
      [null, '2', '5'],
      [null, '3', '7'],
    ],
  );
  assert.deepEqual(await rows((await session.sql.compileQuery('SELECT 1 AS x MINUS SELECT 2')).sql), [
    { x: 1 },
  ]);
  assert.deepEqual(await over('SELECT minus FROM t', 'SELECT 1 AS minus'), [{ minus: 1 }]);
  const semi = await session.sql.compileQuery('SELECT a.id FROM a LEFT SEMI JOIN b ON a.id = b.id');
  assert.deepEqual(await runBound(semi.sql, ['SELECT 1 AS id UNION ALL SELECT 2', 'SELECT 2 AS id']), [
    { id: 2 },
  ]);
  const anti = await session.sql.compileQuery('SELECT a.id FROM a LEFT ANTI JOIN b ON a.id = b.id');
  assert.deepEqual(await runBound(anti.sql, ['SELECT 1 AS id UNION ALL SELECT 2', 'SELECT 2 AS id']), [
    { id: 1 },
  ]);
});

test('LATERAL VIEW [OUTER] reads as a lateral join of the generator', async () => {
  const q = await session.sql.compileQuery(
    'SELECT id, x FROM t LATERAL VIEW explode(arr) e AS x LATERAL VIEW OUTER explode(arr) o AS y',
  );
  assert.match(q.sql, /LEFT JOIN/);
  const inner = await session.sql.compileQuery('SELECT id, x FROM t LATERAL VIEW explode(arr) e AS x');
  const outer = await session.sql.compileQuery('SELECT id, x FROM t LATERAL VIEW OUTER explode(arr) e AS x');
  const rel = 'SELECT 1 AS id, [10, 20] AS arr UNION ALL SELECT 2, []';
  const sorted = (r: Record<string, unknown>[]) => r.map((x) => `${x.id}:${x.x}`).sort();
  assert.deepEqual(sorted(await runBound(inner.sql, [rel])), ['1:10', '1:20']);
  assert.deepEqual(sorted(await runBound(outer.sql, [rel])), ['1:10', '1:20', '2:null']);
});

test('Spark syntax sluice does not translate: UNSUPPORTED_SQL_SYNTAX naming it, at the line', async () => {
  const cases: [string, string][] = [
    ['SELECT * FROM t PIVOT (sum(x) FOR y IN (1, 2))', 'PIVOT'],
    ['SELECT * FROM t TABLESAMPLE (10 PERCENT)', 'TABLESAMPLE'],
    ['FROM t |> SELECT x', '|>'],
    ['SELECT x FROM t SORT BY x', 'SORT BY'],
    ['SELECT x FROM t CLUSTER BY x', 'CLUSTER BY'],
    ['SELECT x, count(*) FROM t GROUP BY x WITH ROLLUP', 'WITH ROLLUP'],
    ['SELECT * FROM t VERSION AS OF 3', 'AS OF'],
    ["SELECT TRANSFORM(a) USING 'cat' FROM t", 'TRANSFORM'],
    ['SELECT IDENTIFIER(x) FROM t', 'IDENTIFIER'],
  ];
  for (const [sql, construct] of cases) {
    const err = await rejects(session.sql.compileQuery(`\n\n${sql}`, placed));
    assert.equal(err.code, 'UNSUPPORTED_SQL_SYNTAX', sql);
    assert.equal(err.params.construct, construct, sql);
    assert.equal(err.location?.line, 5, sql);
  }
  // DISTRIBUTE BY changes no result: dropped.
  assert.deepEqual(await over('SELECT id FROM t DISTRIBUTE BY id', T), [{ id: 1 }]);
  // IDENTIFIER('…') with a literal is the name.
  assert.deepEqual(await over("SELECT IDENTIFIER('id') FROM IDENTIFIER('t')", T), [{ id: 1 }]);
  // A genuine syntax error stays SQL_SYNTAX_ERROR at its place.
  const err = await rejects(session.sql.compileQuery('SELECT a FROM t\nWHERE AND x', placed));
  assert.equal(err.code, 'SQL_SYNTAX_ERROR');
  assert.equal(err.location?.line, 4);
});

test('WATERMARK col DELAY OF INTERVAL … on a streaming read is kept on the input; other forms are refused with a code (computed event times: event-time-expression.test.ts)', async () => {
  const q = await session.sql.compileQuery(
    'SELECT * FROM STREAM(events) WATERMARK ts DELAY OF INTERVAL 1 MINUTE 30 SECONDS AS e WHERE e.k > 0',
  );
  assert.deepEqual(q.inputs[0]?.watermark, { column: 'ts', delayMicros: 90_000_000 });
  assert.match(q.sql, /FROM __sluice_input_0 AS e WHERE/);
  const bare = await session.sql.compileQuery(
    "SELECT * FROM STREAM events WATERMARK `ts` DELAY OF INTERVAL '10' SECOND s",
  );
  assert.deepEqual(bare.inputs[0]?.watermark, { column: 'ts', delayMicros: 10_000_000 });
  const files = await session.sql.compileQuery(
    "SELECT * FROM STREAM read_files('d', format => 'json') WATERMARK ts DELAY OF INTERVAL 5 SECONDS",
  );
  assert.deepEqual(files.inputs[0]?.watermark, { column: 'ts', delayMicros: 5_000_000 });
  const month = await rejects(
    session.sql.compileQuery('SELECT * FROM STREAM(events) WATERMARK ts DELAY OF INTERVAL 1 MONTH', placed),
  );
  assert.equal(month.code, 'WATERMARK_DELAY_INVALID');
  assert.deepEqual(month.location, { file: 'f.sql', line: 3, column: 30 });
  const expr = await rejects(
    session.sql.compileQuery(
      'SELECT * FROM STREAM(events) WATERMARK to_timestamp(s) DELAY OF INTERVAL 1 SECOND',
    ),
  );
  assert.equal(expr.code, 'REQUIRES_EXPLICIT_NAME_IN_WATERMARK_CLAUSE');
  const batch = await rejects(
    session.sql.compileQuery('SELECT * FROM events WATERMARK ts DELAY OF INTERVAL 1 SECOND'),
  );
  assert.equal(batch.code, 'STREAMING_QUERY_NOT_SUPPORTED');
});

test('Java regular expressions RE2 lacks are refused when the query compiles, also after RLIKE', async () => {
  const err = await rejects(session.sql.compileQuery("SELECT s FROM t\nWHERE s RLIKE 'a(?=b)'", placed));
  assert.equal(err.code, 'UNSUPPORTED_REGEX');
  assert.match(err.message, /a\(\?=b\)/);
  assert.equal(err.location?.line, 4);
});

test('GROUP BY an expression the select list repeats, casts included, in a placed query', async () => {
  const q = await session.sql.compileQuery(
    'SELECT CAST(z AS INT) AS k, CAST(z AS INT) + 1 AS k1, count(*) AS c FROM t GROUP BY CAST(z AS INT) ORDER BY k',
    placed,
  );
  const got = await runBound(q.sql, ["SELECT * FROM (VALUES ('1'), ('1'), ('2')) v(z)"]);
  assert.deepEqual(
    got.map((r) => [r.k, r.k1, Number(r.c)]),
    [
      [1, 2, 2],
      [2, 3, 1],
    ],
  );
});
