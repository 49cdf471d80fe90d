import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { toFileOptions } from '../../../src/engine/sources/file-options.ts';
import { projectRaw, rawRelationSql } from '../../../src/engine/sources/file-read.ts';
import {
  discoverFiles,
  evolveFileSchema,
  fileBatchSql,
  inferFileSchema,
  parseSchemaDdl,
  toFileSourceError,
} from '../../../src/engine/sources/files.ts';
import { isSluiceError } from '../../../src/errors/index.ts';
import { queryRows, sqlString } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';
import { tmpDir } from '../../helpers/tmp.ts';

const conn = await connect();
after(() => conn.closeSync());

type Row = Record<string, unknown>;

async function read(sql: string): Promise<Row[]> {
  return queryRows(conn, `SELECT * FROM (${sql}) ORDER BY _source_file, _rescued_data NULLS FIRST`);
}

test('JSON lines: inference, malformed line, wrong-typed value, empty file, unknown field, evolution', async () => {
  const dir = tmpDir('json');
  const f1 = join(dir, '1.json');
  const f2 = join(dir, '2.json');
  const f3 = join(dir, '3.json');
  writeFileSync(
    f1,
    [
      '{"id": 1, "name": "a", "amount": 1.5, "ts": "2024-01-01T10:00:00Z", "geo": {"lat": 1.0, "tags": ["x"]}}',
      '{"id": 2, "name": "b", "amount": 2, "ts": "2024-01-02T10:00:00Z", "geo": null}',
      'this is { not json',
      '',
      '{"id": "abc", "name": "c", "amount": 3.5, "ts": "2024-01-03T10:00:00Z"}',
    ].join('\n') + '\n',
  );
  writeFileSync(f2, '');
  const schema = await inferFileSchema(conn, [f1, f2], 'json', { format: 'json' });
  // As Spark infers: columns sorted by name; "abc" makes id's sampled values conflict → VARCHAR;
  // amount mixes 1.5 and 2 → DOUBLE; a timestamp-looking string stays a STRING.
  assert.deepEqual(schema.columns, [
    { name: 'amount', type: 'DOUBLE' },
    { name: 'geo', type: 'STRUCT("lat" DOUBLE, "tags" VARCHAR[])' },
    { name: 'id', type: 'VARCHAR' },
    { name: 'name', type: 'VARCHAR' },
    { name: 'ts', type: 'VARCHAR' },
  ]);

  // Persisted schema says id is BIGINT (e.g. from an earlier batch): "abc" is rescued, not fatal.
  const persisted = {
    columns: schema.columns.map((c) => (c.name === 'id' ? { name: 'id', type: 'BIGINT' } : c)),
  };
  const rows = await read(await fileBatchSql([f1, f2], 'json', persisted, {}));
  assert.equal(rows.length, 4);
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.amount, r._rescued_data]),
    [
      ['1', 'a', 1.5, null],
      ['2', 'b', 2, null],
      [null, null, null, 'this is { not json'],
      [null, 'c', 3.5, '{"id":"abc"}'],
    ],
  );
  assert.deepEqual(rows[0]!.geo, { lat: 1, tags: ['x'] });
  assert.ok(rows.every((r) => r._source_file === f1));

  // A later file adds a column: evolution appends it; old columns keep their types.
  writeFileSync(f3, '{"id": 4, "name": "d", "amount": 4, "ts": "2024-01-04T00:00:00Z", "channel": "web"}\n');
  const evolved = await evolveFileSchema(conn, persisted, [f3], 'json', {});
  assert.deepEqual(evolved.columns.slice(0, 5), persisted.columns);
  assert.deepEqual(evolved.columns[5], { name: 'channel', type: 'VARCHAR' });
  const r3 = await read(await fileBatchSql([f3], 'json', evolved, {}));
  assert.deepEqual(
    r3.map((r) => [r.id, r.channel, r._rescued_data]),
    [['4', 'web', null]],
  );
  // Read with the old schema, the new field is rescued.
  const old = await read(await fileBatchSql([f3], 'json', persisted, {}));
  assert.equal(old[0]!._rescued_data, '{"channel":"web"}');

  // Output column types are exactly the schema's (plus the two VARCHAR extras).
  const described = await queryRows<{ column_name: string; column_type: string }>(
    conn,
    `DESCRIBE ${await fileBatchSql([f1], 'json', persisted, {})}`,
  );
  assert.deepEqual(
    described.map((d) => d.column_name),
    ['amount', 'geo', 'id', 'name', 'ts', '_rescued_data', '_source_file'],
  );
  assert.deepEqual(
    described.map((d) => d.column_type),
    ['DOUBLE', 'STRUCT(lat DOUBLE, tags VARCHAR[])', 'BIGINT', 'VARCHAR', 'VARCHAR', 'VARCHAR', 'VARCHAR'],
  );
});

