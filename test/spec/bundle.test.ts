import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors/index.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { writeFiles } from '../helpers/pipeline.ts';
import { tmpDir } from '../helpers/tmp.ts';

const DATABRICKS_YML = `bundle:
  name: events
include:
  - resources/*.yml
variables:
  catalog:
    default: main
  silver_schema:
    description: schema of the silver tables
    default: silver_\${bundle.target}
targets:
  dev:
    default: true
    mode: development
  prod:
    mode: production
    variables:
      catalog: prod_catalog
    resources:
      pipelines:
        streaming_pipeline:
          continuous: true
          clusters:
            - label: default
              num_workers: 8
`;

const PIPELINE_YML = `resources:
  pipelines:
    streaming_pipeline:
      name: "[\${bundle.target}] Event Streaming Pipeline"
      catalog: \${var.catalog}
      schema: \${var.silver_schema}
      libraries:
        - glob:
            include: ../transformations/**
        - notebook:
            path: ../notebooks/gold
      serverless: true
      photon: true
      edition: ADVANCED
      clusters:
        - label: default
          num_workers: 4
          spark_conf:
            spark.x: "1"
      configuration:
        owner: \${workspace.current_user.userName}
        pipelines.enableTrackHistory: "true"
      notifications:
        - alerts: [on-update-failure]
          email_recipients: [data-engineering@company.com]
      tags:
        environment: \${bundle.target}
      sidecar: 1
`;

function bundle(extra: Record<string, string> = {}): string {
  const dir = tmpDir('bundle');
  writeFiles(dir, {
    'databricks.yml': DATABRICKS_YML,
    'resources/streaming_pipeline.yml': PIPELINE_YML,
    'transformations/a.sql': 'CREATE MATERIALIZED VIEW a AS SELECT 1 AS x;\n',
    'notebooks/gold.sql': '-- Databricks notebook source\nCREATE MATERIALIZED VIEW g AS SELECT x FROM a\n',
    ...extra,
  });
  return dir;
}

async function specError(p: Promise<unknown>): Promise<SluiceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SluiceError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

test('a bundle pipeline for the default target: references resolved, paths from the file that wrote them', async () => {
  const dir = bundle();
  const s = await loadSpec(dir, { env: {} });
  assert.equal(s.name, '[dev] Event Streaming Pipeline');
  assert.equal(s.specFile, join(dir, 'databricks.yml'));
  assert.equal(s.catalog, 'main');
  assert.equal(s.schema, 'silver_dev');
  assert.equal(s.storage, join(dir, '.sluice', 'dev', 'streaming_pipeline'));
  assert.deepEqual(s.libraries, [
    { glob: { include: 'transformations/**' } },
    { file: { path: 'notebooks/gold.sql' } },
  ]);
  assert.deepEqual(s.tags, { environment: 'dev' });
  assert.equal(s.configuration.owner, '${workspace.current_user.userName}');
  assert.equal(s.continuous, false);
  assert.deepEqual(s.notifications[0]?.emailRecipients, ['data-engineering@company.com']);
  assert.equal(s.bundle?.mode, 'development');
  assert.deepEqual(Object.keys(s.bundle?.databricks ?? {}).sort(), [
    'clusters',
    'edition',
    'photon',
    'serverless',
  ]);
  assert.deepEqual(
    s.warnings.map((w) => [w.code, w.location?.file, w.location?.line]),
    [
      ['BUNDLE_UNKNOWN_FIELD', 'resources/streaming_pipeline.yml', 28],
      ['BUNDLE_REFERENCE_UNRESOLVED', 'databricks.yml', 1],
    ],
  );
});

test('targets override as the Databricks CLI merges them; --var beats BUNDLE_VAR_ beats the target', async () => {
  const dir = bundle();
  const prod = await loadSpec(dir, { target: 'prod', env: {} });
  assert.equal(prod.name, '[prod] Event Streaming Pipeline');
  assert.equal(prod.catalog, 'prod_catalog');
  assert.equal(prod.schema, 'silver_prod');
  assert.equal(prod.continuous, true);
  assert.equal(prod.storage, join(dir, '.sluice', 'prod', 'streaming_pipeline'));
  // Clusters merge by label: the override's num_workers, the base's spark_conf.
  assert.deepEqual(prod.bundle?.databricks.clusters, [
    { label: 'default', num_workers: 8, spark_conf: { 'spark.x': '1' } },
  ]);
  const env = await loadSpec(dir, { target: 'prod', env: { BUNDLE_VAR_catalog: 'from_env' } });
  assert.equal(env.catalog, 'from_env');
  const cli = await loadSpec(dir, {
    target: 'prod',
    vars: { catalog: 'from_cli' },
    env: { BUNDLE_VAR_catalog: 'from_env' },
  });
  assert.equal(cli.catalog, 'from_cli');
});

test('bundle mistakes are BUNDLE_INVALID / BUNDLE_PIPELINE_NOT_FOUND with file:line', async () => {
  const unknownTarget = await specError(loadSpec(bundle(), { target: 'staging', env: {} }));
  assert.equal(unknownTarget.code, 'BUNDLE_INVALID');
  assert.match(unknownTarget.message, /target 'staging' is not defined in the bundle \(targets: dev, prod\)/);

  const undeclared = await specError(
    loadSpec(
      bundle({
        'resources/streaming_pipeline.yml': PIPELINE_YML.replace('${var.catalog}', '${var.katalog}'),
      }),
      {
        env: {},
      },
    ),
  );
  assert.deepEqual(
    [undeclared.code, undeclared.params.variable, undeclared.location?.file, undeclared.location?.line],
    ['BUNDLE_INVALID', 'katalog', 'resources/streaming_pipeline.yml', 5],
  );

  const two = bundle({
    'resources/other.yml':
      'resources:\n  pipelines:\n    other:\n      name: other\n      libraries:\n        - glob:\n            include: ../transformations/**\n',
  });
  const ambiguous = await specError(loadSpec(two, { env: {} }));
  assert.equal(ambiguous.code, 'BUNDLE_PIPELINE_NOT_FOUND');
  assert.deepEqual(ambiguous.params.pipelines, ['other', 'streaming_pipeline']);
  assert.equal((await loadSpec(two, { pipeline: 'other', env: {} })).name, 'other');

  const outside = await specError(
    loadSpec(
      bundle({
        'resources/streaming_pipeline.yml': PIPELINE_YML.replace('../transformations/**', '../../x/**'),
      }),
      {
        env: {},
      },
    ),
  );
  assert.deepEqual([outside.code, outside.location?.line], ['BUNDLE_INVALID', 9]);

  const noValue = await specError(
    loadSpec(
      bundle({
        'databricks.yml': DATABRICKS_YML.replace('    default: main\n', '    description: no default\n'),
      }),
      {
        env: {},
      },
    ),
  );
  assert.deepEqual([noValue.code, noValue.params.variable], ['BUNDLE_INVALID', 'catalog']);
});
