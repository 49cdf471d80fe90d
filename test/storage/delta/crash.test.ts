import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { query } from 'chdb';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { createTable, txnVersion } from '../../../src/storage/delta/table.ts';
import { vacuum } from '../../../src/storage/delta/vacuum.ts';
import { listFilesRecursive } from '../../../src/storage/object-store.ts';
import { type DuckDBConnection, queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { ROOT, tmpDir } from '../../helpers/tmp.ts';

const CHILD = join(ROOT, 'test/storage/delta/children/appender.ts');
const TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 20);
const ROWS = 4;

const SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'writer', type: 'string' as const, nullable: false, metadata: {} },
    { name: 'batch', type: 'long' as const, nullable: false, metadata: {} },
    { name: 'k', type: 'integer' as const, nullable: false, metadata: {} },
  ],
};

/** Runs the appender and SIGKILLs it `delayMs` after it reports ready; returns its acknowledged batches. */
function runAndKill(table: string, delayMs: number): Promise<{ acked: number[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, table, 'w', '1000', String(ROWS)], {
      cwd: ROOT,
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      const before = out;
      out += d;
      if (!before.includes('ready\n') && out.includes('ready\n'))
        setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${stderr}`));
      const acked = out
        .split('\n')
        .filter((l) => l.startsWith('ack '))
        .map((l) => Number(l.split(' ')[1]));
      resolve({ acked, finished: out.includes('done\n') });
    });
  });
}

/** Asserts the table is consistent and returns (latest version, committed batches). */
async function checkConsistent(
  conn: DuckDBConnection,
  table: string,
): Promise<{ version: number; batches: number }> {
  const snap = await loadSnapshot(table);
  const last = snap.txns.get('w') ?? -1;
  // Exactly ROWS rows for each batch 0..last, nothing else (no loss, no duplicate).
  const rows = await queryRows<{ batch: number; n: number }>(
    conn,
    `SELECT batch::INTEGER AS batch, count(*)::INTEGER AS n FROM (${snapshotScanSql(snap)}) GROUP BY batch ORDER BY batch`,
  );
  assert.deepEqual(
    rows,
    Array.from({ length: last + 1 }, (_, b) => ({ batch: b, n: ROWS })),
    `table at version ${snap.version} holds exactly batches 0..${last}`,
  );
  // The independent reader agrees (it also opens any checkpoint we wrote).
  const ch = JSON.parse(
    query(`SELECT count() AS n, max(batch) AS m FROM deltaLakeLocal('${table}')`, 'JSONEachRow'),
  );
  assert.equal(Number(ch.n), (last + 1) * ROWS);
  return { version: snap.version, batches: last + 1 };
}

test(`writer killed with SIGKILL at random points (${TRIALS} trials): table stays consistent, exactly-once`, async () => {
  const table = join(tmpDir('delta-crash'), 't');
  // Frequent checkpoints so kills also land inside checkpoint writing.
  await createTable(table, { schema: SCHEMA, configuration: { 'delta.checkpointInterval': '3' } });
  const conn = await connect();
  try {
    let maxAcked = -1;
    let prevVersion = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const delay = 50 + Math.floor(Math.random() * 350);
      const { acked } = await runAndKill(table, delay);
      if (acked.length > 0) maxAcked = Math.max(maxAcked, ...acked);
      const { version, batches } = await checkConsistent(conn, table);
      assert.ok(batches - 1 >= maxAcked, `every acknowledged batch is in the table (trial ${trial})`);
      assert.ok(version >= prevVersion, 'versions never go back');
      assert.equal((await txnVersion(table, 'w')) ?? -1, batches - 1, 'txn version matches the rows');
      // One commit per batch after the creation commit: the log says exactly what the rows say.
      assert.equal(version, batches);
      prevVersion = version;
    }
    assert.ok(maxAcked >= 0, 'writers got some commits acknowledged');

    // Vacuum removes orphans (files of killed writes, temp files) and the table reads the same.
    const before = await checkConsistent(conn, table);
    const snap = await loadSnapshot(table);
    const live = snap.files.length;
    const res = await vacuum(table, { retentionMs: 0 });
    const after = await checkConsistent(conn, table);
    assert.deepEqual(after, before);
    const dataFiles = (await listFilesRecursive(table)).filter(
      (f) => f.name.endsWith('.parquet') && !f.name.startsWith('_'),
    );
    assert.equal(dataFiles.length, live, `only live files remain (vacuum deleted ${res.files.length})`);
    const tmpLeft = readdirSync(join(table, '_delta_log')).filter((n) => n.startsWith('.'));
    assert.deepEqual(tmpLeft, []);
  } finally {
    conn.closeSync();
  }
});