test('JSON: explicit DDL schema, values checked against an independent DuckDB read of the raw files', async () => {
  const dir = tmpDir('jsonddl');
  const files: string[] = [];
  for (let f = 0; f < 3; f++) {
    const p = join(dir, `part-${f}.json`);
    await conn.run(
      `COPY (SELECT 'e' || (i + ${f * 1000}) AS event_id, (i % 97)::BIGINT AS user_id, i / 4 AS amount, ` +
        `TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS ts FROM range(1000) t(i)) TO ${sqlString(p)} (FORMAT json)`,
    );
    files.push(p);
  }
  const schema = await inferFileSchema(conn, files, 'json', {
    schema: 'event_id STRING, user_id BIGINT, amount DOUBLE, ts TIMESTAMP',
  });
  const sql = await fileBatchSql(files, 'json', schema, {});
  const mine = `SELECT event_id, user_id, amount, ts FROM (${sql})`;
  const ref = `SELECT event_id, user_id::BIGINT, amount::DOUBLE, ts::TIMESTAMPTZ FROM read_json_auto([${files.map(sqlString).join(', ')}])`;
  const diff = await queryRows(
    conn,
    `SELECT (SELECT count(*) FROM (${mine}))::INTEGER AS n, (SELECT count(*) FROM ((${mine}) EXCEPT ALL (${ref})))::INTEGER AS a, ` +
      `(SELECT count(*) FROM ((${ref}) EXCEPT ALL (${mine})))::INTEGER AS b, (SELECT count(_rescued_data) FROM (${sql}))::INTEGER AS r`,
  );
  assert.deepEqual(diff, [{ n: 3000, a: 0, b: 0, r: 0 }]);
});

test('CSV: header, custom delimiter, bad value, extra column, empty and header-only files', async () => {
  const dir = tmpDir('csv');
  const a = join(dir, 'a.csv');
  const b = join(dir, 'b.csv');
  const e = join(dir, 'e.csv');
  const h = join(dir, 'h.csv');
  writeFileSync(a, 'id;name;amount;day\n1;x;1.5;2024-01-01\n2;"y;z";2.5;2024-01-02\n3;w;3;2024-01-03\n');
  writeFileSync(b, 'name;id;amount;day;extra\nq;4;not-a-number;2024-01-04;E\n');
  writeFileSync(e, '');
  writeFileSync(h, 'id;name;amount;day\n');
  const opts = { header: 'true', delimiter: ';' };
  const schema = await inferFileSchema(conn, [a], 'csv', opts);
  // Small integers are INT, as Spark's CSV inference has them.
  assert.deepEqual(schema.columns, [
    { name: 'id', type: 'INTEGER' },
    { name: 'name', type: 'VARCHAR' },
    { name: 'amount', type: 'DOUBLE' },
    { name: 'day', type: 'DATE' },
  ]);
  const rows = await read(await fileBatchSql([a, b, e, h], 'csv', schema, opts));
  assert.deepEqual(
    rows.map((r) => [r.id, r.name, r.amount, r.day, r._rescued_data, r._source_file]),
    [
      [1, 'x', 1.5, '2024-01-01', null, a],
      [2, 'y;z', 2.5, '2024-01-02', null, a],
      [3, 'w', 3, '2024-01-03', null, a],
      [4, 'q', null, '2024-01-04', '{"extra":"E","amount":"not-a-number"}', b],
    ],
  );
  // Headerless CSV (header => false): columns _c0, _c1, … by position.
  const n = join(dir, 'n.csv');
  writeFileSync(n, '1,a\n9999999999,b\n');
  const noHeader = { header: 'false' };
  const ns = await inferFileSchema(conn, [n], 'csv', noHeader);
  assert.deepEqual(ns.columns, [
    { name: '_c0', type: 'BIGINT' },
    { name: '_c1', type: 'VARCHAR' },
  ]);
  const nr = await read(await fileBatchSql([n], 'csv', ns, noHeader));
  assert.deepEqual(
    nr.map((r) => [r._c0, r._c1]),
    [
      ['1', 'a'],
      ['9999999999', 'b'],
    ],
  );
  // Integers beyond BIGINT are no DOUBLE (it would round them): the column stays a STRING.
  const big = join(dir, 'big.csv');
  writeFileSync(big, 'id\n12345678901234567890\n1\n');
  assert.deepEqual((await inferFileSchema(conn, [big], 'csv', {})).columns, [
    { name: 'id', type: 'VARCHAR' },
  ]);
});

