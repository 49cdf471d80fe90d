// A stateful flow's state versions: published durably (both files fsynced, renamed into place, the
// folder fsynced) before the commit of the batch they belong to, and removed once a later version
// is committed. What a power loss would do cannot be observed; the order of the system calls that
// make it safe can, by wrapping fs.promises' rename/link and FileHandle.sync.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { after, mock, test } from 'node:test';
import { StateStore } from '../../../src/engine/checkpoints/state-store.ts';
import { runPipeline } from '../../../src/index.ts';
import { TEMP_PREFIX } from '../../../src/util/durable-file.ts';
import { writeFiles } from '../../helpers/pipeline.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';
import { batches, emitted, events, files, oracle, SQL } from '../event-streams.ts';

const conn = await connect();
after(() => conn.closeSync());

type Call =
  | { op: 'fsync'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'link'; from: string; to: string };

/** Records rename, link and FileHandle.sync (with the synced file's path) while `work` runs. */
async function recordCalls(work: () => Promise<void>): Promise<Call[]> {
  const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
  const calls: Call[] = [];
  const { rename, link } = fsp;
  const probe = await fsp.open(import.meta.filename, 'r');
  const handleProto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const sync = handleProto.sync;
  mock.method(fsp, 'rename', async (from: string, to: string) => {
    calls.push({ op: 'rename', from: String(from), to: String(to) });
    return rename(from, to);
  });
  mock.method(fsp, 'link', async (from: string, to: string) => {
    calls.push({ op: 'link', from: String(from), to: String(to) });
    return link(from, to);
  });
  mock.method(handleProto, 'sync', function (this: { fd: number }) {
    calls.push({ op: 'fsync', path: readlinkSync(`/proc/self/fd/${this.fd}`) });
    return sync.call(this);
  });
  syncBuiltinESMExports();
  try {
    await work();
  } finally {
    mock.restoreAll();
    syncBuiltinESMExports();
  }
  return calls;
}

test('publishParquet makes the Parquet and its record one durable version: both fsynced, renamed, then the folder fsynced once', async () => {
  const store = new StateStore(tmpDir('state-store'));
  const tmp = await store.tempFor(3);
  await conn.run(`COPY (SELECT range AS k FROM range(5)) TO '${tmp}' (FORMAT parquet)`);
  const columns = [{ name: 'k', type: 'BIGINT' }];
  let version: Awaited<ReturnType<StateStore['publishParquet']>> | undefined;
  const calls = await recordCalls(async () => {
    version = await store.publishParquet(tmp, { batchId: 3, watermark: 42_000, stateRows: 5, columns });
  });
  const parquet = store.parquetPath(3);
  assert.equal(version?.stateBytes, statSync(parquet).size, 'the bytes recorded are the published file’s');
  assert.deepEqual(await store.read(3), {
    batchId: 3,
    watermark: 42_000,
    stateRows: 5,
    columns,
    stateBytes: version?.stateBytes,
  });
  const renames = calls.flatMap((c, i) => (c.op === 'rename' ? [{ ...c, i }] : []));
  assert.deepEqual(renames.map((r) => r.to).sort(), [join(store.dir, '0000000003.json'), parquet]);
  for (const r of renames) {
    assert.ok(r.from.split('/').at(-1)!.startsWith(TEMP_PREFIX), `${r.to} was written under a temp name`);
    const synced = calls.findIndex((c) => c.op === 'fsync' && c.path === r.from);
    assert.ok(synced >= 0 && synced < r.i, `${r.to} was fsynced before it was renamed into place`);
  }
  const dirSynced = calls.findIndex((c) => c.op === 'fsync' && c.path === store.dir);
  assert.ok(dirSynced > Math.max(...renames.map((r) => r.i)), 'the folder is fsynced after both renames');
  assert.deepEqual(readdirSync(store.dir).sort(), ['0000000003.json', '0000000003.parquet']);

  await store.evictVersion(3);
  assert.deepEqual(readdirSync(store.dir), [], 'evictVersion removes both files of the version');
  await store.evictVersion(3); // already gone: nothing to do
});

for (const fused of [false, true]) {
  test(`each ${fused ? 'fused group of batches' : 'batch'} of a streaming aggregation publishes its state durably before its commit, and only the last committed version stays`, async () => {
    const parts = batches(11, events(11, 120)).slice(0, 4);
    const dir = tmpDir('state-store-run');
    // Batch by batch (one commit each), or the four batches as one fused group (one commit).
    const before = process.env.SLUICE_FUSE_BATCHES;
    process.env.SLUICE_FUSE_BATCHES = fused ? '128' : '1';
    writeFiles(dir, { 'spark-pipeline.yml': 'name: agg\n', 'transformations/p.sql': SQL, ...files(parts) });
    let result: Awaited<ReturnType<typeof runPipeline>> | undefined;
    const calls = await recordCalls(async () => {
      result = await runPipeline(dir, { cwd: dir });
    }).finally(() => {
      if (before === undefined) delete process.env.SLUICE_FUSE_BATCHES;
      else process.env.SLUICE_FUSE_BATCHES = before;
    });
    assert.equal(result?.kind === 'ran' && result.result.state, 'COMPLETED');
    assert.deepEqual(await emitted(dir), oracle(parts).rows);

    const stateDir = join(dir, '.sluice', 'checkpoints', 'per_minute', '0', 'state');
    const log = join(dir, '.sluice', 'tables', 'default', 'per_minute', '_delta_log');
    const commits = calls.flatMap((c, i) =>
      c.op === 'link' && dirname(c.to) === log ? [{ to: c.to, i }] : [],
    );
    let checked = 0;
    for (const commit of commits) {
      const txn = readFileSync(commit.to, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"txn"'))
        .map((l) => (JSON.parse(l) as { txn: { version: number } }).txn.version)[0];
      if (txn === undefined) continue;
      const record = join(stateDir, `${String(txn).padStart(10, '0')}.json`);
      const published = calls.findIndex((c) => c.op === 'rename' && c.to === record);
      assert.ok(
        published >= 0 && published < commit.i,
        `the state of batch ${txn} was published before its commit`,
      );
      const dirSynced = calls.findIndex((c, i) => i > published && c.op === 'fsync' && c.path === stateDir);
      assert.ok(
        dirSynced > 0 && dirSynced < commit.i,
        `the state folder was fsynced before the commit of batch ${txn}`,
      );
      checked++;
    }
    assert.equal(
      checked,
      fused ? 1 : parts.length,
      fused ? 'one commit for the group' : 'one commit per batch',
    );
    const last = String(parts.length - 1).padStart(10, '0');
    assert.deepEqual(readdirSync(stateDir).sort(), [`${last}.json`, `${last}.parquet`]);
    assert.ok(!existsSync(join(stateDir, '0000000000.parquet')));
  });
}
