// The streaming standard's own samples, read in place from
// ../shared/reference/streaming-production-patterns.md and linted as a user would lint them:
// what the standard marks WRONG is flagged with the rule it illustrates at its reference line,
// what it shows as right is clean — and where a sample shown as right itself breaks one of the
// standard's checklist items, the finding is stated here as a fact, at its reference line.
// Findings are reported as `<reference line> <rule> <severity>` (a sample's file line mapped
// back to the line of the reference it comes from).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type LintResult, lintPipelines, Session } from '../../src/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';
import {
  markedParts,
  NEEDS_REFERENCE,
  referenceSamples,
  ruleOf,
  type Sample,
  sample,
} from './reference-samples.ts';

const skip = NEEDS_REFERENCE;
const session = new Session();
after(() => session.close());

const BUNDLE_ROOT = `bundle:
  name: reference
include:
  - resources/*.yml
variables:
  catalog:
    default: dev_catalog
  bronze_schema:
    default: bronze
  silver_schema:
    default: silver
targets:
  dev:
    default: true
    mode: development
`;

/** How a recorded ST-01 exception looks (the standard asks exceptions to be approved). */
const APPROVED =
  '# sluice-lint: disable-file ST-01 legacy migration, approved by the Data Steward (DS-2026-014)\n';

/** A file of a lint folder: its text, and the sample it holds (after `prefix` lines of our own). */
interface Placed {
  readonly text: string;
  readonly sample?: Sample;
  readonly prefix?: number;
}

const placed = (s: Sample, prefix = ''): Placed => ({
  text: prefix + s.text,
  sample: s,
  prefix: prefix === '' ? 0 : prefix.split('\n').length - 1,
});

/**
 * Lints a folder of files; each finding in a sample's file is `L<reference line> RULE
 * severity`, in other files `file:line RULE severity`.
 */
async function lintFolder(
  prefix: string,
  files: Readonly<Record<string, Placed | string>>,
): Promise<{ r: LintResult; found: string[] }> {
  const dir = tmpDir(prefix);
  writeFiles(
    dir,
    Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? v : v.text])),
  );
  const r = await lintPipelines([], { cwd: dir, session });
  const found = r.findings.map((f) => {
    const p = files[f.file];
    const from = typeof p === 'object' ? p.sample : undefined;
    const at =
      typeof p === 'object' && from ? `L${from.line + f.line - 1 - (p.prefix ?? 0)}` : `${f.file}:${f.line}`;
    return `${at} ${f.rule} ${f.severity}`;
  });
  return { r, found };
}

const EXTENSION: Record<string, string> = { python: '.py', sql: '.sql', yaml: '.yml' };

test('the reference holds the samples these tests read', { skip }, () => {
  assert.deepEqual(
    referenceSamples().map((s) => [s.line, s.lang, s.title]),
    [
      [132, 'python', 'Basic Expectations (Python)'],
      [157, 'python', 'Multiple Expectations (Python)'],
      [171, 'sql', 'Expectations (SQL)'],
      [189, 'python', 'Quarantine Pattern for Invalid Data'],
      [275, 'yaml', 'Serverless Pipeline (Recommended)'],
      [336, 'yaml', 'Classic Compute Pipeline (When Serverless Not Available)'],
      [373, 'python', 'Bronze to Silver Streaming Pipeline'],
      [497, 'yaml', 'Rule ST-04: Never run production streams on all-purpose compute'],
      [533, 'yaml', 'Rule ST-05: Disable auto-scaling for streaming workloads'],
      [547, 'python', 'Rule ST-06: Ensure all streaming operations are idempotent'],
      [593, 'sql', 'Lakeflow SDP Monitoring'],
    ],
  );
});

test('every part the standard marks ❌ WRONG is flagged with its rule at its line; every ✅ CORRECT part is clean', {
  skip,
}, async () => {
  const parts = referenceSamples().flatMap(markedParts);
  assert.deepEqual(
    parts.map((p) => [p.line, p.verdict]),
    [
      [533, 'wrong'],
      [539, 'right'],
    ],
  );
  for (const p of parts) {
    const name = `${p.verdict}_${p.line}${EXTENSION[p.lang]}`;
    const { r, found } = await lintFolder(`lint-ref-${p.verdict}`, { [name]: placed(p) });
    assert.deepEqual(r.problems, [], name);
    if (p.verdict === 'right') assert.deepEqual(found, [], name);
    else assert.ok(found.length > 0 && found.every((f) => f.includes(` ${ruleOf(p)} `)), name);
  }
  // The WRONG cluster: line 533 is the "❌ WRONG" comment, 534 `new_cluster:`, 535 `autoscale:`.
  const wrong = parts[0]!;
  const { found } = await lintFolder('lint-ref-wrong-line', { 'cluster.yml': placed(wrong) });
  assert.deepEqual(found, ['L535 ST-05 warning']);
});

