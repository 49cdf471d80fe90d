import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { latestVersion } from '../../src/storage/delta/snapshot.ts';
import { runCli } from '../helpers/cli.ts';
import { ndjson, readTable, tableDir, writeFiles } from '../helpers/pipeline.ts';
import { ROOT, tmpDir } from '../helpers/tmp.ts';

type Row = { id: number; a: number | null; b: string | null };

const ROWS: Row[] = [
  { id: 1, a: 1, b: 'x' },
  { id: 2, a: null, b: 'x' },
  { id: 3, a: -1, b: 'x' },
  { id: 4, a: 5, b: null },
  { id: 5, a: -2, b: null },
  { id: 6, a: 7, b: 'bad' },
  { id: 7, a: -3, b: 'bad' },
  { id: 8, a: 2, b: 'y' },
  { id: 9, a: null, b: null },
  { id: 10, a: 3, b: 'z' },
];

/** The rules as JavaScript — an independent oracle. `null` (SQL NULL) fails, like FALSE. */
const RULES = {
  positive_a: { action: 'warn', pass: (r: Row) => (r.a === null ? null : r.a > 0) },
  has_b: { action: 'drop', pass: (r: Row) => r.b !== null },
  not_bad: { action: 'quarantine', pass: (r: Row) => (r.b === null ? null : r.b !== 'bad') },
  a_not_too_small: { action: 'quarantine', pass: (r: Row) => (r.a === null ? null : r.a > -3) },
} as const;

const SQL = `CREATE OR REFRESH STREAMING TABLE raw (CONSTRAINT has_id EXPECT (id IS NOT NULL))
AS SELECT * FROM STREAM read_files('data', format => 'json', schema => 'id BIGINT, a BIGINT, b STRING');

CREATE OR REFRESH STREAMING TABLE checked (
  CONSTRAINT positive_a EXPECT (a > 0),
  CONSTRAINT has_b EXPECT (b IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT not_bad EXPECT (b <> 'bad') ON VIOLATION QUARANTINE,
  CONSTRAINT a_not_too_small EXPECT (a > -3) ON VIOLATION QUARANTINE
) AS SELECT id, a, b FROM STREAM(raw);
`;

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

test('warn, drop and quarantine: exact counts with NULLs, the quarantine invariant row by row, every violation listed', async () => {
  const dir = tmpDir('exp-actions');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: checks\n',
    'transformations/p.sql': SQL,
    'data/rows.json': ndjson(ROWS),
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const dq = flowsOf(r.stdout).checked.dataQuality;

  const fails = (name: keyof typeof RULES) => ROWS.filter((row) => RULES[name].pass(row) !== true);
  for (const [name] of Object.entries(RULES)) {
    const e = dq.expectations.find((x: { name: string }) => x.name === name);
    assert.equal(e.failed_records, fails(name as keyof typeof RULES).length, `${name} failed_records`);
    assert.equal(e.passed_records, ROWS.length - e.failed_records, `${name} passed_records`);
    assert.equal(e.dataset, 'checked');
  }
  const quarantined = ROWS.filter(
    (row) => RULES.not_bad.pass(row) !== true || RULES.a_not_too_small.pass(row) !== true,
  );
  const dropped = ROWS.filter((row) => !quarantined.includes(row) && RULES.has_b.pass(row) !== true);
  const kept = ROWS.filter((row) => !quarantined.includes(row) && !dropped.includes(row));
  assert.equal(dq.quarantined_records, quarantined.length);
  assert.equal(dq.dropped_records, dropped.length);

  const target = await readTable(tableDir(dir, 'checked'), 'id');
  const quarantine = await readTable(tableDir(dir, 'checked_quarantine'), 'id');
  assert.deepEqual(
    target.map((x) => Number(x.id)),
    kept.map((x) => x.id),
    'warn keeps rows; drop and quarantine remove them',
  );
  assert.deepEqual(
    quarantine.map((x) => Number(x.id)),
    quarantined.map((x) => x.id),
  );
  assert.equal(
    target.length + dq.dropped_records + dq.quarantined_records,
    ROWS.length,
    'target + dropped + quarantined = input',
  );
  const targetIds = new Set(target.map((x) => Number(x.id)));
  for (const q of quarantine) {
    assert.ok(!targetIds.has(Number(q.id)), `row ${q.id} is in both target and quarantine`);
    const row = ROWS.find((x) => x.id === Number(q.id))!;
    const violated = Object.entries(RULES)
      .filter(([, rule]) => rule.pass(row) !== true)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(
      [...(q._violations as string[])].sort(),
      violated,
      `row ${q.id} lists every violated rule`,
    );
    assert.equal(Number(q._batch_id), 0);
    assert.match(String(q._source), /^raw@v0-1$/);
    assert.ok(q._quarantined_at);
  }
});

