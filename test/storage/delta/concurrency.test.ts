import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { query } from 'chdb';
import { snapshotScanSql } from '../../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../../src/storage/delta/snapshot.ts';
import { createTable } from '../../../src/storage/delta/table.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { ROOT, tmpDir } from '../../helpers/tmp.ts';

const CHILD = join(ROOT, 'test/storage/delta/children/appender.ts');

const APPEND_SCHEMA = {
  type: 'struct' as const,
  fields: [
    { name: 'writer', type: 'string' as const, nullable: false, metadata: {} },
    { name: 'batch', type: 'long' as const, nullable: false, metadata: {} },
    { name: 'k', type: 'integer' as const, nullable: false, metadata: {} },
  ],
};

function runChild(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('8 processes appending concurrently: every commit lands exactly once, versions contiguous', async () => {
  const table = join(tmpDir('delta-conc'), 't');
  // Checkpoints every 5 commits so checkpoint writing races with commits too.
  await createTable(table, { schema: APPEND_SCHEMA, configuration: { 'delta.checkpointInterval': '5' } });
  const writers = 8;
  const batches = 10;
  const rows = 3;
  const results = await Promise.all(
    Array.from({ length: writers }, (_, w) => runChild([table, `w${w}`, String(batches), String(rows)])),
  );
  const committed = new Set<number>();
  let retried = 0;
  for (const [w, r] of results.entries()) {
    assert.equal(r.code, 0, `writer ${w} failed: ${r.stderr}`);
    const acks = r.stdout.split('\n').filter((l) => l.startsWith('ack '));
    assert.equal(acks.length, batches, `writer ${w} acknowledged every batch`);
    for (const a of acks) {
      const [, , version, attempts] = a.split(' ');
      assert.ok(!committed.has(Number(version)), `version ${version} acknowledged twice`);
      committed.add(Number(version));
      if (Number(attempts) > 1) retried++;
    }
  }
  const total = writers * batches;
  // Versions 1..80 each hold exactly one writer's batch; 0 is the table creation.
  assert.deepEqual(
    [...committed].sort((a, b) => a - b),
    Array.from({ length: total }, (_, i) => i + 1),
  );
  const logNames = readdirSync(join(table, '_delta_log')).filter((n) => n.endsWith('.json'));
  assert.equal(logNames.length, total + 1, 'commit files are contiguous 0..N');
  assert.ok(retried > 0, 'some commits had to rebase (the test really was concurrent)');

  const snap = await loadSnapshot(table);
  assert.equal(snap.version, total);
  for (let w = 0; w < writers; w++) assert.equal(snap.txns.get(`w${w}`), batches - 1);
  const conn = await connect();
  try {
    const dupes = await queryRows(
      conn,
      `SELECT writer, batch, count(*) AS n FROM (${snapshotScanSql(snap)}) GROUP BY ALL HAVING count(*) <> ${rows}`,
    );
    assert.deepEqual(dupes, []);
    const [{ n }] = await queryRows<{ n: number }>(
      conn,
      `SELECT count(*)::INTEGER AS n FROM (${snapshotScanSql(snap)})`,
    );
    assert.equal(n, total * rows);
  } finally {
    conn.closeSync();
  }
  const chdbCount = JSON.parse(
    query(
      `SELECT count() AS n, uniqExact(writer, batch) AS b FROM deltaLakeLocal('${table}')`,
      'JSONEachRow',
    ),
  );
  assert.equal(Number(chdbCount.n), total * rows);
  assert.equal(Number(chdbCount.b), total);
});
