import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

/**
 * Runs `sluice run dir` and sends it SIGTERM `delayMs` after it printed `after` (its header, once
 * the pipeline validated, or the summary line of the finished update); resolves with how it ended.
 */
function runAndStop(
  dir: string,
  after: RegExp,
  delayMs: number,
): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'sluice.js'), 'run', dir], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (timer === undefined && after.test(stdout)) timer = setTimeout(() => child.kill('SIGTERM'), delayMs);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}

test('SIGTERM at any moment — start-up, mid-update, teardown — ends the process cleanly, never by the signal', async () => {
  const files: Record<string, string> = {
    'spark-pipeline.yml': 'name: signals\n',
    'transformations/p.sql': `
CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');
CREATE OR REFRESH MATERIALIZED VIEW n AS SELECT count(*) AS n FROM bronze;`,
  };
  for (let f = 0; f < 6; f++)
    files[`data/${f}.json`] = ndjson(Array.from({ length: 50 }, (_, i) => ({ id: f * 50 + i })));
  const header = /sluice run: pipeline/;
  const finished = /Update \w+ (COMPLETED|CANCELED)/;
  const trials: [string, RegExp, number][] = [
    ['right after validation', header, 0],
    ['early in the update', header, 40],
    ['mid-update', header, 150],
    ['late in the update', header, 400],
    ['after COMPLETED, while the process tears down', finished, 0],
  ];
  for (const [when, after, delay] of trials) {
    const dir = tmpDir('signal');
    writeFiles(dir, files);
    const end = await runAndStop(dir, after, delay);
    assert.equal(end.signal, null, `killed by ${end.signal} when stopped ${when}`);
    assert.equal(end.code, 0, `exit code when stopped ${when}: ${end.stdout}`);
    // Whatever was committed is whole batches: a multiple of one file's rows, no duplicates.
    const rows = await readTable(tableDir(dir, 'bronze'), 'id').catch(() => []);
    assert.equal(rows.length % 50, 0, `partial batch when stopped ${when}`);
    assert.equal(new Set(rows.map((r) => r.id)).size, rows.length);
  }
});
