import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../../helpers/cli.ts';
import { duck, readTable, tableDir, writeFiles } from '../../helpers/pipeline.ts';
import { tmpDir } from '../../helpers/tmp.ts';

/**
 * File-path tables (``parquet.`path` ``, ``json.`…` ``, ``csv.`…` ``, ``text.`…` ``, ``delta.`…` ``),
 * run end to end through the CLI on real files, results checked against DuckDB reading the same
 * files on its own.
 */

const flowsOf = (stdout: string) =>
  Object.fromEntries(JSON.parse(stdout).flows.map((f: { flow: string }) => [f.flow, f]));

async function run(dir: string, ...extra: string[]) {
  const r = await runCli(['run', dir, '--format', 'json', ...extra]);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  return flowsOf(r.stdout);
}

const columnsOf = async (path: string) => Object.keys((await readTable(path, '1'))[0] ?? {});

test('parquet.`path`, json.`path`, csv.`path`, text.`path`: Spark’s plain readers (no rescued data column; CSV without header, all STRING; JSON typed and sorted)', async () => {
  const dir = tmpDir('path-tables');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: paths\n',
    'data/j/1.json':
      '{"id": 1, "name": "a", "amount": 1.5, "ts": "2024-01-01T10:00:00Z"}\n{"id": 2, "name": "b", "amount": 2}\n',
    'data/c/1.csv': 'id,name\n1,x\n2,y\n',
    'data/t/1.txt': 'first line\n\n  third\r\nlast',
    'transformations/p.sql': `
CREATE MATERIALIZED VIEW p AS SELECT * FROM parquet.\`data/p\`;
CREATE MATERIALIZED VIEW j AS SELECT * FROM json.\`data/j\`;
CREATE MATERIALIZED VIEW c AS SELECT * FROM csv.\`data/c\`;
CREATE MATERIALIZED VIEW t AS SELECT * FROM text.\`data/t\`;
CREATE MATERIALIZED VIEW pj AS SELECT x.id, x.score * 2 AS s FROM parquet.\`data/p\` AS x WHERE x.id > 2;
`,
  });
  mkdirSync(join(dir, 'data/p'), { recursive: true });
  await duck(
    `COPY (SELECT i AS id, 'n' || i AS name, i * 1.5 AS score FROM range(6) t(i)) TO '${join(dir, 'data/p/part-0.parquet')}' (FORMAT parquet)`,
  );
  await run(dir);

  // Parquet: the files' own columns and rows, exactly.
  const p = await readTable(tableDir(dir, 'p'), 'id');
  const refP = await duck(`SELECT * FROM read_parquet('${join(dir, 'data/p/*.parquet')}') ORDER BY id`);
  assert.deepEqual(p, refP);
  assert.deepEqual(Object.keys(p[0]!), ['id', 'name', 'score']);
  const pj = await readTable(tableDir(dir, 'pj'), 'id');
  assert.deepEqual(
    pj.map((r) => [Number(r.id), Number(r.s)]),
    refP.filter((r) => Number(r.id) > 2).map((r) => [Number(r.id), Number(r.score) * 2]),
  );

  // JSON: columns sorted by name (Spark's inference), ts stays a STRING, no _rescued_data.
  const j = await readTable(tableDir(dir, 'j'), 'id');
  assert.deepEqual(Object.keys(j[0]!), ['amount', 'id', 'name', 'ts']);
  assert.deepEqual(
    j.map((r) => [r.amount, String(r.id), r.name, r.ts]),
    [
      [1.5, '1', 'a', '2024-01-01T10:00:00Z'],
      [2, '2', 'b', null],
    ],
  );

  // CSV: Spark's reader has header = false and inferSchema = false: _c0, _c1 STRING, the header a row.
  const c = await readTable(tableDir(dir, 'c'), '_c0');
  assert.deepEqual(
    c.map((r) => [r._c0, r._c1]),
    [
      ['1', 'x'],
      ['2', 'y'],
      ['id', 'name'],
    ],
  );

  // Text: one `value` per line; an empty line is an empty string; CRLF ends a line.
  const t = await readTable(tableDir(dir, 't'), 'value');
  assert.deepEqual(t.map((r) => r.value).sort(), ['', '  third', 'first line', 'last']);
  assert.deepEqual(await columnsOf(tableDir(dir, 't')), ['value']);
});

