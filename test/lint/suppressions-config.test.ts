// Inline suppressions (with their required reason), severities from .sluicelint.yml and the
// spec's lint: key, validate's ST-02 under the same settings, and repeats summarised.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  formatLintText,
  type LintResult,
  lintPipelines,
  runPipeline,
  Session,
  SluiceError,
  validatePipeline,
} from '../../src/index.ts';
import { summarizeWarnings } from '../../src/lint/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const session = new Session();
after(() => session.close());

const brief = (r: LintResult) => r.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.severity}`);
const RAW =
  "CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data', format => 'json');\n";

test('suppressions in SQL, Python and YAML: own line → next code line, trailing → its line, disable-file → the file', async () => {
  const dir = tmpDir('lint-suppress');
  writeFiles(dir, {
    'a.sql': `-- sluice-lint: disable ST-02 bronze keeps every row as received; silver checks them

${RAW}CREATE OR REFRESH STREAMING TABLE other AS SELECT * FROM STREAM read_files('x', format => 'json'); -- sluice-lint: disable ST-02 raw landing table
CREATE OR REFRESH STREAMING TABLE third AS SELECT * FROM STREAM read_files('y', format => 'json');
SELECT '-- sluice-lint: disable ST-02 inside a string is no comment';
`,
    'b.py': `# sluice-lint: disable-file RSS-DEBUG-CODE exploration notebook, never scheduled
display(spark.table("a"))
spark.table("a").count()
`,
    'c.yml': `new_cluster:
  # sluice-lint: disable ST-05 batch backfill cluster, no stream runs here
  autoscale: {min_workers: 1, max_workers: 4}
other:
  new_cluster:
    autoscale: {min_workers: 1, max_workers: 4}
`,
  });
  const r = await lintPipelines([], { cwd: dir, session });
  assert.deepEqual(brief(r), ['a.sql:5 ST-02 error', 'c.yml:6 ST-05 warning']);
  assert.equal(r.suppressed, 5);
});

test('a suppression without a reason, or naming no known rule, is a LINT-SUPPRESSION finding', async () => {
  const dir = tmpDir('lint-suppress-bad');
  writeFiles(dir, {
    'a.sql': `-- sluice-lint: disable ST-02\n${RAW}-- sluice-lint: disable ST-99 no such rule\n-- sluice-lint: enable ST-02 later\n-- sluice-lint: disable\n`,
    'b.py':
      '# sluice-lint: disable-file st-01\n(spark.readStream.table("a").writeStream.option("checkpointLocation", "/c").start())\n',
  });
  const r = await lintPipelines([], { cwd: dir, session });
  assert.deepEqual(
    r.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`),
    [
      'a.sql:1 LINT-SUPPRESSION sluice-lint: disable ST-02 gives no reason: say why the rule does not apply here',
      'a.sql:3 LINT-SUPPRESSION sluice-lint: disable names unknown rule ST-99',
      "a.sql:4 LINT-SUPPRESSION unknown sluice-lint directive 'enable': write 'disable <rules> <reason>' or 'disable-file <rules> <reason>'",
      'a.sql:5 LINT-SUPPRESSION sluice-lint: disable names no rule: write the rule ids, then the reason',
      'b.py:1 LINT-SUPPRESSION sluice-lint: disable-file ST-01 gives no reason: say why the rule does not apply here',
    ],
  );
  // the reasonless suppressions still silence what they name (their own finding says what to add)
  assert.equal(r.suppressed, 2);
  assert.ok(r.findings.every((f) => f.severity === 'error'));
});

test('.sluicelint.yml sets severities (nearest wins); the spec lint: key wins over it for its pipeline', async () => {
  const dir = tmpDir('lint-config');
  writeFiles(dir, {
    '.sluicelint.yml': 'rules:\n  ST-02: warning\n  SDP-CDF: off\n',
    'loose/raw.sql': RAW,
    'strict/.sluicelint.yaml': 'rules:\n  ST-02: note\n',
    'strict/raw.sql': RAW,
    'pipe/spark-pipeline.yml':
      'name: p\ntags: {a: b}\nnotifications:\n  - alerts: [on-update-failure]\n    email_recipients: [a@b.c]\nlint:\n  rules:\n    ST-02: off\n',
    'pipe/transformations/raw.sql': RAW,
  });
  const r = await lintPipelines([], { cwd: dir, session });
  assert.deepEqual(brief(r), ['loose/raw.sql:1 ST-02 warning', 'strict/raw.sql:1 ST-02 note']);
});

test('LINT_CONFIG_INVALID: unknown rule, severity or field, with file:line', async () => {
  for (const [config, line, re] of [
    ['rules:\n  ST-02: warning\n  ST-42: off\n', 3, /unknown rule 'ST-42'/],
    ['rules:\n  ST-02: loud\n', 2, /severity must be one of off, note, warning, error, not "loud"/],
    ['rule:\n  ST-02: off\n', 1, /unknown field 'rule'/],
  ] as const) {
    const dir = tmpDir('lint-config-bad');
    writeFiles(dir, { '.sluicelint.yml': config, 'raw.sql': RAW });
    await assert.rejects(lintPipelines([], { cwd: dir, session }), (e: unknown) => {
      assert.ok(e instanceof SluiceError);
      assert.equal(e.code, 'LINT_CONFIG_INVALID');
      assert.match(e.message, re);
      assert.deepEqual([e.location?.file, e.location?.line], ['.sluicelint.yml', line]);
      return true;
    });
  }
  // the spec's lint: key is part of the spec schema; an unknown rule there is caught by lint
  const dir = tmpDir('lint-config-spec');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: p\nlint:\n  rules:\n    ST-7: off\n',
    'transformations/raw.sql': RAW,
  });
  await assert.rejects(lintPipelines([], { cwd: dir, session }), { code: 'LINT_CONFIG_INVALID' });
});

