import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors/index.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

function project(spec: string, file = 'spark-pipeline.yml'): string {
  const dir = tmpDir('spec');
  writeFileSync(join(dir, file), spec);
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

test('defaults: storage beside the spec, default libraries, strings everywhere', async () => {
  const dir = project('name: demo\n');
  const s = await loadSpec(dir);
  assert.equal(s.name, 'demo');
  assert.equal(s.root, dir);
  assert.equal(s.specFile, join(dir, 'spark-pipeline.yml'));
  assert.equal(s.storage, join(dir, '.sluice'));
  assert.deepEqual(s.libraries, [{ glob: { include: 'transformations/**' } }]);
  assert.equal(s.continuous, false);
  assert.deepEqual(s.configuration, {});
  assert.ok(Object.isFrozen(s));
});

test('all fields; database is an alias of schema; scalars in maps become strings', async () => {
  const dir = project(
    `name: full
storage: out/store
catalog: main
database: silver
configuration:
  retries: 3
  enabled: true
  path: data
libraries:
  - glob:
      include: sql/**
continuous: true
notifications:
  - alerts: [on-update-failure, on-flow-failure]
    email_recipients: [a@b.c]
tags:
  layer: silver
  version: 2
`,
    'sluice.yaml',
  );
  const s = await loadSpec(join(dir, 'sluice.yaml'));
  assert.equal(s.storage, join(dir, 'out/store'));
  assert.equal(s.schema, 'silver');
  assert.equal(s.catalog, 'main');
  assert.deepEqual(s.configuration, { retries: '3', enabled: 'true', path: 'data' });
  assert.deepEqual(s.tags, { layer: 'silver', version: '2' });
  assert.equal(s.continuous, true);
  assert.deepEqual(s.notifications, [
    { alerts: ['on-update-failure', 'on-flow-failure'], emailRecipients: ['a@b.c'], webhookUrls: [] },
  ]);
  assert.deepEqual(s.libraries, [{ glob: { include: 'sql/**' } }]);
});

test('found by walking up from the working directory', async () => {
  const dir = project('name: up\n', 'sluice.yml');
  const deep = join(dir, 'a', 'b');
  mkdirSync(deep, { recursive: true });
  const s = await loadSpec(undefined, { cwd: deep });
  assert.equal(s.name, 'up');
});

test('PIPELINE_SPEC_NOT_FOUND', async () => {
  const dir = tmpDir('nospec');
  const e = await specError(loadSpec(dir));
  assert.equal(e.code, 'PIPELINE_SPEC_NOT_FOUND');
});

test('PIPELINE_SPEC_UNEXPECTED_FIELD names the field path and its line, nested too', async () => {
  let e = await specError(loadSpec(project('name: x\nstorag: y\n')));
  assert.equal(e.code, 'PIPELINE_SPEC_UNEXPECTED_FIELD');
  assert.equal(e.params.field, 'storag');
  assert.deepEqual([e.location?.file, e.location?.line], ['spark-pipeline.yml', 2]);
  e = await specError(
    loadSpec(project('name: x\nlibraries:\n  - glob:\n      include: a/**\n      exclude: b\n')),
  );
  assert.equal(e.code, 'PIPELINE_SPEC_UNEXPECTED_FIELD');
  assert.equal(e.params.field, 'libraries[0].glob.exclude');
  assert.equal(e.location?.line, 5);
});

test('PIPELINE_SPEC_INVALID_GLOB_PATTERN: unbalanced brackets, absolute, escaping', async () => {
  for (const [pattern, line] of [
    ['src/[abc', 4],
    ['/etc/**', 4],
    ['../other/**', 4],
  ] as const) {
    const e = await specError(
      loadSpec(project(`name: x\nlibraries:\n  - glob:\n      include: "${pattern}"\n`)),
    );
    assert.equal(e.code, 'PIPELINE_SPEC_INVALID_GLOB_PATTERN', pattern);
    assert.equal(e.location?.line, line);
  }
});

test('PIPELINE_SPEC_INVALID: missing name, wrong types, bad alert, bad YAML — with field and line', async () => {
  let e = await specError(loadSpec(project('storage: x\n')));
  assert.deepEqual([e.code, e.params.field], ['PIPELINE_SPEC_INVALID', 'name']);
  e = await specError(loadSpec(project('name: x\ncontinuous: maybe\n')));
  assert.deepEqual([e.code, e.params.field, e.location?.line], ['PIPELINE_SPEC_INVALID', 'continuous', 2]);
  e = await specError(loadSpec(project('name: x\nnotifications:\n  - alerts: [on-sunrise]\n')));
  assert.deepEqual(
    [e.code, e.params.field, e.location?.line],
    ['PIPELINE_SPEC_INVALID', 'notifications[0].alerts[0]', 3],
  );
  e = await specError(loadSpec(project('name: [x\n')));
  assert.equal(e.code, 'PIPELINE_SPEC_INVALID');
  e = await specError(loadSpec(project('name: x\nschema: a\ndatabase: b\n')));
  assert.deepEqual([e.code, e.params.field], ['PIPELINE_SPEC_INVALID', 'schema']);
});
