import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { killedRun, runCli } from '../helpers/cli.ts';
import { duck, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { batches, emitted, events, files, oracle, SQL } from './event-streams.ts';

const TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 20);
const PARTS = batches(5, events(5, 400));

function writePipeline(dir: string): void {
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: stateful\n',
    'transformations/p.sql': SQL,
    ...files(PARTS),
  });
}

/** The rows emitted, and the state (rows and watermark) after the last committed batch. */
async function capture(dir: string) {
  const stateDir = join(dir, '.sluice', 'checkpoints', 'per_minute', '0', 'state');
  const metas = readdirSync(stateDir)
    .filter((n) => n.endsWith('.json'))
    .sort();
  const last = JSON.parse(readFileSync(join(stateDir, metas.at(-1)!), 'utf8')) as {
    batchId: number;
    watermark: number;
    stateRows: number;
  };
  const state = await duck(
    `SELECT CAST(__sluice_k0 AS VARCHAR) AS w, __sluice_k1 AS k, CAST(__sluice_rows AS BIGINT) AS n FROM read_parquet('${join(stateDir, metas.at(-1)!.replace('.json', '.parquet'))}') ORDER BY w, k`,
  );
  return { rows: await emitted(dir), last, state: state.map((r) => [r.w, r.k, Number(r.n)]) };
}

/** `sluice run` killed with SIGKILL after `afterMs`, or by itself at a crash point. */

test(`stateful crash torture: runs killed at the state/commit crash points and at ${TRIALS} random moments, each followed by a normal run, equal a crash-free run`, {
  timeout: 900_000,
}, async () => {
  const refDir = tmpDir('stateful-ref');
  writePipeline(refDir);
  const started = Date.now();
  const ref = await runCli(['run', refDir]);
  const refMs = Date.now() - started;
  assert.equal(ref.code, 0, ref.stderr);
  const expected = await capture(refDir);
  assert.deepEqual(expected.rows, oracle(PARTS).rows);
  assert.ok(expected.state.length > 0, 'windows still open at the end are in state');

  const trial = async (name: string, delay: number, crashAt?: string) => {
    const dir = tmpDir(`stateful-crash-${name}`);
    writePipeline(dir);
    await killedRun(dir, { afterMs: delay, crashAt });
    const r = await runCli(['run', dir]);
    assert.equal(r.code, 0, `${name} (${crashAt ?? `killed after ${delay} ms`}): ${r.stderr}`);
    assert.deepEqual(await capture(dir), expected, `${name} (${crashAt ?? `killed after ${delay} ms`})`);
  };
  // The points between the state and the output of a batch, each hit at the first batch.
  for (const point of ['offset-written', 'state-written', 'before-commit', 'after-commit'])
    await trial(point, 600_000, `${point}:per_minute`);
  for (let i = 0; i < TRIALS; i += 2) {
    await Promise.all(
      [i, i + 1]
        .filter((k) => k < TRIALS)
        .map((k) => trial(`t${k}`, 150 + Math.floor(Math.random() * refMs))),
    );
  }
});