test('STREAM parquet.`path` reads new files incrementally; delta.`path` reads a Delta table by path, STREAM delta.`path` its new commits', async () => {
  const src = tmpDir('delta-src');
  writeFiles(src, {
    'spark-pipeline.yml': 'name: src\n',
    'data/1.json': '{"k": 1, "v": "a"}\n{"k": 2, "v": "b"}\n',
    'transformations/s.sql':
      "CREATE OR REFRESH STREAMING TABLE events AS SELECT k, v FROM STREAM read_files('data', format => 'json');\n",
  });
  await run(src);
  const events = tableDir(src, 'events');

  const dir = tmpDir('delta-path');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: reader\n',
    'transformations/r.sql': `
CREATE MATERIALIZED VIEW snap AS SELECT k, v FROM delta.\`${events}\`;
CREATE OR REFRESH STREAMING TABLE tail AS SELECT k, v, 'seen' AS note FROM STREAM delta.\`${events}\`;
CREATE OR REFRESH STREAMING TABLE pq AS SELECT * FROM STREAM parquet.\`data/p\`;
`,
  });
  mkdirSync(join(dir, 'data/p'), { recursive: true });
  await duck(`COPY (SELECT 1 AS id) TO '${join(dir, 'data/p/1.parquet')}' (FORMAT parquet)`);
  const first = await run(dir);
  assert.equal(first.tail.metrics.num_output_rows, 2);
  assert.equal(first.pq.metrics.num_output_rows, 1);

  // The source table grows by one commit; a new Parquet file arrives.
  writeFiles(src, { 'data/2.json': '{"k": 3, "v": "c"}\n' });
  await run(src);
  await duck(
    `COPY (SELECT 2 AS id UNION ALL SELECT 3) TO '${join(dir, 'data/p/2.parquet')}' (FORMAT parquet)`,
  );
  const second = await run(dir);
  assert.equal(second.tail.metrics.num_output_rows, 1, 'only the rows of the new commit');
  assert.equal(second.pq.metrics.num_output_rows, 2, 'only the new file');

  const ref = await readTable(events, 'k');
  const snap = await readTable(tableDir(dir, 'snap'), 'k');
  assert.deepEqual(
    snap,
    ref.map((r) => ({ k: r.k, v: r.v })),
  );
  const tail = await readTable(tableDir(dir, 'tail'), 'k');
  assert.deepEqual(
    tail.map((r) => [Number(r.k), r.v, r.note]),
    [
      [1, 'a', 'seen'],
      [2, 'b', 'seen'],
      [3, 'c', 'seen'],
    ],
  );
  const pq = await readTable(tableDir(dir, 'pq'), 'id');
  assert.deepEqual(
    pq.map((r) => Number(r.id)),
    [1, 2, 3],
  );
});

test('a file-path table of a format sluice does not read is UNSUPPORTED_FILE_FORMAT at validate; delta.`missing` is DELTA_TABLE_NOT_FOUND naming the path', async () => {
  const dir = tmpDir('path-bad');
  writeFiles(dir, {
    'spark-pipeline.yml': 'name: bad\n',
    'transformations/p.sql': 'CREATE MATERIALIZED VIEW x AS SELECT * FROM xml.`data/x`;\n',
  });
  const v = await runCli(['validate', dir, '--format', 'json']);
  assert.equal(v.code, 1);
  const errors = JSON.parse(v.stdout).errors as { code: string; message: string }[];
  const unsupported = errors.find((e) => e.code === 'UNSUPPORTED_FILE_FORMAT');
  assert.ok(unsupported, JSON.stringify(errors));
  assert.match(unsupported.message, /xml/);

  const missing = tmpDir('path-missing');
  writeFiles(missing, {
    'spark-pipeline.yml': 'name: missing\n',
    'transformations/p.sql': 'CREATE MATERIALIZED VIEW x AS SELECT * FROM delta.`data/nothing_here`;\n',
  });
  const r = await runCli(['run', missing, '--format', 'json']);
  assert.equal(r.code, 1);
  const flow = flowsOf(r.stdout).x;
  assert.equal(flow.error.code, 'DELTA_TABLE_NOT_FOUND');
  assert.match(flow.error.message, /data\/nothing_here/);
});
