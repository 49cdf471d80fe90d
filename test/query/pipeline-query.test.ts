import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runPipelineQuery } from '../../src/query/pipeline-query.ts';
import { findPipelineTarget } from '../../src/query/pipeline-target.ts';
import { parseSchemaString } from '../../src/storage/delta/schema.ts';
import { appendRows, createTable } from '../../src/storage/delta/table.ts';
import { runCli } from '../helpers/cli.ts';
import { connect, session } from '../helpers/session.ts';
import { tmpDir } from '../helpers/tmp.ts';

const dir = join(tmpDir('pq'), 'p');
const storage = join(dir, 'store');
const target = { name: 'pq', storage, schema: 'sales' };

async function table(schema: string, name: string, rows: string): Promise<void> {
  const path = join(storage, 'tables', schema, name);
  await createTable(path, {
    schema: parseSchemaString(
      JSON.stringify({
        type: 'struct',
        fields: [
          { name: 'id', type: 'long', nullable: true, metadata: {} },
          { name: 'tag', type: 'string', nullable: true, metadata: {} },
        ],
      }),
    ),
  });
  const conn = await connect();
  try {
    await appendRows(conn, path, `SELECT * FROM (VALUES ${rows}) t(id, tag)`);
  } finally {
    conn.closeSync();
  }
}

before(async () => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'spark-pipeline.yml'), 'name: pq\nstorage: store\nschema: sales\n');
  await table('sales', 'orders', "(1, 'a'), (2, 'b')");
  await table('default', 'orders', "(10, 'x')");
  await table('other', 'users', "(7, 'u')");
});

test('names resolve to pipeline tables: the spec schema first, schema.table, unique names elsewhere, delta paths', async () => {
  const r = await runPipelineQuery(
    `SELECT (SELECT count(*) FROM orders) AS a, (SELECT max(id) FROM \`default\`.orders) AS b,
       (SELECT max(o.id) FROM sales.orders AS o) AS c, (SELECT tag FROM users) AS d,
       (SELECT count(*) FROM delta.\`store/tables/sales/orders\` VERSION AS OF 0) AS e,
       (SELECT count(*) FROM event_log) AS f, (SELECT count(*) FROM system.lakeflow.pipeline_events) AS g`,
    { cwd: dir, pipeline: target, db: session.db, sql: session.sql },
  );
  assert.deepEqual(r.rows, [{ a: 2, b: 10, c: 2, d: 'u', e: 0, f: 0, g: 0 }]);
  // Column qualifiers keep working after the rewrite; CTEs shadow nothing else.
  const q = await runPipelineQuery(
    'WITH t AS (SELECT id FROM orders) SELECT orders.tag, t.id FROM orders JOIN t ON orders.id = t.id ORDER BY t.id',
    {
      cwd: dir,
      db: session.db,
      sql: session.sql,
      pipeline: target,
    },
  );
  assert.deepEqual(q.rows, [
    { tag: 'a', id: 1 },
    { tag: 'b', id: 2 },
  ]);
});

test('non-query statements see the tables by plain name', async () => {
  const r = await runPipelineQuery('SHOW TABLES', {
    cwd: dir,
    pipeline: target,
    db: session.db,
    sql: session.sql,
  });
  assert.deepEqual(
    r.rows.map((x) => x.name),
    ['event_log', 'orders', 'users'],
  );
  const d = await runPipelineQuery('DESCRIBE event_log', {
    cwd: dir,
    pipeline: target,
    db: session.db,
    sql: session.sql,
  });
  assert.ok(d.rows.some((x) => x.column_name === 'origin'));
});

test('the pipeline is found from the working directory, else plain mode', async () => {
  assert.equal((await findPipelineTarget(undefined, join(dir, 'store')))?.name, 'pq');
  assert.equal(await findPipelineTarget(undefined, '/'), undefined);
  await assert.rejects(findPipelineTarget(join(dir, 'nope'), dir), { code: 'PIPELINE_SPEC_NOT_FOUND' });
});

test('sluice query refuses writes with QUERY_READ_ONLY', async () => {
  const r = await runCli(['query', '--pipeline', dir, 'DELETE FROM orders']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^QUERY_READ_ONLY: .*DELETE/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('bad SQL gives one coded line', async () => {
  const r = await runCli(['query', 'SELECT nosuch_column FROM orders'], { cwd: dir });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^QUERY_FAILED: .*nosuch_column/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
