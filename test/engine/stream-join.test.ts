import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../../src/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { lateRowsLogged, T0 } from './event-streams.ts';
import { joinedRows, joinFiles, joinOracle, joinSql, sideBatches, sideEvents } from './join-streams.ts';

/** The state rows of both sides after the last committed batch. */
function stateRows(dir: string): number {
  let n = 0;
  for (const side of ['state-left', 'state-right']) {
    const stateDir = join(dir, '.sluice', 'checkpoints', 'joined', '0', side);
    const last = readdirSync(stateDir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .at(-1)!;
    n += (JSON.parse(readFileSync(join(stateDir, last), 'utf8')) as { stateRows: number }).stateRows;
  }
  return n;
}

/** Tags ending in 3 (a) and 5 (b): the rows the filtered cases' conditions remove. */
const filtered = {
  a: (e: { tag: string }) => !e.tag.endsWith('3'),
  b: (e: { tag: string }) => !e.tag.endsWith('5'),
};

const cases = [
  { type: 'inner', sql: joinSql('JOIN'), seed: 21, keep: {} },
  { type: 'left', sql: joinSql('LEFT JOIN'), seed: 22, keep: {} },
  { type: 'right', sql: joinSql('RIGHT JOIN'), seed: 23, keep: {} },
  { type: 'left', sql: joinSql('LEFT JOIN'), seed: 24, keep: {} },
  // Spark filters the outer side by WHERE and the inner side by ON below their watermarks.
  {
    type: 'left',
    sql: joinSql('LEFT JOIN', { on: " AND b.tag NOT LIKE '%5'", where: "a.tag NOT LIKE '%3'" }),
    seed: 25,
    keep: filtered,
  },
  {
    type: 'inner',
    sql: joinSql('JOIN', { where: "a.tag NOT LIKE '%3' AND b.tag NOT LIKE '%5'" }),
    seed: 26,
    keep: filtered,
  },
] as const;

for (const { type, sql, seed, keep } of cases) {
  test(`${type} stream–stream join of disordered streams in random micro-batches equals the join of the on-time rows, late rows counted, state bounded (seed ${seed})`, async () => {
    // b (clicks) trail a (impressions) by ~20 s, so most pairs fall in the 1-minute range.
    const a = sideBatches(seed, sideEvents(seed, 220));
    const b = sideBatches(seed + 100, sideEvents(seed + 100, 220, 20_000));
    const half = Math.floor(Math.max(a.length, b.length) / 2);
    const dir = tmpDir('stream-join');
    writeFiles(dir, {
      'spark-pipeline.yml': 'name: joins\n',
      'transformations/p.sql': sql,
      ...joinFiles(a, b, 0, half),
    });
    const first = await runPipeline(dir, { cwd: dir });
    assert.equal(
      first.kind === 'ran' && first.result.state,
      'COMPLETED',
      first.kind === 'ran' ? JSON.stringify(first.result.flows.map((f) => f.error)) : '',
    );
    // The second update continues from the state the first one left.
    writeFiles(dir, joinFiles(a, b, half));
    const second = await runPipeline(dir, { cwd: dir });
    assert.equal(second.kind === 'ran' && second.result.state, 'COMPLETED');
    const expected = joinOracle(a, b, type, keep);
    assert.ok(expected.late > 0, 'some rows arrive after the watermark');
    const rows = await joinedRows(dir);
    assert.ok(rows.length > 50, `the streams match often enough (${rows.length} rows)`);
    if (type !== 'inner')
      assert.ok(
        rows.some((r) => r[type === 'left' ? 4 : 2] === (type === 'left' ? null : '')),
        'some outer rows are unmatched',
      );
    assert.deepEqual(rows, expected.rows);
    assert.equal(await lateRowsLogged(dir), expected.late);
    assert.equal(stateRows(dir), expected.inState);
    assert.ok(expected.inState < 120, `state is bounded by the watermark (${expected.inState} rows)`);
  });
}

test('rows Spark filters below the watermark (a NULL join key on an inner join) do not move it: later rows stay on time', async () => {
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();
  const dir = tmpDir('stream-join-null-key');
  // Batch 0: a at +1 h; b's only row with an event time that far has no key. Spark filters
  // b.id IS NOT NULL below b's watermark, so the global watermark is b's (+1 s − 10 s), not +1 h.
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: joins\n',
    'transformations/p.sql': joinSql('JOIN'),
    ...joinFiles(
      [[{ id: 1, ts: T0 + 3_600_000, tag: 'a0' }], [{ id: 2, ts: T0 + 5_000, tag: 'a1' }]],
      [
        [
          { id: null as unknown as number, ts: T0 + 3_600_000, tag: 'b-null' },
          { id: 9, ts: T0 + 1_000, tag: 'b0' },
        ],
        [{ id: 2, ts: T0 + 6_000, tag: 'b1' }],
      ],
    ),
  });
  const r = await runPipeline(dir, { cwd: dir });
  assert.equal(r.kind === 'ran' && r.result.state, 'COMPLETED');
  assert.deepEqual(await joinedRows(dir), [[2, at(5), 'a1', at(6), 'b1']]);
  assert.equal(await lateRowsLogged(dir), 0);
});

test('the watermark is kept in whole milliseconds as Spark keeps it: a row a fraction of a millisecond after it is on time', async () => {
  const dir = tmpDir('stream-join-ms');
  const ndjsonOf = (id: number, key: string, ts: string, tag: string) =>
    `${JSON.stringify({ id, [key]: `2026-01-01T00:00:${ts}Z`, tag })}\n`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: joins\n',
    'transformations/p.sql': joinSql('JOIN'),
    // Batch 0: latest event times 10.0005 s on both sides: the watermark is 0.000 s (not 0.0005 s).
    'a/part-0000.json': ndjsonOf(1, 'a_ts', '10.000500', 'a0'),
    'b/part-0000.json': ndjsonOf(9, 'b_ts', '10.000500', 'b0'),
    // Batch 1: rows at 0.0003 s and 0.0004 s are after it, so on time, and they match.
    'a/part-0001.json': ndjsonOf(2, 'a_ts', '00.000300', 'a1'),
    'b/part-0001.json': ndjsonOf(2, 'b_ts', '00.000400', 'b1'),
  });
  const r = await runPipeline(dir, { cwd: dir });
  assert.equal(r.kind === 'ran' && r.result.state, 'COMPLETED');
  assert.deepEqual(
    (await joinedRows(dir)).map((row) => [row[2], row[4]]),
    [['a1', 'b1']],
  );
  assert.equal(await lateRowsLogged(dir), 0);
});
