import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSluiceError } from '../../src/errors/index.ts';
import { parseSparkColumns, parseSparkType } from '../../src/sql/index.ts';
import { session } from '../helpers/session.ts';

test('the Spark DDL reader yields Spark JSON types, nullability, comments and the type as written', () => {
  const cols = parseSparkColumns(
    "id BIGINT NOT NULL, tags ARRAY<STRING>, geo STRUCT<lat: DOUBLE NOT NULL, `lon` DOUBLE COMMENT 'east'> COMMENT 'where', " +
      'amount DECIMAL(12, 2), m MAP<STRING, INT>, ts TIMESTAMP, ntz TIMESTAMP_NTZ, c CHAR(3), d DEC',
  );
  assert.deepEqual(
    cols.map((c) => [c.name, c.typeText, c.nullable, c.comment]),
    [
      ['id', 'BIGINT', false, undefined],
      ['tags', 'ARRAY<STRING>', true, undefined],
      ['geo', "STRUCT<lat: DOUBLE NOT NULL, `lon` DOUBLE COMMENT 'east'>", true, 'where'],
      ['amount', 'DECIMAL(12, 2)', true, undefined],
      ['m', 'MAP<STRING, INT>', true, undefined],
      ['ts', 'TIMESTAMP', true, undefined],
      ['ntz', 'TIMESTAMP_NTZ', true, undefined],
      ['c', 'CHAR(3)', true, undefined],
      ['d', 'DEC', true, undefined],
    ],
  );
  assert.deepEqual(cols[2]!.type, {
    type: 'struct',
    fields: [
      { name: 'lat', type: 'double', nullable: false, metadata: {} },
      { name: 'lon', type: 'double', nullable: true, metadata: { comment: 'east' } },
    ],
  });
  assert.deepEqual(
    cols.map((c) => (typeof c.type === 'string' ? c.type : c.type.type)),
    [
      'long',
      'array',
      'struct',
      'decimal(12,2)',
      'map',
      'timestamp',
      'timestamp_ntz',
      'string',
      'decimal(10,0)',
    ],
  );
  assert.deepEqual(parseSparkType('array<map<string, bigint>>'), {
    type: 'array',
    elementType: { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true },
    containsNull: true,
  });
});

test('bad DDL is INVALID_SCHEMA_DDL with the position of the problem', () => {
  const cases: [string, number][] = [
    ['a FANCY', 3],
    ['a INT,', 6],
    ['a ARRAY<INT', 12],
    ['a INT, A STRING', 8],
    ['a DECIMAL(40, 2)', 3],
    ['a INT b', 7],
  ];
  for (const [ddl, position] of cases) {
    assert.throws(
      () => parseSparkColumns(ddl),
      (e: unknown) => isSluiceError(e) && e.code === 'INVALID_SCHEMA_DDL' && e.params.position === position,
      ddl,
    );
  }
  assert.throws(
    () => parseSparkType(''),
    (e: unknown) => isSluiceError(e) && e.code === 'INVALID_SCHEMA_DDL',
  );
});

test('a SQL column list with a type sluice cannot store is refused at its line', async () => {
  const r = await session.sql.parsePipelineSql(
    'CREATE MATERIALIZED VIEW t (\n  id BIGINT,\n  span INTERVAL DAY\n) AS SELECT 1 AS id, 2 AS span;',
    { file: 't.sql', configuration: {} },
  );
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.code, 'INVALID_SCHEMA_DDL');
  assert.deepEqual(r.errors[0]!.location, { file: 't.sql', line: 3, column: 8 });
  assert.equal(r.errors[0]!.dataset, 't');
});