test('LINT_PATH_NOT_FOUND for a path that does not exist; USAGE for a file lint cannot read', async () => {
  const dir = tmpDir('lint-paths');
  writeFiles(dir, { 'notes.txt': 'hello\n' });
  await assert.rejects(lintPipelines(['nope'], { cwd: dir, session }), { code: 'LINT_PATH_NOT_FOUND' });
  await assert.rejects(lintPipelines(['notes.txt'], { cwd: dir, session }), { code: 'USAGE' });
});

test('validate and run follow the lint settings for ST-02: off silences it, error fails validate (run still runs)', async () => {
  const dir = tmpDir('lint-validate');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: p\n',
    'transformations/raw.sql': RAW,
    'data/a.json': '{"id": 1}\n',
  });
  const plain = await validatePipeline(dir, { session });
  assert.deepEqual(
    plain.warnings.map((w) => w.code),
    ['MISSING_EXPECTATIONS'],
  );
  assert.equal(plain.valid, true);

  writeFiles(dir, { '.sluicelint.yml': 'rules:\n  ST-02: off\n' });
  const off = await validatePipeline(dir, { session });
  assert.deepEqual(off.warnings, []);

  writeFiles(dir, { '.sluicelint.yml': 'rules:\n  ST-02: error\n' });
  const strict = await validatePipeline(dir, { session });
  assert.equal(strict.valid, false);
  assert.deepEqual(
    strict.errors.map((e) => [e.code, e.dataset]),
    [['MISSING_EXPECTATIONS', 'raw']],
  );
  const ran = await runPipeline(dir, { session });
  assert.equal(ran.kind, 'ran');
  assert.deepEqual(
    ran.warnings.map((w) => w.code),
    ['MISSING_EXPECTATIONS'],
  );

  writeFiles(dir, { '.sluicelint.yml': 'rules:\n  ST-02: fatal\n' });
  const broken = await validatePipeline(dir, { session });
  assert.deepEqual(
    broken.errors.map((e) => e.code),
    ['LINT_CONFIG_INVALID'],
  );

  // The inline suppression lint honours silences validate's warning too (even under `error`).
  writeFiles(dir, {
    '.sluicelint.yml': 'rules:\n  ST-02: error\n',
    'transformations/raw.sql': `-- sluice-lint: disable ST-02 bronze keeps every row as received; silver checks them\n${RAW}`,
  });
  const suppressed = await validatePipeline(dir, { session });
  assert.equal(suppressed.valid, true);
  assert.deepEqual(suppressed.warnings, []);
  const linted = await lintPipelines([], { cwd: dir, session });
  assert.deepEqual(
    linted.findings.filter((f) => f.rule === 'ST-02'),
    [],
  );
  assert.equal(linted.suppressed, 1);
});

test('repeats are summarised: one line per rule with 3 or more findings, the list under --verbose', async () => {
  const dir = tmpDir('lint-repeats');
  const files: Record<string, string> = {};
  for (let i = 0; i < 12; i++) files[`t${String(i).padStart(2, '0')}.sql`] = RAW.replace('raw', `raw_${i}`);
  files['one.py'] = 'display(df)\n';
  writeFiles(dir, files);
  const r = await lintPipelines([], { cwd: dir, session });
  const text = formatLintText(r);
  assert.equal(
    text,
    [
      'one.py:1:1 RSS-DEBUG-CODE warning display() in production code runs the query to show it',
      '    fix: remove the call (or use df.isEmpty() / limit(…) where a check is needed)',
      'ST-02 ×12 streaming tables without expectations (error, in 12 files; --verbose lists them)',
      '    fix: add at least one expectation (CONSTRAINT … EXPECT (…) in SQL, @dp.expect* in Python, expectations: in TypeScript)',
      '',
      '✗ 12 errors, 1 warning, 0 notes in 13 files',
      '',
    ].join('\n'),
  );
  const verbose = formatLintText(r, { verbose: true });
  assert.equal(verbose.split('\n').filter((l) => / ST-02 error /.test(l)).length, 12);
  assert.match(verbose, /^t00\.sql:1:1 ST-02 error streaming table 'raw_0' declares no expectations$/m);

  // validate's warnings, the same way
  const warnings = Array.from(
    { length: 4 },
    (_, i) =>
      new SluiceError('MISSING_EXPECTATIONS', `streaming table 't${i}' declares no expectations`, {
        dataset: `t${i}`,
      }),
  );
  const other = new SluiceError('BUNDLE_UNKNOWN_FIELD', 'x');
  assert.deepEqual(
    summarizeWarnings([other, ...warnings], (e) => e.code),
    [
      'BUNDLE_UNKNOWN_FIELD',
      'ST-02 ×4 streaming tables without expectations (t0, t1, t2, t3; --verbose lists them)',
    ],
  );
  assert.equal(summarizeWarnings(warnings, (e) => e.code, { verbose: true }).length, 4);
});
