// Automatic table maintenance inside updates: compaction at the end of an update and between
// continuous rounds, downstream streams that skip it, table opt-outs, the event log, and
// failures that only warn.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { PipelineEventLog, query, runPipeline, type UpdateResult } from '../../src/index.ts';
import { readCommit } from '../../src/storage/delta/log-files.ts';
import { loadSnapshot } from '../../src/storage/delta/snapshot.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** Versions of a table whose commit is an OPTIMIZE, with its operationParameters. */
async function optimizeCommits(table: string): Promise<{ version: number; auto: unknown }[]> {
  const snap = await loadSnapshot(table);
  const out: { version: number; auto: unknown }[] = [];
  for (let v = 0; v <= snap.version; v++) {
    for (const a of await readCommit(table, v)) {
      if ('commitInfo' in a && a.commitInfo.operation === 'OPTIMIZE')
        out.push({ version: v, auto: a.commitInfo.operationParameters?.auto });
    }
  }
  return out;
}

function ran(outcome: Awaited<ReturnType<typeof runPipeline>>): UpdateResult {
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') throw new Error('invalid');
  assert.notEqual(
    outcome.result.state,
    'FAILED',
    JSON.stringify(outcome.result.flows.map((f) => f.error?.message)),
  );
  return outcome.result;
}

const files = (from: number, to: number) =>
  Object.fromEntries(
    Array.from({ length: to - from }, (_, i) => [
      `data/${String(from + i).padStart(3, '0')}.json`,
      ndjson([{ id: from + i }]),
    ]),
  );

test('an update compacts a table of one-file micro-batches; a downstream stream and the MV skip the rewrite; an opted-out table is left alone', async () => {
  const dir = tmpDir('maint-auto');
  writeFiles(dir, {
    'spark-pipeline.yml': `name: maint
configuration:
  spark.databricks.delta.autoCompact.minNumFiles: "5"
`,
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT id FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');
CREATE OR REFRESH STREAMING TABLE kept TBLPROPERTIES ('pipelines.autoOptimize.managed' = 'false')
  AS SELECT id FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');
CREATE OR REFRESH STREAMING TABLE clean AS SELECT id * 10 AS id10 FROM STREAM(raw);
CREATE OR REFRESH MATERIALIZED VIEW total AS SELECT count(*) AS n, sum(id) AS s FROM raw;`,
    ...files(0, 8),
  });
  ran(await runPipeline(dir, { cwd: dir }));
  const raw = tableDir(dir, 'raw');
  assert.equal((await loadSnapshot(raw)).files.length, 1, 'eight one-row files compacted into one');
  assert.deepEqual(await optimizeCommits(raw), [{ version: 9, auto: true }]);
  assert.equal(
    (await loadSnapshot(tableDir(dir, 'kept'))).files.length,
    8,
    'pipelines.autoOptimize.managed = false',
  );
  assert.deepEqual(await optimizeCommits(tableDir(dir, 'kept')), []);

  // More data: the downstream stream reads the new batches only, never the compaction's files.
  writeFiles(dir, files(8, 10));
  ran(await runPipeline(dir, { cwd: dir }));
  const clean = await readTable(tableDir(dir, 'clean'), 'id10');
  assert.deepEqual(
    clean.map((r) => Number(r.id10)),
    Array.from({ length: 10 }, (_, i) => i * 10),
  );
  const [total] = await readTable(tableDir(dir, 'total'), 'n');
  assert.deepEqual([Number(total!.n), Number(total!.s)], [10, 45]);
  assert.deepEqual(
    (await readTable(raw, 'id')).map((r) => Number(r.id)),
    Array.from({ length: 10 }, (_, i) => i),
  );
  // The event log reads fine after maintenance of its own table too.
  const [n] = (await query('SELECT count(*) AS n FROM event_log', { cwd: dir })).rows;
  assert.ok(Number(Object.values(n as object)[0]) > 0);
});

test('the event log is compacted too; its readers and the next writer keep every event once, in sequence', async () => {
  const dir = tmpDir('maint-events');
  writeFiles(dir, {
    'spark-pipeline.yml': `name: events
configuration:
  spark.databricks.delta.autoCompact.minNumFiles: "3"
`,
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT id FROM STREAM read_files('data', format => 'json');`,
    ...files(0, 1),
  });
  for (let i = 0; i < 4; i++) ran(await runPipeline(dir, { cwd: dir }));
  const eventLog = join(dir, '.sluice', 'system', 'event_log');
  assert.ok((await optimizeCommits(eventLog)).length > 0, 'the event log was compacted');
  const log = await PipelineEventLog.open(dir, { cwd: dir });
  try {
    const events = await log.read();
    const seqs = events.map((e) => e.sequence);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i),
      'sequences 0..n-1: nothing lost, nothing doubled',
    );
    assert.equal((await log.updates()).length, 4);
    assert.ok((await log.updates()).every((u) => u.state === 'COMPLETED'));
  } finally {
    await log.close();
  }
});