test('the code samples shown as right are clean, each on its own', { skip }, async () => {
  const files: Record<string, Placed> = {};
  for (const s of referenceSamples())
    if (s.lang !== 'yaml' && ruleOf(s) === undefined) files[`s${s.line}${EXTENSION[s.lang]}`] = placed(s);
  assert.equal(Object.keys(files).length, 6);
  const { r, found } = await lintFolder('lint-ref-files', files);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(found, []);
  assert.equal(r.files.length, 6);
});

test('the serverless bundle with the complete pipeline and the transactions notebook is clean', {
  skip,
}, async () => {
  const { r, found } = await lintFolder('lint-ref-serverless', {
    'databricks.yml': BUNDLE_ROOT,
    'resources/streaming_pipeline.yml': placed(sample('Serverless Pipeline')),
    'src/streaming/silver_events.py': placed(sample('Bronze to Silver')),
    'src/streaming/silver_transactions.py': placed(sample('Multiple Expectations')),
  });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(found, []);
  assert.deepEqual(r.files, [
    'databricks.yml',
    'resources/streaming_pipeline.yml',
    'src/streaming/silver_events.py',
    'src/streaming/silver_transactions.py',
  ]);
});

test('the classic-compute bundle: fixed workers and cluster tags pass; it configures no failure notifications', {
  skip,
}, async () => {
  const { r, found } = await lintFolder('lint-ref-classic', {
    'databricks.yml': BUNDLE_ROOT,
    'resources/classic.yml': placed(sample('Classic Compute Pipeline')),
    'src/streaming/silver_events.py': placed(sample('Bronze to Silver')),
  });
  assert.deepEqual(r.problems, []);
  // Fact: the sample shows compute only; the checklist's "Notifications configured for
  // failures" is not met by it (reported at the pipeline's key, line 338). serverless: false is
  // a stated choice, so SDP-SERVERLESS (a preference) is not reported.
  assert.deepEqual(found, ['L338 SDP-NOTIFICATIONS warning']);
});

test('the ST-06 sample: raw streaming is ST-01 until an exception is recorded; its MERGE and checkpoint pass', {
  skip,
}, async () => {
  const s = sample('Rule ST-06');
  const { r, found } = await lintFolder('lint-ref-foreach', {
    'unapproved.py': placed(s),
    'approved.py': placed(s, APPROVED),
  });
  // `(spark.readStream` is reference line 559
  assert.deepEqual(found, ['L559 ST-01 error']);
  assert.equal(r.findings[0]!.column, 8);
  assert.equal(r.suppressed, 1);
});

test('the ST-04 job bundle: jobs compute, fixed workers, graceful shutdown and tags pass; its job-level max_retries is flagged', {
  skip,
}, async () => {
  const { r, found } = await lintFolder('lint-ref-job', {
    'databricks.yml': BUNDLE_ROOT,
    'resources/streaming_job.yml': placed(sample('Rule ST-04')),
    'src/streaming/legacy_pipeline.py': placed(sample('Rule ST-06'), APPROVED),
  });
  assert.deepEqual(r.problems, []);
  // Facts: the sample writes `max_retries: -1` at the job level (reference line 510); a job's
  // settings have no such field — retries belong to each task — so the unlimited retries it
  // intends never apply. And the job alerts no one when its stream fails (the checklist's
  // "Monitoring configured"; reported at the job's key, line 500).
  assert.deepEqual(found, ['L500 SDP-NOTIFICATIONS warning', 'L510 RSS-RETRIES warning']);
  assert.match(r.findings[1]!.fix, /move max_retries: -1 into each task/);
  assert.ok(r.files.includes('src/streaming/legacy_pipeline.py'));
});

test('the ST-04 job moved to all-purpose compute (retries on its task): ST-04 at existing_cluster_id', {
  skip,
}, async () => {
  const s = sample('Rule ST-04');
  const job = s.text
    .replace('      max_retries: -1\n', '')
    .replace(
      '          job_cluster_key: streaming\n',
      '          existing_cluster_id: 0123-456789-abcdef\n          max_retries: -1\n',
    );
  const { r, found } = await lintFolder('lint-ref-job-fixed', {
    'databricks.yml': BUNDLE_ROOT,
    'resources/streaming_job.yml': job,
    'src/streaming/legacy_pipeline.py': placed(sample('Rule ST-06'), APPROVED),
  });
  assert.deepEqual(found, [
    'resources/streaming_job.yml:4 SDP-NOTIFICATIONS warning',
    'resources/streaming_job.yml:28 ST-04 error',
  ]);
  assert.equal(
    r.findings[1]!.message,
    "task 'stream' of job 'streaming_job' streams on all-purpose compute (existing_cluster_id)",
  );
});
