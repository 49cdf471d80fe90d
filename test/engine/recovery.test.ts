import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { duck, ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const PIPELINE = {
  'spark-pipeline.yml': 'name: recovery\n',
  'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH MATERIALIZED VIEW totals AS SELECT kind, count(*) AS n, sum(x) AS s FROM bronze GROUP BY kind;
`,
};

function batch(n: number): string {
  return ndjson(
    Array.from({ length: 10 }, (_, i) => ({ kind: ['a', 'b', 'c'][(n + i) % 3], x: n * 100 + i })),
  );
}

/** The view as its query over every input file computes it, independently of sluice. */
async function expectedTotals(dir: string) {
  return duck(
    `SELECT kind, count(*) AS n, sum(x) AS s FROM read_json_auto('${join(dir, 'data')}/*.json') GROUP BY kind ORDER BY kind`,
  );
}

async function actualTotals(dir: string) {
  return (await readTable(tableDir(dir, 'totals'), 'kind')).map((r) => ({ kind: r.kind, n: r.n, s: r.s }));
}

test('killed mid-refresh of a materialized view, then new input: the next update leaves the view current', async () => {
  const dir = tmpDir('mv-crash');
  writeFiles(dir, { ...PIPELINE, 'data/1.json': batch(1) });
  assert.equal((await runCli(['run', dir])).code, 0);

  writeFiles(dir, { 'data/2.json': batch(2) });
  const killed = await runCli(['run', dir], { env: { SLUICE_CRASH_AT: 'offset-written:totals' } });
  assert.equal(killed.signal, 'SIGKILL', 'the run died after planning the refresh');

  writeFiles(dir, { 'data/3.json': batch(3) });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).state, 'COMPLETED');
  assert.deepEqual(await actualTotals(dir), await expectedTotals(dir));
});

test("a materialized view whose _delta_log was lost is recomputed from its inputs' current versions", async () => {
  const dir = tmpDir('mv-lost-log');
  writeFiles(dir, { ...PIPELINE, 'data/1.json': batch(1) });
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFiles(dir, { 'data/2.json': batch(2) });
  assert.equal((await runCli(['run', dir])).code, 0);
  rmSync(join(tableDir(dir, 'totals'), '_delta_log'), { recursive: true });
  writeFiles(dir, { 'data/3.json': batch(3) });
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await actualTotals(dir), await expectedTotals(dir));
});

test('lost offsets are refused with a code that says how to recover — never read again into duplicates', async () => {
  const dir = tmpDir('lost-offsets');
  writeFiles(dir, { ...PIPELINE, 'data/1.json': batch(1) });
  assert.equal((await runCli(['run', dir])).code, 0);
  const before = await readTable(tableDir(dir, 'bronze'), 'x');
  rmSync(join(dir, '.sluice', 'checkpoints', 'bronze'), { recursive: true });
  writeFiles(dir, { 'data/2.json': batch(2) });

  const r = await runCli(['run', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^FLOW_CHECKPOINT_INCONSISTENT: flow 'bronze' .*--full-refresh bronze/m);
  assert.deepEqual(await readTable(tableDir(dir, 'bronze'), 'x'), before, 'nothing appended');

  const fixed = await runCli(['run', dir, '--full-refresh', 'bronze']);
  assert.equal(fixed.code, 0, fixed.stderr);
  const rows = await readTable(tableDir(dir, 'bronze'), 'x');
  assert.equal(rows.length, 20);
  assert.equal(new Set(rows.map((r) => r.x)).size, 20, 'no duplicates');
});
