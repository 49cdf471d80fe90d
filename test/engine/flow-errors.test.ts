import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type FlowResult, runPipeline, type SluiceError, toSluiceError } from '../../src/index.ts';
import { ndjson, writeFiles } from '../helpers/pipeline.ts';
import { connect } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

/** Runs a pipeline whose flows fail at run time and returns the failed flows' errors by flow. */
async function failures(dir: string): Promise<Map<string, SluiceError>> {
  const outcome = await runPipeline(dir);
  assert.equal(outcome.kind, 'ran');
  if (outcome.kind !== 'ran') throw new Error('unreachable');
  const failed = outcome.result.flows.filter((f: FlowResult) => f.state === 'FAILED');
  return new Map(failed.map((f) => [f.flow, f.error!]));
}

test('errors that leave a flow carry a code, the dataset and the user’s line — never generated SQL or machine paths', async () => {
  const dir = tmpDir('flow-errors');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: errs\nlibraries:\n  - glob:\n      include: t/**\n',
    'data/a.json': ndjson([
      { id: 1, s: 'abc', n: 'x' },
      { id: 2, s: 'b(', n: '5' },
    ]),
    't/a.sql': [
      "CREATE STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('data', format => 'json');",
      'CREATE STREAMING TABLE s1 AS SELECT nonexistant FROM STREAM(bronze);',
      'CREATE STREAMING TABLE s2 AS SELECT id,\n  CAST(s AS INT) AS i FROM STREAM(bronze);',
      // A regular expression is translated (or refused) at validate, so s3 and s5 run.
      "CREATE STREAMING TABLE s3 AS SELECT regexp_extract(s, '(a)', 1) AS r FROM STREAM(bronze);",
      'CREATE STREAMING TABLE s4 AS SELECT b.id FROM STREAM(bronze) b JOIN bronze c ON b.zz = c.id;',
      'CREATE STREAMING TABLE s5 (',
      "  CONSTRAINT c EXPECT (s RLIKE '(x)') ON VIOLATION QUARANTINE",
      ') AS SELECT * FROM STREAM(bronze);',
      'CREATE STREAMING TABLE s6 (',
      '  CONSTRAINT ok EXPECT (id > 0) ON VIOLATION QUARANTINE',
      ') AS SELECT id, CAST(n AS INT) AS k FROM STREAM(bronze);',
      'CREATE MATERIALIZED VIEW m1 AS SELECT CAST(2147483647 AS INT) + CAST(id AS INT) AS o FROM bronze;',
    ].join('\n'),
  });
  const errors = await failures(dir);
  const expected: Record<string, [string, string, number, number]> = {
    s1: ['UNRESOLVED_COLUMN', 's1', 2, 37],
    s2: ['CAST_INVALID_INPUT', 's2', 4, 3],
    s4: ['UNRESOLVED_COLUMN', 's4', 6, 83],
    s6: ['CAST_INVALID_INPUT', 's6', 12, 17],
    m1: ['ARITHMETIC_OVERFLOW', 'm1', 13, 1],
  };
  assert.deepEqual([...errors.keys()].sort(), Object.keys(expected).sort());
  for (const [flow, [code, dataset, line, column]] of Object.entries(expected)) {
    const e = errors.get(flow)!;
    assert.equal(e.code, code, `${flow}: ${e.message}`);
    assert.equal(e.dataset, dataset, flow);
    assert.deepEqual(e.location, { file: 't/a.sql', line, column }, `${flow}: ${e.message}`);
    assert.doesNotMatch(e.message, /__sluice|__q\b|LINE \d+:/, `${flow}: ${e.message}`);
    assert.ok(!e.message.includes(dir), `${flow} names a machine path: ${e.message}`);
  }
  assert.match(errors.get('s1')!.message, /column 'nonexistant' cannot be resolved; did you mean 'n'\?/);
});

test('DuckDB errors outside a pipeline get the code of their kind', async () => {
  const conn = await connect();
  const code = async (sql: string) => {
    try {
      await conn.run(sql);
      return 'none';
    } catch (e) {
      return toSluiceError(e, 'QUERY_FAILED').code;
    }
  };
  assert.equal(await code('SELECT 2147483647::INT + 1::INT'), 'ARITHMETIC_OVERFLOW');
  assert.equal(await code("SELECT 'abc'::DATE"), 'CAST_INVALID_INPUT');
  assert.equal(await code("SELECT regexp_matches('a', 'a*+')"), 'UNSUPPORTED_REGEX');
  assert.equal(await code('SELECT x FROM (SELECT 1 AS y)'), 'UNRESOLVED_COLUMN');
  assert.equal(await code('SELECT lower(1)'), 'DATATYPE_MISMATCH');
  assert.equal(await code("SELECT w.main FROM (SELECT [{'main': 1}] AS w)"), 'DATATYPE_MISMATCH');
  try {
    await conn.run("SELECT w.main FROM (SELECT [{'main': 1}] AS w)");
  } catch (e) {
    assert.match(
      toSluiceError(e).message,
      /field 'main' cannot be read from 'w'.*transform\(w, x -> x\.main\)/,
    );
  }
  assert.equal(await code('SELEC 1'), 'QUERY_FAILED');
  assert.equal(await code('SELECT * FROM no_such_table'), 'TABLE_OR_VIEW_NOT_FOUND');
  assert.equal(await code("SELECT * FROM read_csv('/proc/self/status')"), 'none');
  // A full disk, as Node reports it: the write's own error code.
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    syscall: 'write',
  });
  assert.equal(toSluiceError(enospc).code, 'DISK_FULL');
  assert.equal(
    toSluiceError(new Error('IO Error: Could not write file "x": No space left on device')).code,
    'DISK_FULL',
  );
  conn.closeSync();
});
