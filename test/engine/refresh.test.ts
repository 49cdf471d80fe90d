import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';
import { orders, ordersFile, writeShopPipeline } from './shop-pipeline.ts';

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string; state: string }) => [f.flow, f]));

test('conflicting refresh options are refused with a code', async () => {
  const dir = tmpDir('refresh-conflict');
  writeShopPipeline(dir);
  const a = await runCli(['run', dir, '--full-refresh-all', '--refresh', 'bronze_orders']);
  assert.equal(a.code, 1);
  assert.match(a.stderr, /^CONFLICTING_PIPELINE_REFRESH_OPTIONS: /m);
  const b = await runCli(['run', dir, '--full-refresh', 'silver_orders', '--refresh', 'silver_orders']);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /^CONFLICTING_PIPELINE_REFRESH_OPTIONS: /m);
  // An unknown name is refused before any update starts (no table, no event log): the storage
  // holds only the compile cache the pipeline's load left.
  const c = await runCli(['run', dir, '--refresh', 'silver_ordres']);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /^DATASET_NOT_DEFINED: dataset 'silver_ordres' .*did you mean 'silver_orders'\?/m);
  assert.deepEqual(readdirSync(join(dir, '.sluice'), { recursive: true }).map(String).sort(), [
    'system',
    'system/cache',
    'system/cache/compiled-queries.json',
  ]);
});

test('selective refresh runs only the named datasets; full refresh resets and recomputes', async () => {
  const dir = tmpDir('refresh-select');
  writeShopPipeline(dir);
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFileSync(ordersFile(dir, 3), ndjson(orders(3)));

  const r = await runCli(['run', dir, '--refresh', 'bronze_orders', '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const f = flowsOf(r.stdout);
  assert.equal(f.bronze_orders.state, 'COMPLETED');
  assert.equal(f.silver_orders.state, 'EXCLUDED');
  assert.equal(f.customer_totals.state, 'EXCLUDED');
  assert.equal((await readTable(tableDir(dir, 'bronze_orders'), 'order_id')).length, 60);
  const silverBefore = await readTable(tableDir(dir, 'silver_orders'), 'order_id');

  // Full refresh of silver: truncated and rebuilt from all of bronze (not duplicated).
  const fr = await runCli(['run', dir, '--full-refresh', 'silver_orders', '--format', 'json']);
  assert.equal(fr.code, 0, fr.stderr);
  assert.equal(flowsOf(fr.stdout).bronze_orders.state, 'EXCLUDED');
  const silverAfter = await readTable(tableDir(dir, 'silver_orders'), 'order_id');
  const ids = silverAfter.map((x) => x.order_id);
  assert.equal(new Set(ids).size, ids.length, 'no duplicates after full refresh');
  assert.ok(silverAfter.length > silverBefore.length, 'rows of the new file arrived');
  assert.equal(silverAfter.filter((x) => x.status === 'LATE').length, 1);

  // Everything again, fully: same content as an incremental run would give.
  const all = await runCli(['run', dir, '--full-refresh-all', '--format', 'json']);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(await readTable(tableDir(dir, 'silver_orders'), 'order_id'), silverAfter);
  assert.equal((await readTable(tableDir(dir, 'bronze_orders'), 'order_id')).length, 60);
});

test('pipelines.reset.allowed = false refuses an explicit full refresh and is kept under --full-refresh-all', async () => {
  const dir = tmpDir('refresh-protected');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: protected\n',
    'transformations/t.sql': `CREATE OR REFRESH STREAMING TABLE raw TBLPROPERTIES ('pipelines.reset.allowed' = 'false')
AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH STREAMING TABLE copy AS SELECT * FROM STREAM(raw);`,
    'data/a.json': ndjson([{ id: 1 }, { id: 2 }]),
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  const r = await runCli(['run', dir, '--full-refresh', 'raw']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^TABLE_NOT_RESETTABLE: .*raw/m);
  writeFileSync(join(dir, 'data', 'b.json'), ndjson([{ id: 3 }]));
  const all = await runCli(['run', dir, '--full-refresh-all', '--format', 'json']);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'raw'), 'id')).map((x) => Number(x.id)),
    [1, 2, 3],
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'copy'), 'id')).map((x) => Number(x.id)),
    [1, 2, 3],
  );
});

test('a second run on the same storage is refused while the first holds the lock; a dead holder is recovered', async () => {
  const dir = tmpDir('lock');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: locked\n',
    'transformations/t.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');`,
  });
  mkdirSync(join(dir, 'data'), { recursive: true });
  for (let i = 0; i < 40; i++)
    writeFileSync(join(dir, 'data', `f${String(i).padStart(3, '0')}.json`), ndjson([{ id: i }]));
  const first = spawn(process.execPath, [join(ROOT, 'bin/sluice.js'), 'run', dir], { stdio: 'pipe' });
  let out = '';
  first.stdout.on('data', (d) => (out += d));
  // Wait until the first run has committed a batch (it holds the lock by then).
  for (let i = 0; i < 200 && !/batch 0/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const second = await runCli(['run', dir]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, /^PIPELINE_ALREADY_RUNNING: /m);
  first.kill('SIGKILL');
  await new Promise((r) => first.on('close', r));
  // The holder is dead: the next run recovers the lock and finishes the work exactly once.
  const third = await runCli(['run', dir]);
  assert.equal(third.code, 0, third.stderr);
  assert.match(third.stdout, /ended abnormally/);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'raw'), 'id')).map((x) => Number(x.id)),
    Array.from({ length: 40 }, (_, i) => i),
  );
});
