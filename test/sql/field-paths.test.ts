import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDuckDBError } from '../../src/errors/index.ts';
import { inputPlaceholder } from '../../src/model/index.ts';
import { queryRows } from '../../src/util/index.ts';
import { session } from '../helpers/session.ts';
import { db } from './helpers.ts';

/**
 * Spark's field access through arrays of structs (`arr.f` is the array of the elements' `f`,
 * GetArrayStructFields: a NULL array gives NULL, a NULL element a NULL entry), resolved once the
 * input's types are known. The input is a real DuckDB relation; values are compared as DuckDB text.
 */

const INPUT = `SELECT * FROM (VALUES
  (1, [{'main': 'Clear', 'id': 800, 'wind': {'speed': 4.5}}, NULL, {'main': NULL, 'id': 801, 'wind': NULL}],
      {'items': [{'name': 'a'}, {'name': 'b'}]}, [[{'f': 1}]], {'lat': 41.9}),
  (2, NULL, {'items': NULL}, NULL, NULL),
  (3, [], {'items': []}, [], {'lat': 0.5})
) AS t(id, weather, s, nested, coord)`;

/** Compiles a Spark query over one input, types it against INPUT, runs it; rows as DuckDB text. */
async function run(sparkSql: string): Promise<{ sql: string; rows: Record<string, string | null>[] }> {
  const c = await db();
  // A self-join reads the input twice.
  for (const i of [0, 1]) await c.run(`CREATE OR REPLACE TEMP VIEW ${inputPlaceholder(i)} AS ${INPUT}`);
  const q = await session.sql.compileQuery(sparkSql);
  const sql = await session.sql.resolveFieldPaths(q.sql, async (probe) => {
    try {
      return (await queryRows<{ column_type: string }>(c, `DESCRIBE ${probe}`)).map((r) => r.column_type);
    } catch {
      return undefined;
    }
  });
  const out = await queryRows(c, `SELECT COLUMNS(*)::VARCHAR FROM (${sql})`);
  return { sql, rows: out as Record<string, string | null>[] };
}

test('arr.field over an array of structs is the array of that field, NULL elements and arrays staying NULL', async () => {
  const { rows } = await run('SELECT id, weather.main, weather.id AS ids FROM STREAM(src) ORDER BY id');
  assert.deepEqual(rows, [
    { id: '1', main: '[Clear, NULL, NULL]', ids: '[800, NULL, 801]' },
    { id: '2', main: null, ids: null },
    { id: '3', main: '[]', ids: '[]' },
  ]);
});

test('a relation qualifier, a struct before the array and a struct after it all read as Spark does', async () => {
  const { rows } = await run(
    'SELECT w.weather.main AS q, s.items.name AS names, weather.wind.speed AS speeds, coord.lat FROM src w ORDER BY w.id',
  );
  assert.deepEqual(rows, [
    { q: '[Clear, NULL, NULL]', names: '[a, b]', speeds: '[4.5, NULL, NULL]', lat: '41.9' },
    { q: null, names: null, speeds: null, lat: null },
    { q: '[]', names: '[]', speeds: '[]', lat: '0.5' },
  ]);
});

test('field access through arrays works in WHERE, GROUP BY and inside subqueries and CTEs', async () => {
  const { rows } = await run(`
    WITH x AS (SELECT id, weather FROM src)
    SELECT size(weather.main) AS n, count(*) AS c
    FROM (SELECT * FROM x WHERE array_contains(weather.id, 800) OR id = 3)
    GROUP BY size(weather.main) ORDER BY n`);
  assert.deepEqual(rows, [
    { n: '0', c: '1' },
    { n: '3', c: '1' },
  ]);
});

test('names that are not a field path through an array of structs are left as written', async () => {
  // A lambda parameter is the element already: unchanged, and correct as before.
  const lambda = await run('SELECT transform(weather, x -> x.main) AS m FROM src ORDER BY id');
  assert.deepEqual(
    lambda.rows.map((r) => r.m),
    ['[Clear, NULL, NULL]', null, '[]'],
  );
  assert.doesNotMatch(lambda.sql, /__sluice_elem/);
  // A plain struct field needs no rewrite.
  const struct = await run('SELECT coord.lat FROM src ORDER BY id');
  assert.doesNotMatch(struct.sql, /list_transform/);
  // Spark reads a name on an array of arrays as an item index, not a field: not rewritten, refused by DuckDB.
  const refused = (e: Error) => classifyDuckDBError(e.message)?.code === 'DATATYPE_MISMATCH';
  await assert.rejects(run('SELECT nested.f FROM src'), refused);
  // An unknown field is not guessed either.
  await assert.rejects(run('SELECT weather.nope FROM src'), refused);
});

test('field access through arrays of structs in a join condition reads as Spark does', async () => {
  const { rows } = await run(`
    SELECT a.id, b.id AS bid FROM src a JOIN src b
    ON array_contains(a.weather.id, 800) AND size(b.s.items.name) = size(a.weather.main) - 1
    ORDER BY b.id`);
  // a = 1 (ids [800, NULL, 801], 3 mains); b's items.name has 2 entries for id 1, 0 for id 3.
  assert.deepEqual(rows, [{ id: '1', bid: '1' }]);
  const left = await run(`
    SELECT a.id, b.id AS bid FROM src a LEFT JOIN src b ON array_contains(b.weather.main, 'Clear') AND a.id = b.id
    ORDER BY a.id`);
  assert.deepEqual(left.rows, [
    { id: '1', bid: '1' },
    { id: '2', bid: null },
    { id: '3', bid: null },
  ]);
});
