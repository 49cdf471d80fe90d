import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeAddPath,
  encodeAddPath,
  encodePartitionPath,
  partitionValueSql,
} from '../../../src/storage/delta/partitions.ts';
import {
  type DeltaType,
  deltaTypeToDuckDB,
  duckDBTypeToDelta,
  parseSchemaString,
  type StructType,
  serializeSchema,
  structTypeToDuckDBColumns,
} from '../../../src/storage/delta/schema.ts';
import { queryRows } from '../../../src/util/duckdb.ts';
import { connect } from '../../helpers/session.ts';

const ALL: StructType = {
  type: 'struct',
  fields: (
    [
      ['s', 'string'],
      ['l', 'long'],
      ['i', 'integer'],
      ['sh', 'short'],
      ['b', 'byte'],
      ['f', 'float'],
      ['d', 'double'],
      ['dec', 'decimal(10,2)'],
      ['bool', 'boolean'],
      ['bin', 'binary'],
      ['dt', 'date'],
      ['ts', 'timestamp'],
      ['ntz', 'timestamp_ntz'],
      ['arr', { type: 'array', elementType: 'integer', containsNull: true }],
      ['m', { type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }],
      [
        'weird "name" x',
        {
          type: 'struct',
          fields: [
            {
              name: 'a b',
              type: { type: 'array', elementType: 'string', containsNull: true },
              nullable: true,
              metadata: {},
            },
          ],
        },
      ],
    ] as [string, DeltaType][]
  ).map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
};

test('schemaString round-trips and maps to DuckDB types', () => {
  assert.deepEqual(parseSchemaString(serializeSchema(ALL)), ALL);
  const cols = structTypeToDuckDBColumns(ALL);
  assert.deepEqual(
    cols.slice(0, 13).map((c) => c.type),
    [
      'VARCHAR',
      'BIGINT',
      'INTEGER',
      'SMALLINT',
      'TINYINT',
      'FLOAT',
      'DOUBLE',
      'DECIMAL(10,2)',
      'BOOLEAN',
      'BLOB',
      'DATE',
      'TIMESTAMP WITH TIME ZONE',
      'TIMESTAMP',
    ],
  );
  assert.equal(
    deltaTypeToDuckDB({ type: 'map', keyType: 'string', valueType: 'long', valueContainsNull: true }),
    'MAP(VARCHAR, BIGINT)',
  );
  assert.equal(
    parseSchemaString(
      '{"type":"struct","fields":[{"name":"c","type":"varchar(5)","nullable":true,"metadata":{}}]}',
    ).fields[0]?.type,
    'string',
  );
  assert.throws(
    () =>
      parseSchemaString(
        '{"type":"struct","fields":[{"name":"c","type":"interval","nullable":true,"metadata":{}}]}',
      ),
    {
      code: 'DELTA_UNSUPPORTED_TYPE',
    },
  );
  assert.throws(() => parseSchemaString('{not json'), { code: 'DELTA_CORRUPT_LOG' });
});

test('DuckDB DESCRIBE types parse back to the same Delta types', async () => {
  const conn = await connect();
  try {
    const cols = structTypeToDuckDBColumns(ALL);
    const select = cols.map((c) => `CAST(NULL AS ${c.type}) AS "${c.name.replaceAll('"', '""')}"`).join(', ');
    const desc = await queryRows<{ column_name: string; column_type: string }>(
      conn,
      `DESCRIBE SELECT ${select}`,
    );
    assert.deepEqual(
      desc.map((d) => [d.column_name, duckDBTypeToDelta(d.column_type)]),
      ALL.fields.map((f) => [f.name, f.type]),
    );
  } finally {
    conn.closeSync();
  }
  assert.deepEqual(duckDBTypeToDelta('STRUCT(a INTEGER, "b c" VARCHAR[])'), {
    type: 'struct',
    fields: [
      { name: 'a', type: 'integer', nullable: true, metadata: {} },
      {
        name: 'b c',
        type: { type: 'array', elementType: 'string', containsNull: true },
        nullable: true,
        metadata: {},
      },
    ],
  });
  assert.equal(duckDBTypeToDelta('HUGEINT'), 'decimal(38,0)');
  assert.equal(duckDBTypeToDelta('UBIGINT'), 'decimal(20,0)');
  assert.equal(duckDBTypeToDelta('UUID'), 'string');
  assert.equal(duckDBTypeToDelta('TIMESTAMP_NS'), 'timestamp_ntz');
  assert.equal(duckDBTypeToDelta("ENUM('a', 'b')"), 'string');
  for (const bad of ['TIME', 'INTERVAL', 'UHUGEINT', 'UNION(a INTEGER)']) {
    assert.throws(() => duckDBTypeToDelta(bad), { code: 'DELTA_UNSUPPORTED_TYPE' }, bad);
  }
});

test('partition paths are escaped like Spark and decoded from add.path', () => {
  assert.equal(encodePartitionPath(['x'], { x: 'A/A' }), 'x=A%2FA');
  assert.equal(
    encodePartitionPath(['letter', 'date'], { letter: '/%20%f', date: null }),
    'letter=%2F%2520%25f/date=__HIVE_DEFAULT_PARTITION__',
  );
  assert.equal(encodePartitionPath(['a=b'], { 'a=b': 'B B' }), 'a%3Db=B B');
  assert.equal(encodePartitionPath([], {}), '');
  // The fixtures' log paths decode to the directories on disk.
  assert.equal(decodeAddPath('x=A%252FA/part-0.parquet'), 'x=A%2FA/part-0.parquet');
  assert.equal(decodeAddPath('letter=%252F%252520%2525f/p.parquet'), 'letter=%2F%2520%25f/p.parquet');
  assert.equal(decodeAddPath('data=😈/p.parquet'), 'data=😈/p.parquet');
  for (const dir of ['x=A%2FA/p.parquet', 'a=B B/p.parquet', 'data=😈/p.parquet', 'q=100%/p']) {
    assert.equal(decodeAddPath(encodeAddPath(dir)), dir);
  }
});

test('partition values deserialize per the protocol', async () => {
  const conn = await connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const exprs = [
      partitionValueSql('2021-02-03', 'date'),
      partitionValueSql('1970-01-01 00:00:01.5', 'timestamp'),
      partitionValueSql('1970-01-01T00:00:02.000000Z', 'timestamp'),
      partitionValueSql('2020-01-01 10:00:00', 'timestamp_ntz'),
      partitionValueSql('-12', 'integer'),
      partitionValueSql('12.50', 'decimal(5,2)'),
      partitionValueSql('true', 'boolean'),
      partitionValueSql(null, 'long'),
      partitionValueSql('', 'integer'),
      partitionValueSql("it's", 'string'),
      partitionValueSql('hello', 'binary'),
    ];
    const rows = await queryRows(conn, `SELECT ${exprs.map((e, i) => `${e} AS c${i}`).join(', ')}`);
    assert.deepEqual(Object.values(rows[0] ?? {}), [
      '2021-02-03',
      '1970-01-01 00:00:01.5+00',
      '1970-01-01 00:00:02+00',
      '2020-01-01 10:00:00',
      -12,
      '12.50',
      true,
      null,
      null,
      "it's",
      'hello',
    ]);
  } finally {
    conn.closeSync();
  }
});
