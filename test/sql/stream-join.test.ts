import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateDefinitions } from '../../src/graph/index.ts';
import { session } from '../helpers/session.ts';

const A = `STREAM(a) WATERMARK a_ts DELAY OF INTERVAL 10 SECONDS AS a`;
const B = `STREAM(b) WATERMARK b_ts DELAY OF INTERVAL 10 SECONDS AS b`;

async function plan(sql: string) {
  return (await session.sql.compileQuery(sql)).statefulPlan;
}

test('a join of two watermarked streams on an equality and a BETWEEN range is planned with each side’s eviction bound', async () => {
  const p = await plan(
    `SELECT a.id, b.v FROM ${A} LEFT JOIN ${B} ON a.id = b.id AND b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MINUTE`,
  );
  assert.equal(p?.kind, 'stream_join');
  if (p?.kind !== 'stream_join') return;
  assert.equal(p.joinType, 'left');
  // a_ts − b_ts ∈ [−60 s, 0]: a left row can leave state once a_ts ≤ watermark − 60 s, a right row once b_ts ≤ watermark.
  assert.deepEqual(
    [
      p.left.input,
      p.left.alias,
      p.left.evictAfterMicros,
      p.right.input,
      p.right.alias,
      p.right.evictAfterMicros,
    ],
    [0, 'a', -60_000_000, 1, 'b', 0],
  );
  assert.match(p.matchedSql, /INNER JOIN/);
  assert.match(p.condition, /a\.id = b\.id/);
});

test('strict comparisons, intervals on either side and unqualified watermark columns give the same bounds as Spark’s derivation', async () => {
  // a_ts > b_ts − 5 s and a_ts < b_ts + 30 s: a_ts − b_ts ∈ (−5 s, 30 s).
  const p = await plan(
    `SELECT * FROM ${A} JOIN ${B} ON a.id = b.id AND a_ts > b_ts - INTERVAL 5 SECONDS AND b.b_ts + INTERVAL '30' SECOND > a.a_ts`,
  );
  assert.equal(p?.kind, 'stream_join');
  if (p?.kind !== 'stream_join') return;
  assert.equal(p.joinType, 'inner');
  // Left leaves when a_ts ≤ W − 5 s + 1 µs; right when b_ts ≤ W − 30 s + 1 µs.
  assert.equal(p.left.evictAfterMicros, -5_000_000 + 1);
  assert.equal(p.right.evictAfterMicros, -30_000_000 + 1);
  // Equal event times bound both sides at the watermark.
  const q = await plan(`SELECT * FROM ${A} RIGHT JOIN ${B} ON a.id = b.id AND a.a_ts = b.b_ts`);
  assert.equal(
    q?.kind === 'stream_join' && [q.joinType, q.left.evictAfterMicros, q.right.evictAfterMicros].join(),
    'right,0,0',
  );
});

async function refusals(sql: string) {
  const base = `
CREATE STREAMING TABLE a AS SELECT * FROM STREAM read_files('x', format => 'json');
CREATE STREAMING TABLE b AS SELECT * FROM STREAM read_files('y', format => 'json');
CREATE STREAMING TABLE c AS SELECT * FROM STREAM read_files('z', format => 'json');
`;
  const parsed = await session.sql.parsePipelineSql(`${base}CREATE STREAMING TABLE t AS ${sql};`, {
    file: 'p.sql',
    configuration: {},
  });
  assert.deepEqual(parsed.errors, []);
  const v = await validateDefinitions(parsed.definitions, { sql: session.sql });
  return v.errors.map((e) => [e.code, e.dataset, e.params.operation, e.location?.line]);
}

