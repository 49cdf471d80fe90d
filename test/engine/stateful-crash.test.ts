import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { killedRun, runCli } from '../helpers/cli.ts';
import { duck, writeFiles } from '../helpers/pipeline.ts';
import { rng } from '../helpers/random.ts';
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

/** Runs with fused groups of at most `n` batches (1: one batch after another). */
const fuse = (n: number) => ({ SLUICE_FUSE_BATCHES: String(n) });
/** Group sizes the killed and the recovering runs use: none, small groups, everything at once. */
const CAPS = [1, 2, 3, 5, 128] as const;

test(`stateful crash torture: runs (fused in groups of random sizes) killed at the state/commit crash points and at ${TRIALS} random moments, each followed by a normal run (another group size), equal a crash-free run batch by batch`, {
  timeout: 900_000,
}, async () => {
  const refDir = tmpDir('stateful-ref');
  writePipeline(refDir);
  const started = Date.now();
  const ref = await runCli(['run', refDir], { env: fuse(1) });
  const refMs = Date.now() - started;
  assert.equal(ref.code, 0, ref.stderr);
  const expected = await capture(refDir);
  assert.deepEqual(expected.rows, oracle(PARTS).rows);
  assert.ok(expected.state.length > 0, 'windows still open at the end are in state');
  assert.ok(PARTS.length > 10, 'several groups of batches');

  const r = rng(Number(process.env.SLUICE_CRASH_SEED ?? Date.now()));
  const pick = () => CAPS[Math.floor(r() * CAPS.length)]!;
  const trial = async (name: string, delay: number, caps: readonly [number, number], crashAt?: string) => {
    const dir = tmpDir(`stateful-crash-${name}`);
    writePipeline(dir);
    const what = `${name} (${crashAt ?? `killed after ${delay} ms`}, groups of ${caps[0]} then ${caps[1]})`;
    await killedRun(dir, { afterMs: delay, crashAt, env: fuse(caps[0]) });
    const again = await runCli(['run', dir], { env: fuse(caps[1]) });
    assert.equal(again.code, 0, `${what}: ${again.stderr}`);
    assert.deepEqual(await capture(dir), expected, what);
  };
  // The points between the state and the output, each hit at the first group (or batch): the
  // group replayed as a group, and batch by batch.
  for (const point of ['offset-written', 'state-written', 'before-commit', 'after-commit']) {
    await trial(point, 600_000, [4, 128], `${point}:per_minute`);
    await trial(`${point}-single`, 600_000, [4, 1], `${point}:per_minute`);
  }
  for (let i = 0; i < TRIALS; i += 2) {
    await Promise.all(
      [i, i + 1]
        .filter((k) => k < TRIALS)
        .map((k) => trial(`t${k}`, 150 + Math.floor(r() * refMs), [pick(), pick()])),
    );
  }
});
