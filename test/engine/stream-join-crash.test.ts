import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { killedRun, runCli } from '../helpers/cli.ts';
import { duck, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { joinedRows, joinFiles, joinOracle, joinSql, sideBatches, sideEvents } from './join-streams.ts';

const TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 20);
const A = sideBatches(31, sideEvents(31, 150));
const B = sideBatches(131, sideEvents(131, 150, 20_000));

function writePipeline(dir: string): void {
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: joins\n',
    'transformations/p.sql': joinSql('LEFT JOIN'),
    ...joinFiles(A, B),
  });
}

/** The rows emitted, and each side's state (rows with their matched flag, and watermark) after the last committed batch. */
async function capture(dir: string) {
  const sides: unknown[] = [];
  for (const side of ['state-left', 'state-right']) {
    const stateDir = join(dir, '.sluice', 'checkpoints', 'joined', '0', side);
    const metas = readdirSync(stateDir)
      .filter((n) => n.endsWith('.json'))
      .sort();
    const last = JSON.parse(readFileSync(join(stateDir, metas.at(-1)!), 'utf8')) as {
      batchId: number;
      watermark: number;
      stateRows: number;
    };
    // Row ids are numbered per run; the rows and their matched flags are what must agree.
    const rows = await duck(
      `SELECT tag, __sluice_matched AS m FROM read_parquet('${join(stateDir, metas.at(-1)!.replace('.json', '.parquet'))}') ORDER BY tag`,
    );
    sides.push({ last, rows: rows.map((r) => [r.tag, r.m]) });
  }
  return { rows: await joinedRows(dir), sides };
}

/** `sluice run` killed with SIGKILL after `afterMs`, or by itself at a crash point. */

test(`stream–stream join crash torture: runs killed between the two sides' states, at the commit crash points and at ${TRIALS} random moments, each followed by a normal run, equal a crash-free run`, {
  timeout: 900_000,
}, async () => {
  const refDir = tmpDir('join-ref');
  writePipeline(refDir);
  const started = Date.now();
  const ref = await runCli(['run', refDir]);
  const refMs = Date.now() - started;
  assert.equal(ref.code, 0, ref.stderr);
  const expected = await capture(refDir);
  assert.deepEqual(expected.rows, joinOracle(A, B, 'left').rows);
  assert.ok(
    expected.rows.some((r) => r[4] === null),
    'unmatched left rows were emitted with NULLs',
  );

  const trial = async (name: string, delay: number, crashAt?: string) => {
    const dir = tmpDir(`join-crash-${name}`);
    writePipeline(dir);
    await killedRun(dir, { afterMs: delay, crashAt });
    const r = await runCli(['run', dir]);
    assert.equal(r.code, 0, `${name} (${crashAt ?? `killed after ${delay} ms`}): ${r.stderr}`);
    assert.deepEqual(await capture(dir), expected, `${name} (${crashAt ?? `killed after ${delay} ms`})`);
  };
  // state-written is first hit between the left side's state and the right side's.
  for (const point of ['offset-written', 'state-written', 'before-commit', 'after-commit'])
    await trial(point, 600_000, `${point}:joined`);
  for (let i = 0; i < TRIALS; i += 2) {
    await Promise.all(
      [i, i + 1]
        .filter((k) => k < TRIALS)
        .map((k) => trial(`t${k}`, 150 + Math.floor(Math.random() * refMs))),
    );
  }
});
