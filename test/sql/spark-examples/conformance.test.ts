/**
 * A ratchet over Spark's documented function examples (see run-examples.ts):
 * - the examples sluice gets wrong are exactly those in known-wrong.json — a new wrong result
 *   fails, and so does a fixed one until it is removed from the list;
 * - at least as many examples pass as baseline.json records;
 * - docs/spark-functions.md is what the run gives.
 * After an intended change, `node --import tsx test/sql/spark-examples/run-examples.ts --record`
 * rewrites both files; review their diff.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { session } from '../../helpers/session.ts';
import { FUNCTIONS_DOC_FILE, functionsDoc } from './functions-doc.ts';
import {
  type ExampleResult,
  loadBaseline,
  loadExamples,
  loadKnownWrong,
  runExamples,
} from './run-examples.ts';

const RECORD = 'node --import tsx test/sql/spark-examples/run-examples.ts --record';

// One run shared by both tests.
let run: Promise<ExampleResult[]> | undefined;
const results = () => {
  run ??= runExamples(loadExamples().examples, { session, timeZone: 'UTC' });
  return run;
};

test('the wrong results of Spark examples are exactly known-wrong.json', async () => {
  const wrong = new Map((await results()).filter((r) => r.outcome === 'wrong').map((r) => [r.example.id, r]));
  const known = new Set(loadKnownWrong().map((k) => k.id));
  const added = [...wrong.values()]
    .filter((r) => !known.has(r.example.id))
    .map(
      (r) =>
        `${r.example.id}: ${r.example.sql}\n    expected ${r.example.expected.join(' / ')}\n    actual   ${r.actual}`,
    );
  const gone = [...known].filter((id) => !wrong.has(id));
  assert.deepEqual(
    added,
    [],
    `new wrong results (fix them, or refuse what cannot be exact):\n${added.join('\n')}`,
  );
  assert.deepEqual(
    gone,
    [],
    `no longer wrong — remove from known-wrong.json (or run ${RECORD}): ${gone.join(', ')}`,
  );
});

test('at least as many Spark examples pass as baseline.json records', async () => {
  const pass = (await results()).filter((r) => r.outcome === 'pass').length;
  const baseline = loadBaseline();
  assert.ok(pass >= baseline.pass, `${pass} examples pass, baseline.json records ${baseline.pass}`);
});

test('docs/spark-functions.md says what the examples give today', async () => {
  const { spark, examples } = loadExamples();
  const want = functionsDoc(spark, await results());
  assert.equal(examples.length, (await results()).length);
  assert.ok(
    readFileSync(FUNCTIONS_DOC_FILE, 'utf8') === want,
    `docs/spark-functions.md is out of date: run ${RECORD}`,
  );
});
