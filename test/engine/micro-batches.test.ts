import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runPipeline } from '../../src/index.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

test('one file per batch from one listing: every file exactly once, a column that appears mid-run evolves the table, a view binds per batch', async () => {
  const dir = tmpDir('micro-batches');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: micro\n',
    'transformations/p.sql': `CREATE TEMPORARY VIEW doubled AS SELECT *, id * 2 AS twice FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');
CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM(doubled);
CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT count(*) AS n, sum(twice) AS s FROM raw;`,
    'data/1.json': ndjson([{ id: 1 }, { id: 2 }]),
    'data/2.json': ndjson([{ id: 3 }]),
    'data/3.json': '',
    'data/4.json': ndjson([{ id: 4, note: 'new' }]),
    'data/5.json': ndjson([{ id: 5 }]),
  });
  const outcome = await runPipeline(dir, { cwd: dir });
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') return;
  assert.equal(outcome.result.state, 'COMPLETED', JSON.stringify(outcome.result.flows.map((f) => f.error)));
  const raw = outcome.result.flows.find((f) => f.dataset === 'raw')!;
  assert.equal(raw.metrics.num_batches, 5);
  assert.equal(raw.metrics.num_output_rows, 5);
  const rows = await readTable(tableDir(dir, 'raw'), 'id');
  assert.deepEqual(
    rows.map((r) => [Number(r.id), Number(r.twice), r.note ?? null]),
    [
      [1, 2, null],
      [2, 4, null],
      [3, 6, null],
      [4, 8, 'new'],
      [5, 10, null],
    ],
  );
  const snap = await loadSnapshot(tableDir(dir, 'raw'));
  assert.ok(snap.schema.fields.some((f) => f.name === 'note'));
  // The offset log: one file per batch, each file planned once.
  const offsetsDir = join(dir, '.sluice', 'checkpoints', 'raw', '0', 'offsets');
  const planned = readdirSync(offsetsDir)
    .sort()
    .map(
      (n) =>
        JSON.parse(readFileSync(join(offsetsDir, n), 'utf8')) as {
          sources: Record<string, { files?: { path: string }[] }>;
        },
    )
    .map((o) =>
      Object.values(o.sources)
        .flatMap((s) => s.files ?? [])
        .map((f) => f.path.split('/').at(-1)),
    );
  assert.deepEqual(
    planned.map((p) => p.length),
    [1, 1, 1, 1, 1],
  );
  assert.deepEqual(planned.flat().sort(), ['1.json', '2.json', '3.json', '4.json', '5.json']);
  const [total] = await readTable(tableDir(dir, 'total'), 'n');
  assert.deepEqual([Number(total!.n), Number(total!.s)], [5, 30]);
  // Nothing new: the next run plans no batch.
  const again = await runPipeline(dir, { cwd: dir });
  assert.equal(again.kind === 'ran' && again.result.flows.find((f) => f.dataset === 'raw')!.state, 'IDLE');
});
