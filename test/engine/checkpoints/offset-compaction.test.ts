import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

// A flow's offset log must not grow by one file per batch forever: every 100 committed batches
// it is compacted, and what the compaction stands for keeps files from being read twice.
test('the offset log is compacted every 100 batches; no file is read again; views keep only their last offset', async () => {
  const dir = tmpDir('offset-compaction');
  const files: Record<string, string> = {
    'spark-pipeline.yml': 'name: compaction\n',
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');
CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT count(*) AS n FROM bronze;
`,
  };
  for (let i = 0; i < 105; i++) files[`data/${String(i).padStart(4, '0')}.json`] = ndjson([{ id: i }]);
  writeFiles(dir, files);
  const first = await runCli(['run', dir]);
  assert.equal(first.code, 0, first.stderr);

  const offsets = join(dir, '.sluice', 'checkpoints', 'bronze', '0', 'offsets');
  const names = readdirSync(offsets).sort();
  // compact-…0099 stands for batches 0–99; batch 99's own offset and batches 100–104 remain.
  assert.deepEqual(names, [
    '0000000099.json',
    '0000000100.json',
    '0000000101.json',
    '0000000102.json',
    '0000000103.json',
    '0000000104.json',
    'compact-0000000099.json',
  ]);

  writeFiles(dir, { 'data/new.json': ndjson([{ id: 1000 }]) });
  const second = await runCli(['run', dir]);
  assert.equal(second.code, 0, second.stderr);
  const ids = (await readTable(tableDir(dir, 'bronze'), 'id')).map((r) => Number(r.id));
  assert.equal(ids.length, 106, 'every file once');
  assert.equal(new Set(ids).size, 106);
  assert.equal(Number((await readTable(tableDir(dir, 'total'), 'n'))[0]?.n), 106);
  assert.deepEqual(readdirSync(join(dir, '.sluice', 'checkpoints', 'total', '0', 'offsets')), [
    '0000000001.json',
  ]);

  // A full refresh starts a new generation; the old one's checkpoint is removed when it is next opened.
  const reset = await runCli(['run', dir, '--full-refresh', 'bronze']);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(existsSync(join(dir, '.sluice', 'checkpoints', 'bronze', '0')), false);
  assert.ok(existsSync(join(dir, '.sluice', 'checkpoints', 'bronze', '1')));
});
