import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  chdb,
  failures,
  normalize,
  type Row,
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

/** A `$` in pipeline source text, so interpolations written into it read as what they are. */
const D = '$';
const SPEC = 'name: snapfn\nlibraries:\n  - glob:\n      include: transformations/**\n';

/**
 * Two flows whose sources are functions over the snapshot files `snaps/<version>.json`: each call
 * is logged (`calls-<flow>.log`: the version it got and its type) and returns the first snapshot
 * after it, or null. `current_rows` (SCD 1) gives versions as numbers, `history_flow` (SCD 2,
 * async) as bigints.
 */
const TS = String.raw`import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAutoCdcFromSnapshotFlow, createStreamingTable, readFiles, sql } from 'sluice';

declare const __dirname: string;
const root = join(__dirname, '..');

function snapshot(flow: string, big: boolean) {
  return (latest: number | bigint | undefined) => {
    const got = { latest: latest === undefined ? null : String(latest), type: typeof latest };
    appendFileSync(join(root, 'calls-' + flow + '.log'), JSON.stringify(got) + '\n');
    const v = readdirSync(join(root, 'snaps'))
      .map((f) => Number(f.replace('.json', '')))
      .sort((a, b) => a - b)
      .find((x) => latest === undefined || x > Number(latest));
    if (v === undefined) return null;
    const read = readFiles('snaps/' + v + '.json', { format: 'json', schemaHints: 'id INT, name STRING, amount INT' });
    return { query: sql${'`'}SELECT id, name, amount FROM ${D}{read}${'`'}, version: big ? BigInt(v) : v };
  };
}

createStreamingTable({ name: 'current_rows' });
createAutoCdcFromSnapshotFlow({ target: 'current_rows', source: snapshot('current_rows', false), keys: ['id'] });
createStreamingTable({ name: 'history' });
const history = snapshot('history_flow', true);
createAutoCdcFromSnapshotFlow({
  name: 'history_flow',
  target: 'history',
  source: async (latest) => history(latest),
  keys: ['id'],
  storedAsScdType: 2,
  trackHistoryColumnList: ['name'],
});
`;

function writeSnapshots(dir: string, snaps: readonly Snap[], versions: readonly number[]): void {
  const files: Record<string, string> = {};
  snaps.forEach((snap, i) => {
    files[`snaps/${versions[i]}.json`] = ndjson([...snap.entries()].map(([id, v]) => ({ id, ...v })));
  });
  writeFiles(dir, files);
}

function project(dir: string, ts = TS): void {
  writeFiles(dir, { 'spark-pipeline.yml': SPEC, 'transformations/cdc.ts': ts });
}

