import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { groupFits } from '../../src/engine/flows/fused-aggregate.ts';
import { runPipeline } from '../../src/index.ts';
import { snapshotScanSql } from '../../src/storage/delta/scan.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { duck, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { rng } from '../helpers/random.ts';
import { tmpDir } from '../helpers/tmp.ts';
import { batches, emitted, events, files, oracle, sqlFor } from './event-streams.ts';

/** A windowed aggregation with count(DISTINCT …) and a HAVING that drops some closed windows. */
const HAVING_SQL = `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute') AS w, user, count(*) AS n, count(DISTINCT amount % 7) AS d, sum(amount) AS total
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS AS e
GROUP BY w, user
HAVING count(*) > 2;
`;

/**
 * A windowed aggregation with a WHERE: one conjunct Spark pushes below the watermark (rows it
 * removes do not move it), one reading the event time (rows it removes still do) — so the
 * watermark reads the input on its own.
 */
const WHERE_SQL = `CREATE OR REFRESH STREAMING TABLE per_minute AS
SELECT window(ts, '1 minute') AS w, user, count(*) AS n, sum(amount) AS total
FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1',
                       schema => 'id INT, user STRING, ts TIMESTAMP, amount INT')
  WATERMARK ts DELAY OF INTERVAL 10 SECONDS AS e
WHERE amount % 3 <> 0 AND second(ts) % 5 <> 0
GROUP BY w, user;
`;

/** Runs one update with fusion capped at `fuse` batches per group (1: batch by batch). */
async function update(dir: string, fuse: number): Promise<void> {
  const before = process.env.SLUICE_FUSE_BATCHES;
  process.env.SLUICE_FUSE_BATCHES = String(fuse);
  try {
    const run = await runPipeline(dir, { cwd: dir });
    assert.equal(
      run.kind === 'ran' && run.result.state,
      'COMPLETED',
      run.kind === 'ran' ? JSON.stringify(run.result.flows.map((f) => f.error)) : '',
    );
  } finally {
    if (before === undefined) delete process.env.SLUICE_FUSE_BATCHES;
    else process.env.SLUICE_FUSE_BATCHES = before;
  }
}

/** Per batch, from the event log: [batch, rows emitted, watermark, state rows, late rows], and the table versions. */
async function progress(dir: string) {
  const log = await loadSnapshot(join(dir, '.sluice', 'system', 'event_log'));
  const rows = await duck(
    `SELECT details FROM (${snapshotScanSql(log)}) WHERE event_type = 'flow_progress' AND level = 'METRICS'`,
  );
  const batches = rows
    .map((r) => {
      const p = (JSON.parse(String(r.details)) as { flow_progress: Record<string, unknown> })
        .flow_progress as {
        batch_id: number;
        table_version: number;
        metrics: { num_output_rows: number };
        event_time: { watermark: string | null };
        state_operators: { num_rows_total: number; num_rows_dropped_by_watermark: number }[];
      };
      return {
        row: [
          p.batch_id,
          p.metrics.num_output_rows,
          p.event_time.watermark,
          p.state_operators[0]!.num_rows_total,
          p.state_operators[0]!.num_rows_dropped_by_watermark,
        ],
        version: p.table_version,
      };
    })
    .sort((a, b) => Number(a.row[0]) - Number(b.row[0]));
  return { rows: batches.map((b) => b.row), versions: new Set(batches.map((b) => b.version)).size };
}

