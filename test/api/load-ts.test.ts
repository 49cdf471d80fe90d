// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are pipeline source code
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { importTsPipelineFiles } from '../../src/api/load-ts.ts';
import { validatePipeline } from '../../src/index.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** Writes `files` (path → lines) under a fresh folder and returns it. */
function folder(files: Record<string, readonly string[]>): string {
  const dir = tmpDir('load-ts');
  for (const [path, lines] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), `${lines.join('\n')}\n`);
  }
  return dir;
}

const lineOf = (lines: readonly string[], text: string) => lines.findIndex((l) => l.includes(text)) + 1;

const HELPER = [
  '// helper: not a pipeline library file (outside transformations/)',
  "import { expect, type ExpectationLike } from 'sluice';",
  '',
  'export const ID_RULES = [',
  "  expect('has_id', 'id IS NOT NULL'),",
  '];',
  "export const suffix = (n: number): string => `_${'x'.repeat(n)}`;",
];
const MAIN = [
  "import { table, materializedView, sql, stream, read } from 'sluice';",
  "import { parse } from 'yaml';",
  "import { ID_RULES, suffix } from '../lib/rules.ts';",
  '',
  "const names = parse('[raw, totals]') as string[];",
  'interface Row { id: number }',
  'const typed: Row = { id: 1 };',
  '',
  'table(',
  '  { name: `events${suffix(typed.id)}`, expectations: ID_RULES },',
  '  sql`SELECT * FROM ${stream(names[0]!)}`,',
  ');',
  'materializedView({ name: names[1]! }, sql`SELECT count(*) AS n FROM ${read("events_x")}`);',
];

test('TypeScript pipeline files: relative helpers, npm packages and types load; call sites are source lines', async () => {
  const dir = folder({
    'lib/rules.ts': HELPER.map((l) => l.replace(', type ExpectationLike', '')),
    'transformations/main.ts': MAIN,
    'transformations/raw.sql': [
      "CREATE STREAMING TABLE raw AS SELECT * FROM STREAM read_files('data/*.json', format => 'json');",
    ],
    'spark-pipeline.yml': ['name: load_ts'],
  });
  const file = join(dir, 'transformations', 'main.ts');
  const [result] = await importTsPipelineFiles([file], { root: dir });
  assert.ok(result?.ok, JSON.stringify(result));
  const regs = result.registrations;
  assert.deepEqual(
    regs.map((r) => (r.kind === 'dataset' ? [r.name, r.location?.file, r.location?.line] : r.kind)),
    [
      ['events_x', file, lineOf(MAIN, 'table(')],
      ['totals', file, lineOf(MAIN, 'materializedView(')],
    ],
  );
  const events = regs[0]!;
  assert.ok(events.kind === 'dataset');
  // an expectation built in a helper file is located in the helper
  assert.deepEqual(
    events.expectations.map((x) => [x.name, x.location?.file, x.location?.line]),
    [['has_id', join(dir, 'lib', 'rules.ts'), lineOf(HELPER, "expect('has_id'")]],
  );
  // every load evaluates the file afresh
  const [again] = await importTsPipelineFiles([file], { root: dir });
  assert.ok(again?.ok && again.registrations.length === 2);
  const v = await validatePipeline(dir);
  assert.deepEqual(v.errors, []);
  assert.deepEqual([...(v.graph?.plan.datasets ?? [])].sort(), ['events_x', 'raw', 'totals']);
});

test('files needing ES module semantics (top-level await, import.meta) still load, with source lines', async () => {
  const TLA = [
    "import { table, sql, stream } from 'sluice';",
    '',
    "const name = await Promise.resolve('from_await');",
    'table({ name }, sql`SELECT * FROM ${stream("raw")}`);',
  ];
  const META = [
    "import { table, sql, stream } from 'sluice';",
    "const here = new URL('.', import.meta.url).pathname.split('/').filter(Boolean).pop();",
    'table({ name: `in_${here}` }, sql`SELECT * FROM ${stream("raw")}`);',
  ];
  const dir = folder({ 'transformations/a.ts': TLA, 'transformations/b.ts': META });
  const files = ['a.ts', 'b.ts'].map((f) => join(dir, 'transformations', f));
  const results = await importTsPipelineFiles(files, { root: dir });
  assert.deepEqual(
    results.map((r) =>
      r.ok
        ? r.registrations.map((x) => (x.kind === 'dataset' ? [x.name, x.location?.line] : x.kind))
        : r.errors,
    ),
    [[['from_await', lineOf(TLA, 'table(')]], [['in_transformations', lineOf(META, 'table(')]]],
  );
});

test('a file that does not parse or throws while loading is one TS_PIPELINE_LOAD_FAILED at its line; others load', async () => {
  const BROKEN = ["import { table } from 'sluice';", '', 'const x: number = ;', 'table({ name: "never" });'];
  const THROWS = [
    "import { table, sql, stream } from 'sluice';",
    "table({ name: 'before' }, sql`SELECT * FROM ${stream('raw')}`);",
    'function check(): never {',
    "  throw new Error('configuration missing');",
    '}',
    'check();',
  ];
  const FINE = [
    "import { table, sql, stream } from 'sluice';",
    "table({ name: 'fine' }, sql`SELECT * FROM ${stream('raw')}`);",
  ];
  const dir = folder({
    'transformations/a_broken.ts': BROKEN,
    'transformations/b_throws.ts': THROWS,
    'transformations/c_fine.ts': FINE,
  });
  const files = ['a_broken.ts', 'b_throws.ts', 'c_fine.ts'].map((f) => join(dir, 'transformations', f));
  const [broken, throws, fine] = await importTsPipelineFiles(files, { root: dir });
  assert.ok(broken && !broken.ok && throws && !throws.ok && fine?.ok);
  assert.deepEqual(
    [broken.errors, throws.errors].map((es) => es.map((e) => [e.code, e.location?.file, e.location?.line])),
    [
      [['TS_PIPELINE_LOAD_FAILED', 'transformations/a_broken.ts', lineOf(BROKEN, '= ;')]],
      [['TS_PIPELINE_LOAD_FAILED', 'transformations/b_throws.ts', lineOf(THROWS, 'throw new')]],
    ],
  );
  assert.match(throws.errors[0]!.message, /configuration missing/);
  assert.deepEqual(
    fine.registrations.map((r) => (r.kind === 'dataset' ? r.name : r.kind)),
    ['fine'],
  );
});
