import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { assertReadOnly, findDeltaReferences, formatRows, runQuery } from '../../src/query/index.ts';
import { session } from '../helpers/session.ts';
import { FIXTURES, ROOT } from '../helpers/tmp.ts';

const skip = existsSync(FIXTURES) ? false : 'needs ../shared/fixtures/delta';

test('delta.`path` references are found outside strings and comments', () => {
  const sql = `SELECT 'delta.\`no\`' AS s, "delta.\`no\`" FROM delta.\`a/b\` VERSION /*c*/ AS OF 3 t -- delta.\`no\`
    JOIN DELTA . \`/abs/p\` USING (id) /* delta.\`no\` */ WHERE x.delta.\`no\` = 1`;
  const refs = findDeltaReferences(sql);
  assert.deepEqual(
    refs.map((r) => [r.path, r.version, sql.slice(r.start, r.end)]),
    [
      ['a/b', 3, 'delta.`a/b` VERSION /*c*/ AS OF 3'],
      ['/abs/p', undefined, 'DELTA . `/abs/p`'],
    ],
  );
  assert.throws(() => findDeltaReferences('SELECT * FROM delta.`x` VERSION AS OF y'), {
    code: 'QUERY_FAILED',
  });
});

test('only read-only statements are accepted', () => {
  for (const ok of [
    'SELECT 1',
    '  (SELECT 1)',
    'WITH a AS (SELECT 1) SELECT * FROM a',
    'FROM range(3)',
    'VALUES (1)',
    'DESCRIBE SELECT 1',
    'SHOW TABLES',
    'EXPLAIN SELECT 1',
    "PRAGMA table_info('x')",
    "SELECT 'drop table x; insert' -- ; delete",
    'SELECT 1; SELECT 2',
  ]) {
    assert.doesNotThrow(() => assertReadOnly(ok), ok);
  }
  for (const bad of [
    'CREATE TABLE x (a INT)',
    'INSERT INTO x VALUES (1)',
    'SELECT 1; DROP TABLE x',
    "COPY (SELECT 1) TO 'x.csv'",
    'WITH a AS (SELECT 1) INSERT INTO x SELECT * FROM a',
    "ATTACH 'x.db'",
    'EXPLAIN DELETE FROM x',
    'SET threads = 1',
    'PRAGMA enable_profiling',
  ]) {
    assert.throws(() => assertReadOnly(bad), { code: 'QUERY_READ_ONLY' }, bad);
  }
});

test('runQuery reads Delta tables by relative and absolute path, with time travel', { skip }, async () => {
  const abs = join(FIXTURES, 'simple_table_with_checkpoint');
  const rel = relative(ROOT, abs);
  const latest = await runQuery(`SELECT count(*) AS n FROM delta.\`${rel}\``, { cwd: ROOT, db: session.db });
  assert.deepEqual(latest.rows, [{ n: 11 }]);
  const v3 = await runQuery(
    `SELECT count(*) AS n FROM delta.\`${abs}\` VERSION AS OF 3 AS t WHERE t.version >= 0`,
    { cwd: '/', db: session.db },
  );
  assert.deepEqual(v3.rows, [{ n: 4 }]);
  const joined = await runQuery(
    `SELECT a.letter, a.number, b.number AS old FROM delta.\`${join(FIXTURES, 'dat-basic_append/delta')}\` a
     JOIN delta.\`${join(FIXTURES, 'dat-basic_append/delta')}\` VERSION AS OF 0 b USING (letter) ORDER BY a.letter`,
    { cwd: ROOT, db: session.db },
  );
  assert.deepEqual(joined.columns, ['letter', 'number', 'old']);
  assert.deepEqual(joined.rows, [
    { letter: 'a', number: 1, old: 1 },
    { letter: 'b', number: 2, old: 2 },
    { letter: 'c', number: 3, old: 3 },
  ]);
});

test('runQuery converts values to JSON-friendly forms and formats them', async () => {
  const r = await runQuery(
    "SELECT 1::BIGINT AS a, 12345678901234567890::HUGEINT AS big, DATE '2020-01-02' AS d, TIMESTAMPTZ '2020-01-02 03:04:05.5+00' AS ts, TIMESTAMP '2020-01-02 03:04:05' AS ntz, 'x,\"y' AS s, NULL AS n",
    { cwd: ROOT, db: session.db },
  );
  assert.deepEqual(r.rows, [
    {
      a: 1,
      big: '12345678901234567890',
      d: '2020-01-02',
      ts: '2020-01-02T03:04:05.5Z',
      ntz: '2020-01-02T03:04:05',
      s: 'x,"y',
      n: null,
    },
  ]);
  assert.equal(
    formatRows(r, 'csv'),
    'a,big,d,ts,ntz,s,n\r\n1,12345678901234567890,2020-01-02,2020-01-02T03:04:05.5Z,2020-01-02T03:04:05,"x,""y",\r\n',
  );
  assert.deepEqual(JSON.parse(formatRows(r, 'json')), r.rows);
  const table = formatRows(r, 'table');
  assert.match(table, /^\| a +\| big/);
  assert.match(table, /\(1 row\)\n$/);
});

test('runQuery errors are coded', async () => {
  await assert.rejects(
    runQuery('SELECT * FROM no_such_table', { cwd: ROOT, db: session.db }),
    (e: { code?: string; message: string }) => {
      assert.equal(e.code, 'QUERY_FAILED');
      assert.match(e.message, /no_such_table/);
      assert.ok(!e.message.includes('\n'));
      return true;
    },
  );
  await assert.rejects(runQuery('SELECT * FROM delta.`does/not/exist`', { cwd: ROOT, db: session.db }), {
    code: 'DELTA_TABLE_NOT_FOUND',
  });
  await assert.rejects(runQuery('DROP TABLE x', { cwd: ROOT, db: session.db }), { code: 'QUERY_READ_ONLY' });
});
