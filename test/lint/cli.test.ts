// `sluice lint` end to end, as a user runs it: output formats, exit codes, a bundle target, and
// validate's summary of repeated ST-02 warnings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const RAW = (name: string) =>
  `CREATE OR REFRESH STREAMING TABLE ${name} AS SELECT * FROM STREAM read_files('data', format => 'json');\n`;

const LEGACY_PY = `from delta.tables import DeltaTable


def upsert(batch_df, batch_id):
    (DeltaTable.forName(spark, "silver.orders").alias("t")
        .merge(batch_df.alias("s"), "t.id = s.id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute())


query = (
    spark.readStream.table("bronze.orders")
    .writeStream.foreachBatch(upsert)
    .option("checkpointLocation", "/chk/orders")
    .start()
)
`;

test('sluice lint: text with file:line:col, rule, severity and fix; exit 1 on errors, 0 on warnings only', async () => {
  const dir = tmpDir('lint-cli');
  writeFiles(dir, {
    'jobs/legacy.py': LEGACY_PY,
    'cluster.yml': 'new_cluster:\n  autoscale: {min_workers: 1, max_workers: 2}\n',
  });
  const r = await runCli(['lint'], { cwd: dir });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stdout,
    [
      'cluster.yml:2:3 ST-05 warning the cluster autoscales: adding or removing workers moves streaming state and stalls the stream',
      '    fix: replace autoscale with a fixed num_workers',
      'jobs/legacy.py:13:11 ST-01 error raw Structured Streaming query (readStream/writeStream) outside a Lakeflow pipeline',
      '    fix: declare the stream as a streaming table (SQL CREATE STREAMING TABLE, @dp.table); if an exception was approved, record it with `# sluice-lint: disable ST-01 <approval>`',
      '',
      '✗ 1 error, 1 warning, 0 notes in 2 files',
      '',
    ].join('\n'),
  );
  const warningsOnly = await runCli(['lint', 'cluster.yml'], { cwd: dir });
  assert.equal(warningsOnly.code, 0, warningsOnly.stderr);
  assert.match(warningsOnly.stdout, /✓ 0 errors, 1 warning, 0 notes in 1 file\n$/);

  const json = await runCli(['lint', '--format', 'json'], { cwd: dir });
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.deepEqual(doc.counts, { error: 1, warning: 1, note: 0, suppressed: 0, problems: 0 });
  assert.deepEqual(
    doc.findings.map((f: { rule: string; name: string; file: string; line: number }) => [
      f.rule,
      f.name,
      f.file,
      f.line,
    ]),
    [
      ['ST-05', 'fixed-worker-count', 'cluster.yml', 2],
      ['ST-01', 'lakeflow-sdp-first', 'jobs/legacy.py', 13],
    ],
  );

  const sarif = await runCli(['lint', '--format', 'sarif'], { cwd: dir });
  assert.equal(sarif.code, 1);
  const log = JSON.parse(sarif.stdout);
  assert.equal(log.version, '2.1.0');
  assert.deepEqual(
    log.runs[0].results.map((x: { ruleId: string }) => x.ruleId),
    ['ST-05', 'ST-01'],
  );
});

test('sluice lint: usage errors exit 2; a missing path exits 1 with its code', async () => {
  const dir = tmpDir('lint-cli-usage');
  const bad = await runCli(['lint', '--format', 'xml'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /USAGE: --format must be one of text, json, sarif/);
  const missing = await runCli(['lint', 'nowhere'], { cwd: dir });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /LINT_PATH_NOT_FOUND: nothing to lint at nowhere/);
  const help = await runCli(['lint', '--help'], { cwd: dir });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: sluice lint \[path…\]/);
});

test('sluice lint -t: a bundle is linted for the target asked; --verbose lists repeats', async () => {
  const dir = tmpDir('lint-cli-target');
  const files: Record<string, string> = {
    'databricks.yml': `bundle:
  name: b
resources:
  pipelines:
    p:
      name: p
      serverless: true
      root_path: src
      tags: {team: data}
      notifications:
        - alerts: [on-update-failure]
          email_recipients: [a@b.c]
      libraries:
        - glob:
            include: src/**
targets:
  dev:
    default: true
  classic:
    resources:
      pipelines:
        p:
          serverless: false
          clusters:
            - label: default
              autoscale: {min_workers: 1, max_workers: 3}
`,
  };
  for (let i = 0; i < 4; i++) files[`src/t${i}.sql`] = RAW(`t${i}`);
  writeFiles(dir, files);
  const dev = await runCli(['lint'], { cwd: dir });
  assert.equal(dev.code, 1);
  assert.match(
    dev.stdout,
    /^ST-02 ×4 streaming tables without expectations \(error, in 4 files; --verbose lists them\)$/m,
  );
  assert.doesNotMatch(dev.stdout, /ST-05/);
  const classic = await runCli(['lint', '-t', 'classic', '--verbose'], { cwd: dir });
  assert.match(
    classic.stdout,
    /^databricks\.yml:26:15 ST-05 warning pipeline 'p' cluster 'default' autoscales/m,
  );
  assert.equal(classic.stdout.match(/ ST-02 error /g)?.length, 4);
});

test('sluice validate summarises repeated ST-02 warnings, --verbose lists them; .sluicelint.yml can turn them off', async () => {
  const dir = tmpDir('lint-cli-validate');
  const files: Record<string, string> = { 'spark-pipeline.yml': 'name: many\n' };
  for (let i = 0; i < 5; i++) files[`transformations/t${i}.sql`] = RAW(`bronze_${i}`);
  writeFiles(dir, files);
  const r = await runCli(['validate', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /Warnings \(5\):\n {2}ST-02 ×5 streaming tables without expectations \(bronze_0, bronze_1, bronze_2, bronze_3, bronze_4; --verbose lists them\)\n/,
  );
  const verbose = await runCli(['validate', dir, '--verbose']);
  assert.equal(verbose.stdout.match(/MISSING_EXPECTATIONS/g)?.length, 5);
  writeFiles(dir, { '.sluicelint.yml': 'rules:\n  ST-02: off\n' });
  const off = await runCli(['validate', dir]);
  assert.doesNotMatch(off.stdout, /Warnings|ST-02/);
  assert.match(off.stdout, /✓ valid\n$/);
});
