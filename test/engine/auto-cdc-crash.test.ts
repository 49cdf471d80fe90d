import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killedRun, runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const RANDOM_TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 12);

const SQL = `CREATE STREAMING TABLE events AS SELECT * FROM STREAM read_files('data', format => 'json',
  maxFilesPerTrigger => '1', schemaHints => 'id INT, name STRING, seq BIGINT, op STRING');
CREATE STREAMING TABLE current_rows TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true', 'delta.enableDeletionVectors' = 'true');
CREATE FLOW scd1 AS AUTO CDC INTO current_rows FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq;
CREATE STREAMING TABLE history;
CREATE FLOW scd2 AS AUTO CDC INTO history FROM STREAM(events) KEYS (id)
  APPLY AS DELETE WHEN op = 'D' SEQUENCE BY seq COLUMNS id, name, seq STORED AS SCD TYPE 2 TRACK HISTORY ON (name);
`;

/**
 * Six files of events read one per batch, their sequences interleaved (file f holds f+1, f+7, …)
 * and reversed inside: every batch after the first brings events older than applied ones, so the
 * SCD 2 flow rewrites histories of keys with late events.
 */
function writePipeline(dir: string): void {
  const files: Record<string, string> = {
    'spark-pipeline.yml': 'name: cdc_torture\n',
    'transformations/p.sql': SQL,
  };
  for (let f = 0; f < 6; f++) {
    const rows = Array.from({ length: 40 }, (_, i) => {
      const seq = i * 6 + f + 1;
      const id = (seq * 7 + i) % 23;
      return { id, name: ['a', 'b', 'c'][(seq + f) % 3], seq, op: seq % 9 === 0 ? 'D' : 'U' };
    }).reverse();
    files[`data/part-${f}.json`] = ndjson(rows);
  }
  writeFiles(dir, files);
}

async function capture(dir: string): Promise<unknown> {
  return {
    current: await readTable(tableDir(dir, 'current_rows'), 'id'),
    history: await readTable(tableDir(dir, 'history'), 'id, __START_AT'),
  };
}

test('AUTO CDC crash torture: runs killed at every CDC commit point and at random moments replay to the same tables', {
  timeout: 600_000,
}, async () => {
  const refDir = tmpDir('cdc-crash-ref');
  writePipeline(refDir);
  const started = Date.now();
  const ref = await runCli(['run', refDir]);
  const refMs = Date.now() - started;
  assert.equal(ref.code, 0, ref.stderr);
  const expected = await capture(refDir);

  const trials: { crashAt?: string; afterMs?: number }[] = [];
  for (const flow of ['scd1', 'scd2'])
    for (const point of ['offset-written', 'before-commit', 'cdc-between-commits', 'after-commit'])
      trials.push({ crashAt: `${point}:${flow}` });
  for (let i = 0; i < RANDOM_TRIALS; i++) trials.push({ afterMs: 150 + Math.floor(Math.random() * refMs) });

  const trial = async (i: number) => {
    const t = trials[i]!;
    const dir = tmpDir(`cdc-crash-${i}`);
    writePipeline(dir);
    const signal = await killedRun(dir, t);
    // A named crash point is reached by every run of this pipeline: the process died there.
    if (t.crashAt) assert.equal(signal, 'SIGKILL', `trial ${i}: ${t.crashAt} was not reached`);
    const r = await runCli(['run', dir]);
    const what = t.crashAt ?? `killed after ${t.afterMs} ms`;
    assert.equal(r.code, 0, `trial ${i} (${what}): ${r.stderr}`);
    assert.deepEqual(await capture(dir), expected, `trial ${i} (${what})`);
  };
  for (let i = 0; i < trials.length; i += 2)
    await Promise.all([trial(i), ...(i + 1 < trials.length ? [trial(i + 1)] : [])]);
});
