import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

test('a group of offsets cut by a power loss (a gap among the uncommitted ones): the batches before the gap replay as logged, those after it are planned again — no row lost or read twice', async () => {
  const dir = tmpDir('offset-gap');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: recovery\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');\n`,
    'data/1.json': batch(1),
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  writeFiles(dir, { 'data/2.json': batch(2), 'data/3.json': batch(3), 'data/4.json': batch(4) });
  // Batches 1–3 planned as one group, the offset of batch 2 lost: what writeAll may leave.
  const generation = join(dir, '.sluice', 'checkpoints', 'bronze');
  const offsets = join(generation, readdirSync(generation)[0]!, 'offsets');
  const first = JSON.parse(readFileSync(join(offsets, '0000000000.json'), 'utf8'));
  const offsetOf = (batchId: number, file: string) => {
    const [key, source] = Object.entries(first.sources)[0]! as [string, { files: { path: string }[] }];
    const path = join(dir, 'data', file);
    const { size, mtimeMs } = statSync(path);
    return {
      ...first,
      batchId,
      sources: { [key]: { ...source, files: [{ ...source.files[0], path, size, mtimeMs }] } },
    };
  };
  writeFileSync(join(offsets, '0000000001.json'), JSON.stringify(offsetOf(1, '2.json')));
  writeFileSync(join(offsets, '0000000003.json'), JSON.stringify(offsetOf(3, '4.json')));

  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).flows[0].metrics.num_batches, 3);
  const rows = await readTable(tableDir(dir, 'bronze'), 'x');
  assert.equal(rows.length, 40);
  assert.equal(new Set(rows.map((r) => r.x)).size, 40, 'no duplicates');
  const planned = [2, 3].map(
    (b) =>
      Object.values(
        JSON.parse(readFileSync(join(offsets, `000000000${b}.json`), 'utf8')).sources as Record<
          string,
          { files: { path: string }[] }
        >,
      )[0]!.files[0]!.path,
  );
  assert.deepEqual(
    planned.map((p) => p.split('/').at(-1)),
    ['3.json', '4.json'],
    'the batches after the gap planned again, in order',
  );
});