test('Parquet: union by name, casts, missing columns are NULL, empty file has no rows', async () => {
  const dir = tmpDir('pq');
  const p1 = join(dir, '1.parquet');
  const p2 = join(dir, '2.parquet');
  const p0 = join(dir, '0.parquet');
  await conn.run(
    `COPY (SELECT i AS id, 'n' || i AS name FROM range(5) t(i)) TO ${sqlString(p1)} (FORMAT parquet)`,
  );
  await conn.run(
    `COPY (SELECT 'v' || i AS name, i + 5 AS id, i * 2 AS score FROM range(3) t(i)) TO ${sqlString(p2)} (FORMAT parquet)`,
  );
  writeFileSync(p0, '');
  const s1 = await inferFileSchema(conn, [p0, p1], 'parquet', {});
  assert.deepEqual(s1.columns, [
    { name: 'id', type: 'BIGINT' },
    { name: 'name', type: 'VARCHAR' },
  ]);
  const s2 = await evolveFileSchema(conn, s1, [p2], 'parquet', {});
  assert.deepEqual(s2.columns[2], { name: 'score', type: 'BIGINT' });
  const rows = await queryRows(
    conn,
    `SELECT * FROM (${await fileBatchSql([p0, p1, p2], 'parquet', s2, {})}) ORDER BY id`,
  );
  assert.equal(rows.length, 8);
  assert.deepEqual(rows[0], { id: '0', name: 'n0', score: null, _rescued_data: null, _source_file: p1 });
  assert.deepEqual(rows[7], { id: '7', name: 'v2', score: '4', _rescued_data: null, _source_file: p2 });
  // A name column read as BIGINT: values that do not fit are rescued.
  const asInt = { columns: [{ name: 'name', type: 'BIGINT' }] };
  const r = await queryRows(
    conn,
    `SELECT count(*)::INTEGER AS n, count(_rescued_data)::INTEGER AS r FROM (${await fileBatchSql([p1], 'parquet', asInt, {})})`,
  );
  assert.deepEqual(r, [{ n: 5, r: 5 }]);
});

test('schema DDL parsing maps Spark types to DuckDB and rejects bad DDL with a coded error', () => {
  assert.deepEqual(
    parseSchemaDdl(
      'event_id STRING, user_id LONG NOT NULL, n INT, amount DECIMAL(10,2), ts TIMESTAMP, t2 TIMESTAMP_NTZ, ' +
        "`odd name` ARRAY<STRING> COMMENT 'c', m MAP<STRING, BIGINT>, s STRUCT<a: INT, b ARRAY<DOUBLE>>, ok BOOLEAN, d DATE",
    ).columns,
    [
      { name: 'event_id', type: 'VARCHAR' },
      { name: 'user_id', type: 'BIGINT' },
      { name: 'n', type: 'INTEGER' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 't2', type: 'TIMESTAMP' },
      { name: 'odd name', type: 'VARCHAR[]' },
      { name: 'm', type: 'MAP(VARCHAR, BIGINT)' },
      { name: 's', type: 'STRUCT("a" INTEGER, "b" DOUBLE[])' },
      { name: 'ok', type: 'BOOLEAN' },
      { name: 'd', type: 'DATE' },
    ],
  );
  for (const bad of ['a FANCY', 'a INT,', 'a ARRAY<INT', 'a INT, a STRING', '']) {
    assert.throws(
      () => parseSchemaDdl(bad),
      (e: unknown) => isSluiceError(e) && e.code === 'INVALID_SCHEMA_DDL',
    );
  }
});