test('a maintenance failure is a warning of the flow writing the table; the update completes', async () => {
  const dir = tmpDir('maint-warn');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: warn\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw TBLPROPERTIES ('delta.deletedFileRetentionDuration' = 'soon')
  AS SELECT id FROM STREAM read_files('data', format => 'json');`,
    ...files(0, 2),
  });
  const result = ran(await runPipeline(dir, { cwd: dir }));
  assert.equal(result.state, 'COMPLETED');
  const raw = result.flows.find((f) => f.dataset === 'raw')!;
  // Both steps that need the retention say so; compaction still ran.
  const warnings = (raw.warnings ?? []).filter((w) => w.code === 'TABLE_MAINTENANCE_FAILED');
  assert.deepEqual(
    warnings.map((w) => w.params.step),
    ['logCleanup', 'vacuum'],
  );
  for (const w of warnings) {
    assert.equal(w.params.reason, 'DELTA_INVALID_TABLE_PROPERTY');
    assert.equal((w.cause as { code?: string }).code, 'DELTA_INVALID_TABLE_PROPERTY');
  }
  const log = await PipelineEventLog.open(dir, { cwd: dir });
  try {
    const warned = (await log.read()).filter(
      (e) => e.level === 'WARN' && e.error?.code === 'TABLE_MAINTENANCE_FAILED',
    );
    assert.equal(warned.length, 2);
  } finally {
    await log.close();
  }
});

test('continuous mode compacts between rounds', async () => {
  const dir = tmpDir('maint-continuous');
  writeFiles(dir, {
    'spark-pipeline.yml': `name: cont
configuration:
  pipelines.trigger.interval: 20 ms
  sluice.maintenance.interval: 100 ms
  spark.databricks.delta.autoCompact.minNumFiles: "4"
`,
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT id FROM STREAM read_files('data', format => 'json', maxFilesPerTrigger => '1');`,
    ...files(0, 10),
  });
  const raw = tableDir(dir, 'raw');
  const stop = new AbortController();
  const running = runPipeline(dir, { cwd: dir, continuous: true, signal: stop.signal });
  const deadline = Date.now() + 30_000;
  // Stop once every row is in and a compaction happened (a stopped update does no end-of-update pass).
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const snap = await loadSnapshot(raw).catch(() => undefined);
    if (snap && (await readTable(raw, 'id')).length === 10 && (await optimizeCommits(raw)).length > 0) break;
  }
  stop.abort();
  const result = ran(await running);
  assert.equal(result.state, 'CANCELED');
  assert.ok((await optimizeCommits(raw)).length > 0, 'compacted while running');
  assert.deepEqual(
    (await readTable(raw, 'id')).map((r) => Number(r.id)),
    Array.from({ length: 10 }, (_, i) => i),
  );
});
