// A compaction killed with SIGKILL at any moment leaves the table readable with the same rows
// (sluice's reader and chdb agree), and vacuum later removes what the killed run left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { query } from 'chdb';
import { compactTable } from '../../src/storage/delta/optimize.ts';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { appendRows, createTable } from '../../src/storage/delta/table.ts';
import { vacuum } from '../../src/storage/delta/vacuum.ts';
import { queryRows } from '../../src/util/duckdb.ts';
import { connect, session } from '../helpers/session.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

const CHILD = join(ROOT, 'test/storage/children/compactor.ts');
const TRIALS = Number(process.env.SLUICE_CRASH_TRIALS ?? 6);

/** Runs the compactor, SIGKILLs it `delayMs` after `ready` (unless it finished first). */
function runAndKill(table: string, delayMs: number): Promise<{ done: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, table], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      const before = out;
      out += d;
      if (!before.includes('ready\n') && out.includes('ready\n'))
        setTimeout(() => child.kill('SIGKILL'), delayMs);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`compactor exited with ${code}: ${err}`));
      resolve({ done: out.includes('done ') });
    });
  });
}

test(`compaction killed with SIGKILL at random points (${TRIALS} trials): same rows every time, nothing lost or doubled`, async () => {
  const conn = await connect();
  try {
    const dir = tmpDir('compact-crash');
    const expected: string[] = [];
    let kills = 0;
    // One table of 20 appends (40 small files in two partitions), copied for each trial.
    const template = join(dir, 'template');
    await createTable(template, {
      schema: {
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: false, metadata: {} },
          { name: 'p', type: 'string', nullable: true, metadata: {} },
        ],
      },
      partitionColumns: ['p'],
      configuration: { 'delta.checkpointInterval': '3' },
    });
    for (let b = 0; b < 20; b++) {
      await appendRows(
        conn,
        template,
        `SELECT (${b * 3} + k)::BIGINT AS id, CASE WHEN k = 0 THEN 'x' ELSE 'y' END AS p FROM range(3) t(k)`,
      );
    }
    for (let i = 0; i < 60; i++) expected.push(`${i}`);
    for (let trial = 0; trial < TRIALS; trial++) {
      const table = join(dir, `t${trial}`);
      cpSync(template, table, { recursive: true });
      const { done } = await runAndKill(table, Math.floor(Math.random() * 250));
      if (!done) kills++;
      const snap = await loadSnapshot(table);
      const ids = await queryRows<{ id: number }>(
        conn,
        `SELECT id FROM (${snapshotScanSql(snap)}) ORDER BY id`,
      );
      assert.deepEqual(
        ids.map((r) => String(r.id)),
        expected,
        `trial ${trial} (${done ? 'finished' : 'killed'})`,
      );
      const ch = JSON.parse(
        query(`SELECT count() AS n, uniqExact(id) AS u FROM deltaLakeLocal('${table}')`, 'JSONEachRow'),
      );
      assert.deepEqual([Number(ch.n), Number(ch.u)], [60, 60], 'chdb reads every row once');
      // Finishing the job and vacuuming (retention 0) leaves exactly the live files.
      await compactTable(table, { db: session.db });
      await vacuum(table, { retentionMs: 0 });
      const after = await loadSnapshot(table);
      const onDisk = ['p=x', 'p=y'].flatMap((p) => readdirSync(join(table, p)).map((n) => `${p}/${n}`));
      assert.deepEqual(onDisk.sort(), after.files.map((f) => f.path).sort());
      assert.equal(after.files.length, 2);
    }
    assert.ok(kills > 0, 'some compactions were killed mid-way');
  } finally {
    conn.closeSync();
  }
});
