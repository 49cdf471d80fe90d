import assert from 'node:assert/strict';
import { test } from 'node:test';
import { session } from '../helpers/session.ts';

const S = `STREAM(events) WATERMARK ts DELAY OF INTERVAL 10 SECONDS`;

async function plan(sql: string) {
  const p = (await session.sql.compileQuery(sql)).statefulPlan;
  assert.equal(p?.kind, 'streaming_aggregate', JSON.stringify(p));
  return p?.kind === 'streaming_aggregate' ? p : assert.fail('not a streaming aggregation');
}

test('fixed windows are planned per batch too (tagged __sluice_b); their partial aggregates carry the latest event time when they see every row with one', async () => {
  for (const window of [`window(ts, '1 minute')`, `window(ts, '1 minute', '20 seconds')`]) {
    const p = await plan(`SELECT ${window} AS w, user, count(*) AS n FROM ${S} GROUP BY w, user`);
    assert.match(p.partialByBatchSql ?? '', /^SELECT __sluice_b AS __sluice_b, .*GROUP BY __sluice_b, /);
    assert.match(p.partialByBatchSql ?? '', /AS __sluice_max FROM/, window);
    assert.equal(p.watermarkByBatchSql, undefined, window);
  }
});

test('a WHERE, or a window over an expression of the time, leaves the watermark its own read per batch', async () => {
  for (const sql of [
    `SELECT window(ts, '1 minute') AS w, count(*) AS n FROM ${S} WHERE user <> 'x' GROUP BY w`,
    `SELECT window(ts, '1 minute') AS w, count(*) AS n FROM ${S} WHERE second(ts) <> 7 GROUP BY w`,
    `SELECT window(ts + INTERVAL 1 HOUR, '1 minute') AS w, count(*) AS n FROM ${S} GROUP BY w`,
  ]) {
    const p = await plan(sql);
    assert.doesNotMatch(p.partialByBatchSql ?? '', /__sluice_max/, sql);
    assert.match(
      p.watermarkByBatchSql ?? '',
      /^SELECT __sluice_b AS __sluice_b, .*__sluice_max.*GROUP BY __sluice_b$/,
      sql,
    );
  }
});

test('session windows are not planned per batch (they run batch by batch)', async () => {
  const p = await plan(`SELECT session_window(ts, '5 minutes') AS s, count(*) AS n FROM ${S} GROUP BY s`);
  assert.equal(p.windowKind, 'session');
  assert.equal(p.partialByBatchSql, undefined);
  assert.equal(p.watermarkByBatchSql, undefined);
});
