import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { exportPipeline } from '../../src/index.ts';
import {
  chdb,
  failures,
  normalize,
  rng,
  run,
  type Snap,
  scd1,
  scd2,
  snapshots,
} from '../helpers/cdc-snapshots.ts';
import { killedRun, runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const SPEC = 'name: snapcdc\nlibraries:\n  - glob:\n      include: transformations/**\n';
const TS = `import { createAutoCdcFromSnapshotFlow, createStreamingTable } from 'sluice';

createStreamingTable({ name: 'current_rows', properties: { 'delta.enableChangeDataFeed': 'true' } });
createAutoCdcFromSnapshotFlow({ target: 'current_rows', source: 'snap', keys: ['id'] });
createStreamingTable({ name: 'history' });
createAutoCdcFromSnapshotFlow({
  name: 'history_flow',
  target: 'history',
  source: 'snap',
  keys: ['id'],
  storedAsScdType: 2,
  trackHistoryColumnList: ['name'],
});
`;
const SNAP_SQL = `CREATE MATERIALIZED VIEW snap AS SELECT id, name, amount FROM read_files('snap', format => 'json',
  schemaHints => 'id INT, name STRING, amount INT');
`;

function writeSnapshot(dir: string, i: number, snap: Snap): void {
  rmSync(join(dir, 'snap'), { recursive: true, force: true });
  writeFiles(dir, {
    [`snap/s${i}.json`]: ndjson([...snap.entries()].map(([id, v]) => ({ id, ...v }))),
  });
}

function project(dir: string): void {
  writeFiles(dir, {
    'spark-pipeline.yml': SPEC,
    'transformations/snap.sql': SNAP_SQL,
    'transformations/cdc.ts': TS,
  });
}

test('createAutoCdcFromSnapshotFlow: SCD 1 equals the last snapshot and SCD 2 the replay of the snapshots in order', async () => {
  for (const seed of [1, 2]) {
    const snaps = snapshots(rng(seed), 6, 8);
    const dir = tmpDir('cdc-snapshot');
    project(dir);
    let deleted = 0;
    for (const [i, snap] of snaps.entries()) {
      writeSnapshot(dir, i, snap);
      const r = await run(dir);
      assert.deepEqual(failures(r), []);
      deleted += r.flows.find((f) => f.flow === 'current_rows')?.metrics.num_deleted_rows ?? 0;
    }
    // Nothing changed: no new snapshot is applied.
    const idle = await run(dir);
    assert.equal(idle.flows.find((f) => f.flow === 'history_flow')?.state, 'IDLE');
    const want1 = normalize(scd1(snaps), ['id', 'name', 'amount']);
    assert.deepEqual(
      normalize(await readTable(tableDir(dir, 'current_rows'), 'id'), ['id', 'name', 'amount']),
      want1,
    );
    assert.deepEqual(normalize(chdb(tableDir(dir, 'current_rows'), 'id'), ['id', 'name', 'amount']), want1);
    const cols = ['id', 'name', 'amount', '__START_AT', '__END_AT'];
    const want2 = normalize(scd2(snaps), cols);
    assert.deepEqual(
      normalize(await readTable(tableDir(dir, 'history'), 'id, __START_AT'), cols),
      want2,
      `seed ${seed}`,
    );
    assert.deepEqual(
      normalize(chdb(tableDir(dir, 'history'), 'id, __START_AT'), cols),
      want2,
      `seed ${seed} (chdb)`,
    );
    assert.ok(deleted > 0, `seed ${seed} deletes keys`);
  }
});

test('a snapshot with two rows for one key is refused (AUTO_CDC_SNAPSHOT_DUPLICATE_KEY) and nothing lands', async () => {
  const dir = tmpDir('cdc-snapshot-dup');
  project(dir);
  writeSnapshot(dir, 0, new Map([[1, { name: 'a', amount: 1 }]]));
  assert.deepEqual(failures(await run(dir)), []);
  writeFiles(dir, { 'snap/s1.json': ndjson([{ id: 1, name: 'b', amount: 2 }]) });
  const r = await run(dir);
  assert.equal(
    r.flows.find((f) => f.flow === 'current_rows')?.error?.code,
    'AUTO_CDC_SNAPSHOT_DUPLICATE_KEY',
  );
  assert.deepEqual(
    (await readTable(tableDir(dir, 'current_rows'), 'id')).map((x) => x.name),
    ['a'],
  );
});

test('a pipeline with an AUTO CDC FROM SNAPSHOT flow is not exported as SQL (AUTO_CDC_SNAPSHOT_NOT_EXPORTABLE)', async () => {
  const dir = tmpDir('cdc-snapshot-export');
  project(dir);
  await assert.rejects(
    exportPipeline(dir, { to: 'databricks', out: join(dir, 'out') }),
    (e: { code?: string }) => e.code === 'AUTO_CDC_SNAPSHOT_NOT_EXPORTABLE',
  );
});

test('AUTO CDC FROM SNAPSHOT crash torture: runs killed at every commit point and at random moments replay to the same tables', {
  timeout: 600_000,
}, async () => {
  const snaps = snapshots(rng(7), 3, 12);
  const capture = async (dir: string) => ({
    current: await readTable(tableDir(dir, 'current_rows'), 'id'),
    history: await readTable(tableDir(dir, 'history'), 'id, __START_AT'),
  });
  // Every run but the last applies one snapshot; the last one is the run that is killed.
  const prepare = async (dir: string) => {
    project(dir);
    for (const [i, snap] of snaps.slice(0, -1).entries()) {
      writeSnapshot(dir, i, snap);
      const r = await runCli(['run', dir]);
      assert.equal(r.code, 0, r.stderr);
    }
    writeSnapshot(dir, snaps.length - 1, snaps.at(-1)!);
  };
  const refDir = tmpDir('cdc-snapshot-ref');
  await prepare(refDir);
  const started = Date.now();
  assert.equal((await runCli(['run', refDir])).code, 0);
  const refMs = Date.now() - started;
  const expected = await capture(refDir);
  const trials: { crashAt?: string; afterMs?: number }[] = [];
  for (const flow of ['current_rows', 'history_flow'])
    for (const point of ['offset-written', 'before-commit', 'after-commit'])
      trials.push({ crashAt: `${point}:${flow}` });
  for (let i = 0; i < Number(process.env.SLUICE_CRASH_TRIALS ?? 6); i++)
    trials.push({ afterMs: 100 + Math.floor(Math.random() * refMs) });
  for (const [i, t] of trials.entries()) {
    const dir = tmpDir(`cdc-snapshot-crash-${i}`);
    await prepare(dir);
    const signal = await killedRun(dir, t);
    if (t.crashAt) assert.equal(signal, 'SIGKILL', `trial ${i}: ${t.crashAt} was not reached`);
    const r = await runCli(['run', dir]);
    const what = t.crashAt ?? `killed after ${t.afterMs} ms`;
    assert.equal(r.code, 0, `trial ${i} (${what}): ${r.stderr}`);
    assert.deepEqual(await capture(dir), expected, `trial ${i} (${what})`);
  }
});