/** The versions each call of a flow's function got, in order ('-' for undefined), with their types. */
function calls(dir: string, flow: string): string[] {
  let text = '';
  try {
    text = readFileSync(join(dir, `calls-${flow}.log`), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { latest: string | null; type: string })
    .map((c) => (c.latest === null ? `- ${c.type}` : `${c.latest} ${c.type}`));
}

const COLS1 = ['id', 'name', 'amount'];
const COLS2 = ['id', 'name', 'amount', '__START_AT', '__END_AT'];

test('a snapshot function: every snapshot it gives is applied in turn, SCD 1 equals the last and SCD 2 the replay numbered by its versions', async () => {
  for (const seed of [3, 4]) {
    const snaps = snapshots(rng(seed), 7, 8);
    const versions = [5, 10, 11, 40, 41, 100, 1000];
    const dir = tmpDir('cdc-snapshot-fn');
    project(dir);
    // Update 1 finds three snapshots, update 2 four more, update 3 none.
    writeSnapshots(dir, snaps.slice(0, 3), versions);
    const first = await run(dir);
    assert.deepEqual(failures(first), []);
    assert.equal(first.flows.find((f) => f.flow === 'current_rows')?.metrics.num_batches, 3);
    writeSnapshots(dir, snaps, versions);
    assert.deepEqual(failures(await run(dir)), []);
    const idle = await run(dir);
    assert.equal(idle.flows.find((f) => f.flow === 'history_flow')?.state, 'IDLE');
    assert.equal(idle.flows.find((f) => f.flow === 'current_rows')?.state, 'IDLE');

    const want1 = normalize(scd1(snaps), COLS1);
    assert.deepEqual(normalize(await readTable(tableDir(dir, 'current_rows'), 'id'), COLS1), want1);
    assert.deepEqual(normalize(chdb(tableDir(dir, 'current_rows'), 'id'), COLS1), want1);
    const want2 = normalize(scd2(snaps, versions), COLS2);
    const order = 'id, __START_AT';
    assert.deepEqual(
      normalize(await readTable(tableDir(dir, 'history'), order), COLS2),
      want2,
      `seed ${seed}`,
    );
    assert.deepEqual(normalize(chdb(tableDir(dir, 'history'), order), COLS2), want2, `seed ${seed} (chdb)`);

    // Each update calls with the last version processed (undefined at first) until it gets null;
    // each flow gets its versions back as the type it gave them.
    const expected = (type: string) => [
      '- undefined',
      ...[5, 10, 11].map((v) => `${v} ${type}`),
      ...[11, 40, 41, 100, 1000].map((v) => `${v} ${type}`),
      `1000 ${type}`,
    ];
    assert.deepEqual(calls(dir, 'current_rows'), expected('number'));
    assert.deepEqual(calls(dir, 'history_flow'), expected('bigint'));
  }
});

/** A pipeline with one SCD 1 flow `t` whose source is the function `fn` (TypeScript source text). */
function oneFlow(fn: string): string {
  return `import { createAutoCdcFromSnapshotFlow, createStreamingTable, read, readFiles, sql } from 'sluice';

const snap = readFiles('snaps/1.json', { format: 'json', schemaHints: 'id INT, name STRING, amount INT' });
createStreamingTable({ name: 't' });
createAutoCdcFromSnapshotFlow({ name: 'snap_flow', target: 't', source: ${fn}, keys: ['id'] });
void read;
`;
}

test('what a snapshot function gives is checked: wrong shapes, non-integer versions, reads of datasets and throws fail the flow with codes naming it', async () => {
  const cases: { fn: string; code: string; landed: number }[] = [
    // The second call gives the version it was handed: not greater than the last one processed.
    {
      fn: `(latest) => ({ query: sql${'`'}SELECT * FROM ${D}{snap}${'`'}, version: latest ?? 7 })`,
      code: 'AUTO_CDC_SNAPSHOT_VERSION_NOT_INCREASING',
      landed: 2,
    },
    {
      fn: `() => ({ query: 'SELECT 1 AS id', version: 1 })`,
      code: 'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID',
      landed: 0,
    },
    {
      fn: `() => ({ query: sql${'`'}SELECT * FROM ${D}{snap}${'`'}, version: 1.5 })`,
      code: 'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID',
      landed: 0,
    },
    {
      fn: `() => ({ query: sql${'`'}SELECT * FROM ${D}{snap}${'`'}, version: '3' })`,
      code: 'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID',
      landed: 0,
    },
    { fn: `() => 42`, code: 'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID', landed: 0 },
    {
      fn: `() => ({ query: sql${'`'}SELECT * FROM ${D}{read("other")}${'`'}, version: 1 })`,
      code: 'AUTO_CDC_SNAPSHOT_FUNCTION_INVALID',
      landed: 0,
    },
    {
      fn: `async () => { throw new Error('the snapshot store is down'); }`,
      code: 'AUTO_CDC_SNAPSHOT_FUNCTION_FAILED',
      landed: 0,
    },
  ];
  for (const [i, c] of cases.entries()) {
    const dir = tmpDir(`cdc-snapshot-fn-bad-${i}`);
    project(dir, oneFlow(c.fn));
    writeFiles(dir, {
      'snaps/1.json': ndjson([
        { id: 1, name: 'a', amount: 1 },
        { id: 2, name: 'b', amount: 2 },
      ]),
    });
    const r = await run(dir);
    const f = r.flows.find((x) => x.flow === 'snap_flow');
    assert.equal(f?.state, 'FAILED', `case ${i}`);
    assert.equal(f?.error?.code, c.code, `case ${i}: ${f?.error?.message}`);
    assert.match(f?.error?.message ?? '', /snap_flow/, `case ${i}: the message names the flow`);
    assert.equal(f?.error?.dataset, 't', `case ${i}`);
    const rows = await readTable(tableDir(dir, 't'), 'id').catch(() => []);
    assert.equal(rows.length, c.landed, `case ${i}`);
  }
});

test('snapshot function crash torture: runs killed at every commit point and at random moments replay to the same tables, and the function then gets the last version committed', {
  timeout: 600_000,
}, async () => {
  const snaps = snapshots(rng(11), 5, 12);
  const versions = [2, 3, 5, 8, 13];
  const capture = async (dir: string) => ({
    current: await readTable(tableDir(dir, 'current_rows'), 'id'),
    history: await readTable(tableDir(dir, 'history'), 'id, __START_AT'),
  });
  // One run applies the first snapshot; the run that is killed finds four more.
  const prepare = async (dir: string) => {
    project(dir);
    writeSnapshots(dir, snaps.slice(0, 1), versions);
    const r = await runCli(['run', dir]);
    assert.equal(r.code, 0, r.stderr);
    writeSnapshots(dir, snaps, versions);
  };
  const refDir = tmpDir('cdc-snapshot-fn-ref');
  await prepare(refDir);
  const started = Date.now();
  assert.equal((await runCli(['run', refDir])).code, 0);
  const refMs = Date.now() - started;
  const expected = await capture(refDir);
  assert.deepEqual(
    normalize(expected.history as Row[], COLS2),
    normalize(scd2(snaps, versions), COLS2),
    'the uninterrupted run equals the oracle',
  );
  const trials: { crashAt?: string; afterMs?: number }[] = [];
  for (const flow of ['current_rows', 'history_flow'])
    for (const point of ['offset-written', 'before-commit', 'after-commit'])
      trials.push({ crashAt: `${point}:${flow}` });
  for (let i = 0; i < Number(process.env.SLUICE_CRASH_TRIALS ?? 14); i++)
    trials.push({ afterMs: 100 + Math.floor(Math.random() * refMs) });
  const trial = async (i: number) => {
    const t = trials[i]!;
    const dir = tmpDir(`cdc-snapshot-fn-crash-${i}`);
    await prepare(dir);
    const signal = await killedRun(dir, t);
    if (t.crashAt) assert.equal(signal, 'SIGKILL', `trial ${i}: ${t.crashAt} was not reached`);
    const before = {
      current_rows: calls(dir, 'current_rows').length,
      history_flow: calls(dir, 'history_flow').length,
    };
    const r = await runCli(['run', dir]);
    const what = t.crashAt ?? `killed after ${t.afterMs} ms`;
    assert.equal(r.code, 0, `trial ${i} (${what}): ${r.stderr}`);
    assert.deepEqual(await capture(dir), expected, `trial ${i} (${what})`);
    for (const flow of ['current_rows', 'history_flow'] as const) {
      // The restarted run calls the function with versions that only go up, starting from a version
      // the killed run got to (or the first snapshot's), and ends on the last one.
      const after = calls(dir, flow).slice(before[flow]);
      const got = after.map((c) => Number(c.split(' ')[0]));
      assert.deepEqual(
        got,
        [...got].sort((a, b) => a - b),
        `trial ${i} (${what}) ${flow}: ${after}`,
      );
      // The first call gets the version of the last snapshot the killed run recorded: the one
      // its last call returned when it got to record it, else the one that call was handed.
      const handed = Number(calls(dir, flow)[before[flow] - 1]!.split(' ')[0]);
      const returned = versions.find((v) => v > handed);
      assert.ok(got[0] === handed || got[0] === returned, `trial ${i} (${what}) ${flow}: ${after}`);
      assert.equal(got.at(-1), 13, `trial ${i} (${what}) ${flow}: ${after}`);
      assert.equal(new Set(got).size, got.length, `trial ${i} (${what}) ${flow}: each version once`);
    }
  };
  // Two at a time: each trial is mostly waiting on its child processes.
  for (let i = 0; i < trials.length; i += 2)
    await Promise.all([trial(i), ...(i + 1 < trials.length ? [trial(i + 1)] : [])]);
});