test('FAIL UPDATE: nothing of the batch commits, the error names expectation and row, downstream SKIPPED, sibling COMPLETED, fixed re-run succeeds', async () => {
  const dir = tmpDir('exp-fail');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: failing\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH STREAMING TABLE strict (
  CONSTRAINT valid_amount EXPECT (amount >= 0) ON VIOLATION FAIL UPDATE,
  CONSTRAINT has_id EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW
) AS SELECT id, amount FROM STREAM(raw);
CREATE OR REFRESH MATERIALIZED VIEW strict_total AS SELECT sum(amount) AS total FROM strict;
CREATE OR REFRESH STREAMING TABLE sibling (CONSTRAINT has_id EXPECT (id IS NOT NULL)) AS SELECT id FROM STREAM(raw);
`,
    'data/a.json': ndjson([
      { id: 1, amount: 10 },
      { id: 2, amount: 5 },
    ]),
  });
  assert.equal((await runCli(['run', dir])).code, 0);
  const strictPath = tableDir(dir, 'strict');
  const before = await latestVersion(strictPath);

  writeFileSync(
    join(dir, 'data', 'b.json'),
    ndjson([
      { id: 3, amount: 1 },
      { id: 4, amount: -7 },
      { id: null, amount: -1 },
    ]),
  );
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 1);
  const flows = flowsOf(r.stdout);
  assert.equal(flows.strict.state, 'FAILED');
  assert.equal(flows.strict.error.code, 'EXPECTATION_VIOLATION');
  assert.equal(flows.strict.error.dataset, 'strict');
  assert.equal(flows.strict.error.params.expectation, 'valid_amount');
  assert.equal(JSON.parse(flows.strict.error.params.row).amount < 0, true);
  assert.match(
    r.stderr,
    /^EXPECTATION_VIOLATION: expectation 'valid_amount' .*'strict'.*offending row: \{.*"amount":-/m,
  );
  assert.equal(flows.strict_total.state, 'SKIPPED');
  assert.equal(flows.sibling.state, 'COMPLETED');
  assert.equal(flows.raw.state, 'COMPLETED');
  assert.equal(await latestVersion(strictPath), before, 'the failed batch committed nothing');
  assert.deepEqual(
    (await readTable(strictPath, 'id')).map((x) => Number(x.id)),
    [1, 2],
  );

  // Fix the data; the same batch is processed again.
  writeFileSync(
    join(dir, 'data', 'b.json'),
    ndjson([
      { id: 3, amount: 1 },
      { id: 4, amount: 7 },
      { id: null, amount: 1 },
    ]),
  );
  // raw already committed b.json's bad rows; fix them where strict reads them: relax by fully refreshing raw and strict.
  const fixed = await runCli(['run', dir, '--full-refresh', 'raw,strict,strict_total', '--format', 'json']);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.deepEqual(
    (await readTable(strictPath, 'id')).map((x) => Number(x.id)),
    [1, 2, 3, 4],
  );
  assert.equal(Number((await readTable(tableDir(dir, 'strict_total'), 'total'))[0]!.total), 23);
});

test('FAIL UPDATE: relaxing the expectation and re-running processes the same batch', async () => {
  const dir = tmpDir('exp-relax');
  const sql = (rule: string) => `CREATE OR REFRESH STREAMING TABLE strict (
  CONSTRAINT valid_amount EXPECT (${rule}) ON VIOLATION FAIL UPDATE
) AS SELECT * FROM STREAM read_files('data', format => 'json');`;
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: relax\n',
    'transformations/p.sql': sql('amount >= 0'),
    'data/a.json': ndjson([
      { id: 1, amount: 3 },
      { id: 2, amount: -1 },
    ]),
  });
  const failed = await runCli(['run', dir]);
  assert.equal(failed.code, 1);
  assert.equal(
    await latestVersion(tableDir(dir, 'strict')),
    undefined,
    'nothing committed, not even the table',
  );
  writeFiles(dir, { 'transformations/p.sql': sql('amount >= -5') });
  const ok = await runCli(['run', dir, '--format', 'json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(flowsOf(ok.stdout).strict.metrics.num_output_rows, 2);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'strict'), 'id')).map((x) => Number(x.id)),
    [1, 2],
  );
});

test('expectations on a view are evaluated where it is read and reported under the view; on a materialized view too', async () => {
  const dir = tmpDir('exp-view');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: views\n',
    'transformations/p.sql': `CREATE OR REFRESH STREAMING TABLE raw (CONSTRAINT ok EXPECT (true))
AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE TEMPORARY VIEW positive (CONSTRAINT pos EXPECT (v > 0) ON VIOLATION DROP ROW) AS SELECT * FROM STREAM(raw);
CREATE OR REFRESH STREAMING TABLE kept (CONSTRAINT small EXPECT (v < 10)) AS SELECT id, v FROM STREAM(positive);
CREATE OR REFRESH MATERIALIZED VIEW summary (CONSTRAINT not_many EXPECT (n < 3) ON VIOLATION DROP ROW)
AS SELECT v > 5 AS big, count(*) AS n FROM raw GROUP BY ALL;
`,
    'data/a.json': ndjson([
      { id: 1, v: 1 },
      { id: 2, v: -1 },
      { id: 3, v: null },
      { id: 4, v: 20 },
      { id: 5, v: 2 },
    ]),
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const flows = flowsOf(r.stdout);
  const pos = flows.kept.dataQuality.expectations.find((e: { name: string }) => e.name === 'pos');
  assert.deepEqual([pos.dataset, pos.passed_records, pos.failed_records], ['positive', 3, 2]);
  const small = flows.kept.dataQuality.expectations.find((e: { name: string }) => e.name === 'small');
  assert.deepEqual([small.dataset, small.passed_records, small.failed_records], ['kept', 2, 1]);
  assert.deepEqual(
    (await readTable(tableDir(dir, 'kept'), 'id')).map((x) => Number(x.id)),
    [1, 4, 5],
  );
  // summary groups: big=false (v 1,-1,2 → 3 rows: fails n < 3, dropped), big=true (1), big=null (1)
  const summary = flows.summary.dataQuality;
  assert.equal(summary.dropped_records, 1);
  assert.equal((await readTable(tableDir(dir, 'summary'), 'n')).length, 2);
});

test('the bundled example: SQL and TypeScript variants produce identical tables', async () => {
  const dir = tmpDir('example');
  cpSync(join(ROOT, 'examples', 'events'), join(dir, 'events'), {
    recursive: true,
    filter: (s) => !s.includes('.sluice'),
  });
  cpSync(join(ROOT, 'examples', 'events-ts'), join(dir, 'events-ts'), {
    recursive: true,
    filter: (s) => !s.includes('.sluice'),
  });
  const [a, b] = await Promise.all([
    runCli(['run', join(dir, 'events')]),
    runCli(['run', join(dir, 'events-ts')]),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(a.stdout, /valid_user_id\s+drop row\s+960\s+40\s+96\.00%/);
  const volatile = new Set(['processed_at', 'quarantined_at', '_quarantined_at', '_source']);
  const strip = (rows: Record<string, unknown>[]) =>
    rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !volatile.has(k))));
  for (const [t, order] of [
    ['bronze_events', 'event_id, event_timestamp'],
    ['silver_events', 'event_id, event_timestamp'],
    ['quarantine_events', 'event_id, event_timestamp'],
    ['validated_events', 'event_id, event_timestamp'],
    ['validated_events_quarantine', 'event_id, event_timestamp'],
    ['silver_event_hourly_stats', 'event_hour, event_type'],
  ] as const) {
    const sqlRows = strip(await readTable(tableDir(join(dir, 'events'), t, 'silver'), order));
    const tsRows = strip(await readTable(tableDir(join(dir, 'events-ts'), t, 'silver'), order));
    assert.ok(sqlRows.length > 0, `${t} has rows`);
    assert.deepEqual(tsRows, sqlRows, t);
  }
});

test('a query with random values: each row is routed by the value it was written with (counts, target and quarantine agree)', async () => {
  const dir = tmpDir('exp-random');
  const many = Array.from({ length: 2000 }, (_, i) => ({ id: i + 1 }));
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: exp_random\n',
    'data/1.json': ndjson(many),
    'transformations/t.sql': `
CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data', format => 'json');
CREATE OR REFRESH STREAMING TABLE sampled (
  CONSTRAINT low EXPECT (r < 0.5) ON VIOLATION DROP ROW,
  CONSTRAINT mid EXPECT (r < 0.75) ON VIOLATION QUARANTINE
) AS SELECT id, rand() AS r FROM STREAM(raw);
`,
  });
  const r = await runCli(['run', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const flow = flowsOf(r.stdout).sampled;
  const target = await readTable(tableDir(dir, 'sampled'), 'id');
  const quarantine = await readTable(tableDir(dir, 'sampled_quarantine'), 'id');
  // Rows kept have r < 0.5, quarantined ones r >= 0.75 — the value stored is the value judged.
  assert.ok(target.every((x) => Number(x.r) < 0.5));
  assert.ok(quarantine.every((x) => Number(x.r) >= 0.75));
  const q = flow.dataQuality;
  assert.equal(q.quarantined_records, quarantine.length);
  assert.equal(target.length + q.dropped_records + q.quarantined_records, 2000);
  const low = q.expectations.find((x: { name: string }) => x.name === 'low');
  assert.equal(low.passed_records, target.length);
  assert.ok(target.length > 700 && quarantine.length > 300, 'about half kept, a quarter quarantined');
});

test('an expectation may qualify a column with the alias its query gave the rows (x.k), as Spark resolves it', async () => {
  const dir = tmpDir('expect-alias');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: alias\n',
    'data/a.json': ndjson([
      { k: 1, s: 'a' },
      { k: null, s: 'b' },
      { k: 3, s: 'c' },
    ]),
    'transformations/p.sql': `
CREATE STREAMING TABLE st (CONSTRAINT has_k EXPECT (x.k IS NOT NULL) ON VIOLATION DROP ROW)
AS SELECT x.k, x.s FROM STREAM read_files('data', format => 'json') x;
CREATE MATERIALIZED VIEW mv (CONSTRAINT has_k EXPECT (y.k IS NOT NULL) ON VIOLATION DROP ROW)
AS SELECT y.k, upper(y.s) AS s FROM st y;
CREATE MATERIALIZED VIEW bad (CONSTRAINT c EXPECT (z.nope IS NOT NULL)) AS SELECT z.k FROM st z;
`,
  });
  const v = await runCli(['validate', dir]);
  // A qualifier that names no column of the rows still is one: z.nope reads nothing the rows have.
  assert.match(v.stdout, /INVALID_EXPECTATION: expectation 'c' of 'bad' references 'z'/);
  writeFiles(dir, {
    'transformations/p.sql': readFileSync(join(dir, 'transformations/p.sql'), 'utf8').replace(
      /CREATE MATERIALIZED VIEW bad.*\n/,
      '',
    ),
  });
  const r = await runCli(['run', dir]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const st = await readTable(tableDir(dir, 'st'), 'k');
  assert.deepEqual(
    st.map((x) => Number(x.k)),
    [1, 3],
  );
  const mv = await readTable(tableDir(dir, 'mv'), 'k');
  assert.deepEqual(
    mv.map((x) => x.s),
    ['A', 'C'],
  );
});
