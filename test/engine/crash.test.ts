import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCommit } from '../../src/storage/delta/log-files.ts';
import { latestVersion } from '../../src/storage/delta/snapshot.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 20);

const SQL = `CREATE OR REFRESH STREAMING TABLE bronze
AS SELECT * FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '2');

CREATE OR REFRESH STREAMING TABLE silver (
  CONSTRAINT has_user EXPECT (user_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT positive EXPECT (amount >= 0) ON VIOLATION QUARANTINE,
  CONSTRAINT known_kind EXPECT (kind IN ('a', 'b', 'c'))
) AS SELECT id, user_id, amount, kind FROM STREAM(bronze);

CREATE OR REFRESH MATERIALIZED VIEW totals AS
SELECT kind, count(*) AS n, round(sum(amount), 2) AS s FROM silver GROUP BY kind;
`;

function writePipeline(dir: string): void {
  const files: Record<string, string> = {
    'spark-pipeline.yml': 'name: torture\n',
    'transformations/p.sql': SQL,
  };
  for (let f = 0; f < 24; f++) {
    const rows = Array.from({ length: 25 }, (_, i) => {
      const id = f * 100 + i;
      return {
        id,
        user_id: id % 11 === 0 ? null : id % 17,
        amount: id % 13 === 0 ? -(id % 7) - 1 : (id % 50) + 0.5,
        kind: ['a', 'b', 'c', 'zz'][id % 4],
      };
    });
    files[`data/part-${String(f).padStart(3, '0')}.json`] = ndjson(rows);
  }
  writeFiles(dir, files);
}

interface Snapshot {
  bronze: unknown[];
  silver: unknown[];
  quarantine: unknown[];
  totals: unknown[];
  quality: Record<string, number>;
}

/** Sums the data-quality counts recorded in silver's commits (they commit with the rows). */
async function qualityTotals(dir: string): Promise<Record<string, number>> {
  const path = tableDir(dir, 'silver');
  const last = (await latestVersion(path)) ?? -1;
  const totals: Record<string, number> = {};
  for (let v = 0; v <= last; v++) {
    for (const a of await readCommit(path, v)) {
      const dq =
        'commitInfo' in a
          ? (a.commitInfo.sluice as { dataQuality?: Record<string, unknown> } | undefined)?.dataQuality
          : undefined;
      if (!dq) continue;
      for (const k of ['input_records', 'dropped_records', 'quarantined_records'] as const)
        totals[k] = (totals[k] ?? 0) + Number(dq[k]);
      for (const e of dq.expectations as { name: string; passed_records: number; failed_records: number }[]) {
        totals[`${e.name}.passed`] = (totals[`${e.name}.passed`] ?? 0) + e.passed_records;
        totals[`${e.name}.failed`] = (totals[`${e.name}.failed`] ?? 0) + e.failed_records;
      }
    }
  }
  return totals;
}

async function capture(dir: string): Promise<Snapshot> {
  const quarantine = await readTable(tableDir(dir, 'silver_quarantine'), 'id');
  return {
    bronze: await readTable(tableDir(dir, 'bronze'), 'id'),
    silver: await readTable(tableDir(dir, 'silver'), 'id'),
    quarantine: quarantine.map((r) => ({ id: r.id, amount: r.amount, _violations: r._violations })),
    totals: await readTable(tableDir(dir, 'totals'), 'kind'),
    quality: await qualityTotals(dir),
  };
}

function killedRun(dir: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/sluice.js'), 'run', dir], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), afterMs);
    child.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

test(`crash torture: ${TRIALS} runs killed with SIGKILL, each followed by a normal run, equal a crash-free run`, {
  timeout: 600_000,
}, async () => {
  const refDir = tmpDir('crash-ref');
  writePipeline(refDir);
  const started = Date.now();
  const ref = await runCli(['run', refDir]);
  const refMs = Date.now() - started;
  assert.equal(ref.code, 0, ref.stderr);
  const expected = await capture(refDir);
  assert.equal(expected.bronze.length, 600);
  assert.ok(expected.quarantine.length > 0 && expected.quality.dropped_records > 0);
  assert.equal(
    expected.silver.length + expected.quality.dropped_records + expected.quality.quarantined_records,
    600,
    'target + dropped + quarantined = input',
  );

  const delays: number[] = [];
  const trial = async (i: number) => {
    const dir = tmpDir(`crash-${i}`);
    writePipeline(dir);
    // Anywhere from process start-up to the end of a normal run's duration.
    const delay = 150 + Math.floor(Math.random() * refMs);
    delays.push(delay);
    await killedRun(dir, delay);
    const r = await runCli(['run', dir]);
    assert.equal(r.code, 0, `trial ${i} (killed after ${delay} ms): ${r.stderr}`);
    assert.deepEqual(await capture(dir), expected, `trial ${i} (killed after ${delay} ms)`);
  };
  for (let i = 0; i < TRIALS; i += 2)
    await Promise.all([trial(i), ...(i + 1 < TRIALS ? [trial(i + 1)] : [])]);
  assert.equal(delays.length, TRIALS);
});