test('a file that disappears before reading is SOURCE_FILE_UNREADABLE naming it (domain external)', async () => {
  const dir = tmpDir('gone');
  writeFileSync(join(dir, 'a.json'), '{"a":1}\n');
  const files = await discoverFiles(dir, { root: dir });
  const { rmSync } = await import('node:fs');
  rmSync(files[0]!.path);
  await assert.rejects(
    fileBatchSql(files, 'json', { columns: [{ name: 'a', type: 'BIGINT' }] }, {}),
    (e: unknown) =>
      isSluiceError(e) &&
      e.code === 'SOURCE_FILE_UNREADABLE' &&
      e.domain === 'external' &&
      e.params.path === files[0]!.path,
  );
  // Also when DuckDB notices (file removed after the SQL was built).
  writeFileSync(join(dir, 'b.json'), '{"a":1}\n');
  const b = await discoverFiles(dir, { root: dir });
  const sql = await fileBatchSql(b, 'json', { columns: [{ name: 'a', type: 'BIGINT' }] }, {});
  rmSync(b[0]!.path);
  const err = await queryRows(conn, sql).then(
    () => undefined,
    (e: unknown) => toFileSourceError(e, b),
  );
  assert.ok(isSluiceError(err) && err.code === 'SOURCE_FILE_UNREADABLE', String(err));
});

test('JSON lines: blank lines (only trim-able white space) are skipped, other lines are kept or rescued', async () => {
  const dir = tmpDir('json-blank');
  const f = join(dir, 'b.json');
  const lines = ['', '   ', '\u00a0', '\t', '  {"id": 1}', '{"id": 2}  ', ' x', '{'];
  writeFileSync(f, `${lines.join('\n')}\n`);
  const schema = parseSchemaDdl('id BIGINT');
  const rows = await queryRows<{ id: number | null; _rescued_data: string | null }>(
    conn,
    `SELECT id::INT AS id, _rescued_data FROM (${await fileBatchSql([f], 'json', schema, {})})`,
  );
  // The reference: a line is blank when DuckDB's trim() leaves nothing.
  const expected = await queryRows<{ n: number }>(
    conn,
    `SELECT count(*)::INT AS n FROM (SELECT unnest([${lines.map(sqlString).join(', ')}]) AS l) WHERE trim(l) <> ''`,
  );
  assert.equal(rows.length, expected[0]!.n);
  assert.deepEqual(
    rows.filter((r) => r.id !== null).map((r) => r.id),
    [1, 2],
  );
  assert.ok(
    rows.some((r) => r._rescued_data === '\t'),
    'a tab-only line is not blank: it is rescued as is',
  );
  assert.ok(rows.some((r) => r._rescued_data === ' x'));
  assert.ok(rows.some((r) => r._rescued_data === '{'));
});