/** The state after the last batch: its record (watermark, rows) and its rows in key order. */
async function finalState(dir: string) {
  const stateDir = join(dir, '.sluice', 'checkpoints', 'per_minute', '0', 'state');
  const meta = readdirSync(stateDir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .at(-1)!;
  const { batchId, watermark, stateRows } = JSON.parse(readFileSync(join(stateDir, meta), 'utf8')) as Record<
    string,
    unknown
  >;
  const rows = await duck(
    `SELECT * FROM read_parquet('${join(stateDir, meta.replace('.json', '.parquet'))}') ORDER BY ALL`,
  );
  return {
    batchId,
    watermark,
    stateRows,
    // count(DISTINCT) keeps a set as a list: its order is not part of the state.
    rows: JSON.stringify(rows, (_, v) =>
      typeof v === 'bigint' ? Number(v) : Array.isArray(v) ? [...v].sort() : v,
    ),
  };
}

async function tableRows(dir: string) {
  const rows = await readTable(tableDir(dir, 'per_minute'), 'w.start, user');
  return JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
}

const cases = [
  { name: 'tumbling', sql: sqlFor(), slide: undefined, oracle: true },
  { name: 'sliding (1 minute every 20 s)', sql: sqlFor('20 seconds'), slide: 20_000, oracle: true },
  { name: 'tumbling with count(DISTINCT) and HAVING', sql: HAVING_SQL, slide: undefined, oracle: false },
  { name: 'tumbling with a WHERE', sql: WHERE_SQL, slide: undefined, oracle: false },
] as const;

for (const c of cases) {
  for (const seed of [21, 22]) {
    test(`fused catch-up (${c.name}, seed ${seed}): random micro-batches over two updates give the same rows, per-batch late rows, watermarks and state rows, and the same state, with fusion on and off — and the oracle's rows`, async () => {
      const r = rng(seed);
      const parts = batches(seed, events(seed, 350));
      const half = 1 + Math.floor(r() * (parts.length - 2));
      const cap = 2 + Math.floor(r() * 6);
      const dirs = { fused: tmpDir('fused-on'), single: tmpDir('fused-off') };
      for (const dir of Object.values(dirs)) {
        writeFiles(dir, {
          'spark-pipeline.yml': 'name: fused\n',
          'transformations/p.sql': c.sql,
          ...files(parts.slice(0, half)),
        });
      }
      await update(dirs.fused, cap);
      await update(dirs.single, 1);
      for (const dir of Object.values(dirs)) writeFiles(dir, files(parts.slice(half), half));
      await update(dirs.fused, cap);
      await update(dirs.single, 1);

      const fused = await progress(dirs.fused);
      const single = await progress(dirs.single);
      assert.equal(single.rows.length, parts.length, 'one flow_progress per batch');
      assert.deepEqual(fused.rows, single.rows, 'per batch: rows emitted, watermark, state rows, late rows');
      assert.ok(
        fused.versions < single.versions,
        `fused groups commit once (${fused.versions} commits for ${parts.length} batches)`,
      );
      assert.equal(await tableRows(dirs.fused), await tableRows(dirs.single));
      assert.deepEqual(await finalState(dirs.fused), await finalState(dirs.single));
      if (c.oracle) {
        const expected = oracle(parts, c.slide);
        assert.ok(expected.late > 0, 'the stream has late rows');
        assert.deepEqual(await emitted(dirs.fused), expected.rows);
        assert.equal(
          single.rows.reduce((n, p) => n + Number(p[4]), 0),
          expected.late,
        );
      } else {
        assert.ok(
          (await readTable(tableDir(dirs.fused, 'per_minute'), 'user')).length > 0,
          'the filters keep some windows',
        );
      }
    });
  }
}

test('a fused group is bounded by its batches and input bytes', () => {
  const offset = (batchId: number, size: number) => ({
    batchId,
    plannedAt: '',
    sources: {
      s: {
        kind: 'files' as const,
        files: [{ path: `f${batchId}`, size, mtimeMs: 0 }],
        schema: { columns: [] },
      },
    },
  });
  const group = [offset(0, 50 * 2 ** 20), offset(1, 50 * 2 ** 20)];
  assert.equal(groupFits(group, offset(2, 28 * 2 ** 20)), true);
  assert.equal(groupFits(group, offset(2, 29 * 2 ** 20)), false, 'over 128 MiB of input');
  const many = Array.from({ length: 128 }, (_, i) => offset(i, 1));
  assert.equal(groupFits(many.slice(0, 127), offset(127, 1)), true);
  assert.equal(groupFits(many, offset(128, 1)), false, 'over 128 batches');
});