test('stream–stream joins sluice cannot run exactly as Spark are refused at validate, with a code', async () => {
  const ok = 'a.id = b.id AND b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MINUTE';
  assert.deepEqual(await refusals(`SELECT a.id FROM ${A} JOIN ${B} ON ${ok}`), []);
  const unsupported = ['STREAM_JOIN_NOT_SUPPORTED', 't', 'join', 5];
  const unbounded = ['STREAM_JOIN_STATE_UNBOUNDED', 't', 'join', 5];
  // Full outer, semi and anti joins.
  for (const type of ['FULL OUTER', 'LEFT SEMI', 'LEFT ANTI'])
    assert.deepEqual(await refusals(`SELECT a.id FROM ${A} ${type} JOIN ${B} ON ${ok}`), [unsupported], type);
  // Aggregation over the join, DISTINCT, a third stream.
  assert.deepEqual(await refusals(`SELECT a.id, count(*) AS n FROM ${A} JOIN ${B} ON ${ok} GROUP BY a.id`), [
    unsupported,
  ]);
  assert.deepEqual(await refusals(`SELECT DISTINCT a.id FROM ${A} JOIN ${B} ON ${ok}`), [unsupported]);
  assert.deepEqual(
    await refusals(
      `SELECT a.id FROM ${A} JOIN ${B} ON ${ok} JOIN STREAM(c) WATERMARK c_ts DELAY OF INTERVAL 1 SECOND AS c ON c.id = a.id AND c.c_ts = a.a_ts`,
    ),
    [unsupported],
  );
  // No equality between the streams (Spark refuses it too).
  assert.deepEqual(
    await refusals(`SELECT a.id FROM ${A} JOIN ${B} ON b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MINUTE`),
    [unsupported],
  );
  // Without a watermark on a side, or without a range bounding both sides, state grows forever.
  assert.deepEqual(await refusals(`SELECT a.id FROM ${A} JOIN STREAM(b) AS b ON ${ok}`), [unbounded]);
  assert.deepEqual(await refusals(`SELECT a.id FROM ${A} LEFT JOIN ${B} ON a.id = b.id`), [unbounded]);
  assert.deepEqual(await refusals(`SELECT a.id FROM ${A} JOIN ${B} ON a.id = b.id AND b.b_ts >= a.a_ts`), [
    unbounded,
  ]);
  // A month has no fixed length: it bounds nothing.
  assert.deepEqual(
    await refusals(
      `SELECT a.id FROM ${A} JOIN ${B} ON a.id = b.id AND b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MONTH`,
    ),
    [unbounded],
  );
});

test('conditions Spark pushes below a side’s watermark become that side’s filter; a WHERE Spark would turn into an inner join is refused', async () => {
  const p = await plan(
    `SELECT a.id FROM ${A} LEFT JOIN ${B} ON a.id = b.id AND b.b_ts BETWEEN a.a_ts AND a.a_ts + INTERVAL 1 MINUTE AND b.tag = 'x' AND a.n > 1 AND rand() < 2 WHERE a.tag = 'y' AND a.a_ts > TIMESTAMP '2026-01-01' AND b.v IS NULL`,
  );
  assert.equal(p?.kind, 'stream_join');
  if (p?.kind !== 'stream_join') return;
  // The outer side: WHERE's a.tag (not the event-time condition, which stays above the watermark);
  // ON's a.n keeps its rows with NULLs and stays in the join.
  assert.match(p.left.filter ?? '', /a\.tag = 'y'/);
  assert.doesNotMatch(p.left.filter ?? '', /a\.n|a_ts/);
  // The inner side: ON's b.tag and the NOT NULL Spark infers for the key (not the random() one).
  assert.match(p.right.filter ?? '', /b\.tag = 'x'/);
  assert.match(p.right.filter ?? '', /b\.id IS NOT NULL/);
  assert.doesNotMatch(p.right.filter ?? '', /random|b\.v/);
  const inner = await plan(`SELECT a.id FROM ${A} JOIN ${B} ON a.id = b.id AND a.a_ts = b.b_ts`);
  assert.equal(inner?.kind === 'stream_join' && inner.left.filter, '(a.id IS NOT NULL)');

  const refused = async (sql: string) => {
    const r = await plan(sql);
    return r?.kind === 'stateful_refusal' ? r.code : r?.kind;
  };
  const on = 'ON a.id = b.id AND a.a_ts = b.b_ts';
  assert.equal(
    await refused(`SELECT a.id FROM ${A} LEFT JOIN ${B} ${on} WHERE b.v = 1`),
    'STREAM_JOIN_NOT_SUPPORTED',
  );
  assert.equal(
    await refused(`SELECT a.id FROM ${A} JOIN ${B} ${on} WHERE v = 1`),
    'STREAM_JOIN_NOT_SUPPORTED',
  );
  assert.equal(await refused(`SELECT a.id FROM ${A} JOIN ${B} ${on} WHERE b.v = 1`), 'stream_join');
});