test('JSON: a large clean batch goes through DuckDB’s JSON reader with exactly the line reader’s rows; others do not', async () => {
  const dir = tmpDir('jsonclean');
  // Clean, but with everything short of a parse error or an unknown key: wrong-typed values,
  // nested values in scalar columns, a struct with an extra field, nulls, missing keys, escapes,
  // unicode, huge numbers, CRLF line ends and blank lines.
  const lines = [
    '{"id":"e1","n":1,"at":"2024-01-01T00:00:00Z","ok":true,"p":{"a":"x","b":2}}',
    '{"id":"e2","n":"12","at":"2024-01-01 00:00:01","ok":"yes","p":{"a":"y"}}',
    '{"id":null,"n":"not a number","at":"yesterday","ok":1,"p":{"a":"z","b":"q","c":3}}',
    '{"n":99999999999999999999999,"p":null}',
    '{"id":{"nested":[1,2]},"n":1.5,"at":17,"p":"just a string"}',
    '{"id":"tab\\t \\"quoted\\" \\u00e9 ü 🌊","ok":false,"p":[1,2]}\r',
    '{}',
    '   ',
    '',
  ];
  const text = `${Array.from({ length: 24_000 }, () => lines.join('\n')).join('\n')}\n`;
  assert.ok(text.length > 1024 * 1024, 'large enough for the clean-batch check');
  const clean = join(dir, 'clean.json');
  writeFileSync(clean, text);
  const schema = await inferFileSchema(conn, [clean], 'json', {
    schema: 'id STRING, n BIGINT, at TIMESTAMP, ok BOOLEAN, p STRUCT<a: STRING, b: INT>',
  });
  const fast = await fileBatchSql([clean], 'json', schema, {});
  assert.match(fast, /read_json\(.*records = true/);
  const slow = projectRaw(rawRelationSql('json', [clean], [], schema, toFileOptions({})), 'json', schema);
  assert.doesNotMatch(slow, /read_json\(/);
  const [diff] = await queryRows(
    conn,
    `SELECT (SELECT count(*) FROM (${fast}))::INTEGER AS n, (SELECT count(*) FROM ((${fast}) EXCEPT ALL (${slow})))::INTEGER AS a, ` +
      `(SELECT count(*) FROM ((${slow}) EXCEPT ALL (${fast})))::INTEGER AS b, (SELECT count(_rescued_data) FROM (${fast}))::INTEGER AS r`,
  );
  // Rescued: "12" and "yes" (strings are no BIGINT / BOOLEAN), a number too large for BIGINT, 1.5,
  // a struct field of the wrong type, a list for a struct.
  assert.deepEqual(diff, { n: 24_000 * 7, a: 0, b: 0, r: 24_000 * 5 });

  // One unknown key, one malformed line, one non-object record: each makes its batch take the line reader.
  for (const [name, extra] of [
    ['unknown', '{"id":"x","surprise":1}'],
    ['malformed', '{"id":"x",'],
    ['array', '[1,2,3]'],
  ] as const) {
    const p = join(dir, `${name}.json`);
    writeFileSync(p, `${text}${extra}\n`);
    const sql = await fileBatchSql([p], 'json', schema, {});
    assert.doesNotMatch(sql, /read_json\(/, name);
    const rows = await queryRows<{ r: string }>(
      conn,
      `SELECT _rescued_data AS r FROM (${sql}) WHERE _rescued_data LIKE '%surprise%' OR _rescued_data = ${sqlString(extra)}`,
    );
    assert.equal(rows.length, 1, name);
  }
});

test('JSON: a value of the wrong shape for a STRUCT or list column is NULL and rescued, never a struct of NULLs', async () => {
  const dir = tmpDir('jsonshape');
  const f = join(dir, 'shapes.json');
  writeFileSync(
    f,
    [
      '{"id":1,"p":{"a":"x"},"tags":["t"]}',
      '{"id":2,"p":"just text","tags":"t"}',
      '{"id":3,"p":7,"tags":{"k":1}}',
      '{"id":4,"p":[1,2],"tags":null}',
      '{"id":5,"p":null}',
    ].join('\n'),
  );
  const schema = await inferFileSchema(conn, [f], 'json', {
    schema: 'id INT, p STRUCT<a: STRING>, tags ARRAY<STRING>',
  });
  const rows = await queryRows<{ id: number; p: unknown; tags: unknown; r: string | null }>(
    conn,
    `SELECT id, p, tags, _rescued_data AS r FROM (${await fileBatchSql([f], 'json', schema, {})}) ORDER BY id`,
  );
  assert.deepEqual(
    rows.map((x) => [x.id, x.p, x.tags, x.r === null ? null : JSON.parse(x.r)]),
    [
      [1, { a: 'x' }, ['t'], null],
      [2, null, null, { p: 'just text', tags: 't' }],
      [3, null, null, { p: 7, tags: { k: 1 } }],
      [4, null, null, { p: [1, 2] }],
      [5, null, null, null],
    ],
  );
});
